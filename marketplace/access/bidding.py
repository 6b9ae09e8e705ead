"""Rules about sealed bids, their receipts and the opening keys.

Before the deadline a bid is known to its own firm only: other firms, the public, the agency
and platform staff learn neither its existence nor the number of bids, except the buyer's
procurement officers, who see the count.
"""

from marketplace.access import has_role, holds_role_anywhere, rule
from marketplace.access.tenders import is_buyer_officer
from marketplace.models import Organisation, Role

BIDDING_ROLES = (Role.SUPPLIER_ADMIN, Role.BIDDER)


@rule("submit_bid")
def submit_bid(user, organisation) -> bool:
    return organisation is not None and organisation.kind == Organisation.Kind.SUPPLIER and has_role(user, organisation, *BIDDING_ROLES)


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
