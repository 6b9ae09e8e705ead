"""Rules about the opening: who releases a share, who reads opened bids and their documents.

The opening record is public once the opening has started. The contents of opened bids (their
documents) are for the buyer's procurement officers and evaluators, and auditors; a firm reads
its own bid's documents.
"""

from collections.abc import Callable

from marketplace.access import has_role, is_auditor, rule
from marketplace.access.bidding import BIDDING_ROLES
from marketplace.access.tenders import is_buyer_officer

# Who else reads a tender's opened bids: an app above bidding adds its people here when its
# rules register (the evaluation adds the committee members cleared of any conflict).
opened_bid_readers: list[Callable] = []


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
    # An evaluator reads opened bids only as a committee member who has declared no conflict
    # of interest with every bidder (evaluation.access adds that reader).
    if not (is_buyer_officer(user, tender) or is_auditor(user) or any(reader(user, tender) for reader in opened_bid_readers)):
        return False
    return tender.openings.exists()  # nothing of a bid is readable before its opening started


@rule("read_opened_document")
def read_opened_document(user, document) -> bool:
    bid = document.bid
    return read_opened_bids(user, bid.tender) or has_role(user, bid.organisation_id, *BIDDING_ROLES)
