"""What the opening read out, for the evaluation and the pages (read side only)."""

from decimal import Decimal

from bidding.models import Bid, OpenedDocument, Opening, OpeningLine
from bidding.shares import custodian_presence
from marketplace import audit

PRICE_ROUNDS = (Opening.Round.BID, Opening.Round.FINANCIAL)


def line(bid: Bid, round: str) -> OpeningLine | None:
    """The bid's line in that round of the opening, or None if it was not (yet) read."""
    return OpeningLine.objects.filter(bid=bid, opening__round=round).select_related("opening").first()


def _price_line(bid: Bid) -> OpeningLine | None:
    return (
        OpeningLine.objects.filter(bid=bid, opening__round__in=PRICE_ROUNDS, result=OpeningLine.Result.OPENED)
        .order_by("opening__created_at")
        .first()
    )


def prices(bid: Bid) -> dict[int, Decimal]:
    """Lot number → price read out for the bid; {} if its prices were not (yet) opened or were rejected."""
    found = _price_line(bid)
    if found is None:
        return {}
    return {entry["lot"]: Decimal(entry["price"]["amount"]) for entry in found.content.get("lots", [])}


def currency(bid: Bid) -> str | None:
    found = _price_line(bid)
    lots = found.content.get("lots", []) if found is not None else []
    return lots[0]["price"]["currency"] if lots else None


def documents(bid: Bid) -> list[OpenedDocument]:
    """The documents of every opened envelope of the bid."""
    return list(OpenedDocument.objects.filter(bid=bid).order_by("envelope", "position"))


def opening_record(tender) -> dict | None:
    """The public record of every round that has started, or None before the opening.

    A complete round carries its signed `record` and `signature` (compact JWS); a running
    round lists the lines read so far; a waiting round says how many custodians are present.
    """

    openings = list(Opening.objects.filter(tender=tender).order_by("created_at", "pk"))
    if not openings:
        return None
    rounds = []
    for opening in openings:
        lines = (
            opening.record["lines"]
            if opening.is_complete
            else audit.json_safe({"lines": [line.as_json() for line in opening.lines.order_by("position")]})["lines"]
        )
        rounds.append(
            {
                "round": opening.round,
                "status": opening.status,
                "started_at": opening.started_at,
                "completed_at": opening.completed_at,
                "bids": len(opening.bid_ids),
                "custodians": custodian_presence(opening) if opening.quorum_deadline else None,
                "quorum_deadline": opening.quorum_deadline,
                "quorum_missed_at": opening.quorum_missed_at,
                "lines": lines,
                "valid": sum(1 for line in lines if line["result"] == OpeningLine.Result.OPENED),
                "rejected": sum(1 for line in lines if line["result"] == OpeningLine.Result.REJECTED),
                "record": opening.record,
                "signature": opening.signature or None,
            }
        )
    return {"tender": tender.pk, "reference": tender.reference, "status": tender.status, "rounds": rounds}
