"""What the opening read out, for the evaluation and the pages (read side only)."""

from decimal import Decimal

from bidding.models import Bid, OpenedDocument, Opening, OpeningLine

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
