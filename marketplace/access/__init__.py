"""Who may do what to which object: the registry of access rules.

Views and API endpoints ask `can(user, "<verb>_<noun>", obj)`, or `require(...)` which
raises `PermissionDenied`; the websocket consumer asks `may_hear(user, subject)`. This package
holds the registry and the rules about people and organisations (`people.py`); each app's
rules sit in its own `access.py`, register themselves with `@rule` / `@subject_rule` and are
imported from the app's `AppConfig.ready()`. This package imports no app.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection

from marketplace import statements
from marketplace.models import Membership, Organisation, Role

# The roles of the people who act for a supplier firm: look for tenders, ask, follow, bid.
FIRM_ROLES = (Role.SUPPLIER_ADMIN, Role.BIDDER)

Rule = Callable[[Any, Any], bool]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if name in RULES:
            raise RuntimeError(f"access rule {name!r} is defined twice")
        RULES[name] = fn
        return fn

    return register


def can(user, action: str, obj: Any = None) -> bool:
    """True when `user` may perform `action` on `obj`.

    An unknown action is a mistake in the code (a misspelt name, an app whose rules were not
    registered), never a refusal: it raises, so it shows as an error at once instead of a 403
    that looks like a correct answer. It grants nothing either way.
    """
    check = RULES.get(action)
    if check is None:
        raise LookupError(f"no access rule is named {action!r}")
    if user is None or not getattr(user, "is_active", False):
        user = ANONYMOUS
    return bool(check(user, obj))


def require(user, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(action)


class _Anonymous:
    """Stands in for a visitor without an account (or an inactive one)."""

    is_authenticated = False
    is_active = False
    is_staff = False
    pk = None


ANONYMOUS = _Anonymous()


def memberships(user) -> list[Membership]:
    """The user's memberships, read once per user object (i.e. once per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_access_memberships", None)
    if cached is None:
        cached = _read_memberships(user.pk)
        user._access_memberships = cached
    return cached


def _read_memberships(user_id: int) -> list[Membership]:
    """`Membership.objects.filter(user=…).select_related("organisation")`, precompiled
    (`marketplace.statements`): every request that asks a rule about a firm reads them."""
    membership, organisation = (connection.ops.quote_name(m._meta.db_table) for m in (Membership, Organisation))
    sql = (
        f"SELECT {statements.column_list(Membership)}, {statements.column_list(Organisation)} FROM {membership}"  # noqa: S608 (models' own tables)
        f" INNER JOIN {organisation} ON ({membership}.organisation_id = {organisation}.id) WHERE {membership}.user_id = %s"
    )
    return statements.fetch_joined(Membership, "organisation", sql, [user_id])


def forget(user) -> None:
    """Drop the cached memberships after they change."""
    if hasattr(user, "_access_memberships"):
        del user._access_memberships


def roles_in(user, organisation: Organisation | int | None) -> set[str]:
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return {m.role for m in memberships(user) if m.organisation_id == org_id}


def supplier_firms(user) -> list[Organisation]:
    """The supplier firms the person acts for, as administrator or bidder."""
    return [o for o in organisations_where(user, *FIRM_ROLES) if o.kind == Organisation.Kind.SUPPLIER]


def has_role(user, organisation: Organisation | int | None, *roles: str) -> bool:
    return bool(roles_in(user, organisation) & set(roles))


def is_member(user, organisation: Organisation | int | None) -> bool:
    return bool(roles_in(user, organisation))


def organisations_where(user, *roles: str) -> list[Organisation]:
    seen: dict[int, Organisation] = {}
    for m in memberships(user):
        if not roles or m.role in roles:
            seen.setdefault(m.organisation_id, m.organisation)
    return list(seen.values())


def holds_role_anywhere(user, *roles: str) -> bool:
    return any(m.role in roles for m in memberships(user))


def is_auditor(user) -> bool:
    return holds_role_anywhere(user, Role.AUDITOR)


def may_hear(user, subject: str) -> bool:
    """May this connection hear live events on `subject`? One answer for absent and forbidden."""
    kind, _, rest = subject.partition(".")
    check = SUBJECT_RULES.get(kind)
    return bool(check and check(user if user is not None else ANONYMOUS, rest))


SUBJECT_RULES: dict[str, Callable[[Any, str], bool]] = {}


def subject_rule(kind: str):
    def register(fn):
        SUBJECT_RULES[kind] = fn
        return fn

    return register


# The rules about people and organisations; each app's own rules live in its `access.py`,
# imported from its AppConfig.ready().
from marketplace.access import (  # noqa: E402, F401
    people,
)
