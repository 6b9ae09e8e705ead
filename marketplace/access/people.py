"""Rules about people and organisations, and who hears their live events."""

from marketplace.access import has_role, is_member, rule, subject_rule
from marketplace.models import Role


@rule("view_profile")
def view_profile(user, obj) -> bool:
    return user.is_authenticated


@rule("manage_api_tokens")
def manage_api_tokens(user, owner) -> bool:
    return user.is_authenticated and (owner is None or owner.pk == user.pk)


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
