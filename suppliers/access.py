"""Who may do what in the supplier registry: firms, their licences, team, follows and verification.

Registered from `SuppliersConfig.ready()`.
"""

from collections.abc import Callable
from typing import Any

from marketplace.access import has_role, holds_role_anywhere, is_auditor, is_member, rule
from marketplace.models import Role

# Functions of (user, supplier) that let someone outside the firm read its licence files, added
# by higher apps (bidding: officers of an agency the firm has bid to, past the deadline).
licence_readers: list[Callable[[Any, Any], bool]] = []


def is_registry_officer(user) -> bool:
    return holds_role_anywhere(user, Role.REGISTRY_OFFICER)


def is_supplier_admin(user, supplier) -> bool:
    return has_role(user, supplier.organisation_id, Role.SUPPLIER_ADMIN)


@rule("view_supplier")
def view_supplier(user, supplier) -> bool:
    """The firm's own record: its members, registry officers and auditors."""
    return is_member(user, supplier.organisation_id) or is_registry_officer(user) or is_auditor(user)


@rule("edit_supplier")
def edit_supplier(user, supplier) -> bool:
    return is_supplier_admin(user, supplier)


@rule("manage_supplier_licences")
def manage_supplier_licences(user, supplier) -> bool:
    return is_supplier_admin(user, supplier)


@rule("read_licence_file")
def read_licence_file(user, licence) -> bool:
    supplier = licence.supplier
    return view_supplier(user, supplier) or any(reader(user, supplier) for reader in licence_readers)


@rule("manage_supplier_follows")
def manage_supplier_follows(user, supplier) -> bool:
    """Admins and bidders: the people who look for tenders to bid on."""
    return has_role(user, supplier.organisation_id, Role.SUPPLIER_ADMIN, Role.BIDDER)


@rule("view_registry_queue")
def view_registry_queue(user, obj) -> bool:
    return is_registry_officer(user) or is_auditor(user)


@rule("decide_supplier")
def decide_supplier(user, supplier) -> bool:
    """Verify, return, suspend, debar, lift. Never on a firm the officer belongs to."""
    return is_registry_officer(user) and not is_member(user, supplier.organisation_id)


@rule("manage_licence_types")
def manage_licence_types(user, obj) -> bool:
    return is_registry_officer(user)
