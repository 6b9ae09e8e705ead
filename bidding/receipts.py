"""Receipts: what the platform signs when it receives or returns a sealed bid.

A receipt is a compact JWS (EdDSA) from `marketplace.signing` whose payload names the tender,
the bid, the supplier, the SHA-256 of each envelope as received, and the server time.
"""

from datetime import UTC, datetime

from marketplace import signing


def utc_timestamp(moment: datetime) -> str:
    """UTC, microseconds, ISO 8601 with `Z`: one spelling, so the signed bytes are stable."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bid_payload(bid, digests: dict[str, str]) -> dict:
    return {
        "type": "bid",
        "tender": bid.tender_id,
        "tender_reference": bid.tender.reference,
        "bid": str(bid.id),
        "supplier": bid.organisation_id,
        "lots": bid.lots,
        "envelopes": digests,
        "received_at": utc_timestamp(bid.received_at),
        "replaces": str(bid.replaces_id) if bid.replaces_id else None,
    }


def withdrawal_payload(bid, digests: dict[str, str], now: datetime) -> dict:
    return {
        "type": "withdrawal",
        "tender": bid.tender_id,
        "tender_reference": bid.tender.reference,
        "bid": str(bid.id),
        "supplier": bid.organisation_id,
        "envelopes": digests,
        "withdrawn_at": utc_timestamp(now),
    }


def issue(payload: dict) -> str:
    return signing.sign(payload)
