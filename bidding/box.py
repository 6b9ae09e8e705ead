"""The bid box: what anyone may see of the sealed bids, and when.

Before the deadline the box is sealed: this module does not even query the bids, so neither
the answer nor its timing depends on them. After the deadline it lists each bid that will be
opened by its envelope digests and receipt time, without names, so every bidder can find its
own receipt in it. The tender page includes `bidding/_bid_box.html` with `bid_box()`.
"""

from dataclasses import dataclass, field
from datetime import datetime

from bidding.models import Bid, Envelope, Opening
from tenders.models import Tender


@dataclass(frozen=True)
class BoxEntry:
    received_at: datetime
    envelopes: list[tuple[str, str]]  # (envelope name, SHA-256 hex)


@dataclass(frozen=True)
class BidBox:
    tender: Tender
    sealed: bool
    deadline: datetime | None
    entries: list[BoxEntry] = field(default_factory=list)
    opened: bool = False  # the first round of the opening is complete: the record says what each held


def bid_box(tender: Tender, now: datetime) -> BidBox:
    if not tender.is_past_deadline(now):
        return BidBox(tender=tender, sealed=True, deadline=tender.submission_deadline)
    bids = list(Bid.objects.filter(tender=tender).entered().order_by("received_at", "id"))
    digests: dict = {}
    for envelope in Envelope.objects.filter(bid__in=bids).order_by("name").values("bid_id", "name", "sha256"):
        digests.setdefault(envelope["bid_id"], []).append((envelope["name"], envelope["sha256"]))
    entries = [BoxEntry(received_at=b.received_at, envelopes=digests.get(b.id, [])) for b in bids]
    opened = Opening.objects.filter(tender=tender, status=Opening.Status.COMPLETE).exists()
    return BidBox(tender=tender, sealed=False, deadline=tender.submission_deadline, entries=entries, opened=opened)


def live_bid_count(tender: Tender) -> int:
    """For the buyer's procurement officers only (see `view_bid_count`)."""
    return Bid.objects.filter(tender=tender).live().count()
