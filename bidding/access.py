"""Who may do what with sealed bids, their receipts, the opening keys and the opening.

Before the deadline a bid is known to its own firm only: other firms, the public, the agency
and platform staff learn neither its existence nor the number of bids, except the buyer's
procurement officers, who see the count.

The opening record is public once the opening has started. The contents of opened bids (their
documents) are for the buyer's procurement officers, auditors and whoever a higher app adds to
`opened_bid_readers` (the evaluation adds its cleared evaluators); a firm reads its own bid's
documents.

Registered from `BiddingConfig.ready()`.
"""

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from bidding.models import Bid
from marketplace.access import FIRM_ROLES, can, has_role, holds_role_anywhere, is_auditor, organisations_where, rule, supplier_firms
from marketplace.models import Organisation, Role
from suppliers import access as suppliers_access
from tenders.access import is_buyer_officer

BIDDING_ROLES = FIRM_ROLES

# Functions of (user, tender) that let someone read a tender's opened bids, added by higher apps
# from their AppConfig.ready() or access module.
opened_bid_readers: list[Callable[[Any, Any], bool]] = []


@rule("submit_bid")
def submit_bid(user, organisation) -> bool:
    return organisation is not None and organisation.kind == Organisation.Kind.SUPPLIER and has_role(user, organisation, *BIDDING_ROLES)


def bidding_firms(user) -> list[Organisation]:
    """The firms the person may submit bids for."""
    return [firm for firm in supplier_firms(user) if can(user, "submit_bid", firm)]


@rule("view_bid")
def view_bid(user, bid) -> bool:
    return has_role(user, bid.organisation_id, *BIDDING_ROLES)


@rule("change_bid")
def change_bid(user, bid) -> bool:
    return has_role(user, bid.organisation_id, *BIDDING_ROLES)


@rule("prepare_bid")
def prepare_bid(user, tender) -> bool:
    return tender.is_public and holds_role_anywhere(user, *BIDDING_ROLES)


@rule("view_bid_count")
def view_bid_count(user, tender) -> bool:
    return is_buyer_officer(user, tender)


@rule("view_bid_box")
def view_bid_box(user, tender) -> bool:
    return tender.is_public


@rule("manage_opening_key")
def manage_opening_key(user, obj) -> bool:
    return user.is_authenticated and (holds_role_anywhere(user, Role.CUSTODIAN) or user.custodian_seats.exists())


@rule("check_custodian_share")
def check_custodian_share(user, tender) -> bool:
    return user.is_authenticated and tender.custodian_seats.filter(user=user).exists()


@rule("view_opening_record")
def view_opening_record(user, tender) -> bool:
    return tender.is_public


@rule("start_opening")
def start_opening(user, tender) -> bool:
    return is_buyer_officer(user, tender)


@rule("release_share")
def release_share(user, tender) -> bool:
    return user.is_authenticated and tender.custodian_seats.filter(user=user).exists()


@rule("read_opened_bids")
def read_opened_bids(user, tender) -> bool:
    if not (is_buyer_officer(user, tender) or is_auditor(user) or any(reader(user, tender) for reader in opened_bid_readers)):
        return False
    return tender.openings.exists()  # nothing of a bid is readable before its opening started


@rule("read_opened_document")
def read_opened_document(user, document) -> bool:
    bid = document.bid
    return read_opened_bids(user, bid.tender) or has_role(user, bid.organisation_id, *BIDDING_ROLES)


def has_bid_to_agency_of(user, supplier, now=None) -> bool:
    """Is the user an officer of an agency this firm has bid to, past that tender's deadline?

    Agencies check a bidder's licences while they evaluate its bid. Before the deadline even
    the existence of a bid is sealed, so only tenders whose deadline has passed count.
    """
    agencies = [org.pk for org in organisations_where(user, Role.PROCUREMENT_OFFICER, Role.EVALUATOR)]
    if not agencies:
        return False
    return (
        Bid.objects.filter(
            organisation_id=supplier.organisation_id,
            tender__buyer_id__in=agencies,
            tender__submission_deadline__lte=now or timezone.now(),
        )
        .entered()
        .exists()
    )


suppliers_access.licence_readers.append(has_bid_to_agency_of)
