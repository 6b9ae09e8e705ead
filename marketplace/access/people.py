"""Rules about people, organisations, the audit chain and organisation subjects."""

from marketplace.access import has_role, is_auditor, is_member, rule, subject_rule
from marketplace.models import Role


@rule("view_profile")
def view_profile(user, obj) -> bool:
    return user.is_authenticated


@rule("manage_api_tokens")
def manage_api_tokens(user, owner) -> bool:
    return user.is_authenticated and (owner is None or owner.pk == user.pk)


@rule("read_audit_trail")
def read_audit_trail(user, obj) -> bool:
    return is_auditor(user) or user.is_staff


@rule("view_organisation_private")
def view_organisation_private(user, organisation) -> bool:
    return is_member(user, organisation) or is_auditor(user)


@rule("manage_organisation_members")
def manage_organisation_members(user, organisation) -> bool:
    return has_role(user, organisation, Role.SUPPLIER_ADMIN)


@subject_rule("public")
def hear_public(user, rest: str) -> bool:
    return rest == ""


@subject_rule("org")
def hear_org(user, rest: str) -> bool:
    return rest.isdigit() and is_member(user, int(rest))


@subject_rule("user")
def hear_user(user, rest: str) -> bool:
    return rest.isdigit() and user.is_authenticated and user.pk == int(rest)
