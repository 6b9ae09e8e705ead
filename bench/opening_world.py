"""Setup for the opening benchmarks: sealed bids put straight into a tender's box.

Sealing is done as a bidder's client does it (`bidding.sealing`), but the bids are inserted
in bulk, without the submission action: the setup is not what is measured.
"""

import secrets
from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction

from bidding import receipts, sealing
from bidding.keys import public_envelopes
from bidding.models import Bid, Envelope
from marketplace.models import Membership
from tenders.models import Tender

BATCH = 25


def sealed_envelope(tender: Tender, firm_id: int, envelope_bytes: int, price: Decimal) -> str:
    """A compact JWE of about `envelope_bytes` for the tender's single envelope."""
    [envelope] = public_envelopes(tender)
    # The compact JWE is ~4/3 of the plaintext, which is ~4/3 of the document plus ~300 bytes.
    document = secrets.token_bytes(max(1, int((envelope_bytes * 3 / 4 - 400) * 3 / 4)))
    content = sealing.plaintext(
        tender_id=tender.pk,
        envelope=envelope["name"],
        organisation_id=firm_id,
        prices={1: price},
        currency="EUR",
        documents=[sealing.Document("offer.pdf", "application/pdf", document)],
    )
    return sealing.seal(content, envelope["jwk"], kid=envelope["kid"], organisation_id=firm_id, tender_id=tender.pk)


def sealed_envelopes(tender: Tender, firm_ids: list[int], envelope_bytes: int) -> Iterator[tuple[int, str]]:
    for n, firm_id in enumerate(firm_ids):
        yield firm_id, sealed_envelope(tender, firm_id, envelope_bytes, Decimal("100000.00") + n)


def insert_sealed_bids(tender: Tender, firm_ids: list[int], *, envelope_bytes: int) -> int:
    """Put one sealed bid per firm into the tender's box (as received before the deadline)."""
    from django.utils import timezone

    bidders = dict(Membership.objects.filter(organisation_id__in=firm_ids).values_list("organisation_id", "user_id"))
    [name] = tender.envelope_names()
    kid = tender.envelope_keys.get(name=name).kid
    batch: list[tuple[int, str]] = []
    inserted = 0

    def flush() -> None:
        with transaction.atomic():
            bids, envelopes = [], []
            for firm_id, compact in batch:
                bid = Bid(tender=tender, organisation_id=firm_id, submitted_by_id=bidders[firm_id], lots=[1], received_at=timezone.now())
                digest = sealing.digest(compact)
                bid.receipt = receipts.issue(receipts.bid_payload(bid, {name: digest}))
                bids.append(bid)
                envelopes.append(Envelope(bid=bid, name=name, kid=kid, jwe=compact, sha256=digest, size=len(compact)))
            Bid.objects.bulk_create(bids)
            Envelope.objects.bulk_create(envelopes)
        batch.clear()

    for firm_id, compact in sealed_envelopes(tender, firm_ids, envelope_bytes):
        batch.append((firm_id, compact))
        inserted += 1
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    return inserted
