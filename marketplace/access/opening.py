"""Rules about the opening: who releases a share, who reads opened bids and their documents.

The opening record is public once the opening has started. The contents of opened bids (their
documents) are for the buyer's procurement officers and evaluators, and auditors; a firm reads
its own bid's documents.
"""

from marketplace.access import has_role, is_auditor, rule
from marketplace.access.bidding import BIDDING_ROLES
from marketplace.access.tenders import is_buyer_officer
from marketplace.models import Role


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
    if not has_role(user, tender.buyer_id, Role.PROCUREMENT_OFFICER, Role.EVALUATOR) and not is_auditor(user):
        return False
    return tender.openings.exists()  # nothing of a bid is readable before its opening started


@rule("read_opened_document")
def read_opened_document(user, document) -> bool:
    bid = document.bid
    return read_opened_bids(user, bid.tender) or has_role(user, bid.organisation_id, *BIDDING_ROLES)
