"""Rules about the supplier registry: firms, their licences, team, follows and verification."""

from django.utils import timezone

from marketplace.access import has_role, holds_role_anywhere, is_auditor, is_member, organisations_where, rule
from marketplace.models import Role


def is_registry_officer(user) -> bool:
    return holds_role_anywhere(user, Role.REGISTRY_OFFICER)


def is_supplier_admin(user, supplier) -> bool:
    return has_role(user, supplier.organisation_id, Role.SUPPLIER_ADMIN)


def has_bid_to_agency_of(user, supplier, now=None) -> bool:
    """Is the user an officer of an agency this firm has bid to, past that tender's deadline?

    Agencies check a bidder's licences while they evaluate its bid. Before the deadline even
    the existence of a bid is sealed, so only tenders whose deadline has passed count.
    """
    from bidding.models import Bid

    agencies = [org.pk for org in organisations_where(user, Role.PROCUREMENT_OFFICER, Role.EVALUATOR)]
    if not agencies:
        return False
    return (
        Bid.objects.filter(
            organisation_id=supplier.organisation_id,
            tender__buyer_id__in=agencies,
            tender__submission_deadline__lte=now or timezone.now(),
        )
        .exclude(status__in=[Bid.Status.REPLACED, Bid.Status.WITHDRAWN])
        .exists()
    )


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
    return view_supplier(user, supplier) or has_bid_to_agency_of(user, supplier)


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
