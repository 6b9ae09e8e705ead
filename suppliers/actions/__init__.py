"""Every state-changing use case of the supplier registry, one function each.

Each owns its transaction: it locks the rows it changes first (the supplier, or the
organisation for team changes), checks the rules, makes the change, then writes the audit
chain and publishes live events last.
"""

from suppliers.actions.follows import add_follow, remove_follow
from suppliers.actions.licences import (
    add_licence,
    add_licence_requirement,
    check_licence,
    create_licence_type,
    remove_licence,
    remove_licence_requirement,
    send_licence_expiry_warnings,
)
from suppliers.actions.registration import (
    add_category,
    register_supplier,
    remove_category,
    resubmit_registration,
    update_supplier_profile,
)
from suppliers.actions.team import accept_invitation, invite_member, remove_member, revoke_invitation, set_member_role
from suppliers.actions.verification import (
    debar_supplier,
    end_expired_restrictions,
    lift_restriction,
    return_for_correction,
    suspend_supplier,
    verify_supplier,
)

__all__ = [
    "accept_invitation",
    "add_category",
    "add_follow",
    "add_licence",
    "add_licence_requirement",
    "check_licence",
    "create_licence_type",
    "debar_supplier",
    "end_expired_restrictions",
    "invite_member",
    "lift_restriction",
    "register_supplier",
    "remove_category",
    "remove_follow",
    "remove_licence",
    "remove_licence_requirement",
    "remove_member",
    "resubmit_registration",
    "return_for_correction",
    "revoke_invitation",
    "send_licence_expiry_warnings",
    "set_member_role",
    "suspend_supplier",
    "update_supplier_profile",
    "verify_supplier",
]
