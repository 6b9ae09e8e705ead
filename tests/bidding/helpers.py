"""Tenders and suppliers for the bidding tests.

The tenders and supplier-registry actions live elsewhere; until they are merged these
helpers do what those actions do: the model transitions inside a transaction, and the
tender signals sent as `publish_tender` / `amend_tender` / `cancel_tender` send them.
"""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bidding import sealing
from bidding.keys import public_envelopes
from bidding.models import EnvelopeKey
from marketplace.models import Organisation
from suppliers.models import Supplier
from tenders.models import Amendment, Custody, EnvelopeMode, Item, Lot, Tender, TenderCustodian
from tenders.signals import publication_check, tender_amended, tender_cancelled, tender_published

_numbers = itertools.count(1)


def make_supplier(organisation: Organisation, *, status: str = Supplier.Status.VERIFIED, sme_class: str = "small") -> Supplier:
    supplier = Supplier.objects.create(
        organisation=organisation,
        legal_name=organisation.name,
        country="IE",
        registration_number=f"REG-{organisation.pk}",
        address="1 Quay Street",
        contact_email=f"contact{organisation.pk}@example.test",
        sme_class=sme_class,
    )
    if status != Supplier.Status.APPLIED:
        supplier.verify()
    if status == Supplier.Status.SUSPENDED:
        supplier.suspend()
    elif status == Supplier.Status.DEBARRED:
        supplier.debar()
    supplier.save()
    return supplier


def make_tender(
    officer,
    *,
    deadline: datetime | None = None,
    envelope_mode: str = EnvelopeMode.SINGLE,
    custody: str = Custody.PLATFORM,
    custodians: list = (),
    threshold: int | None = None,
    lots: int = 1,
    reserved_lots: tuple[int, ...] = (),
    **fields,
) -> Tender:
    buyer = officer.memberships.get().organisation
    tender = Tender.objects.create(
        buyer=buyer,
        title=fields.pop("title", "Road resurfacing"),
        currency="EUR",
        main_category="45233140",
        envelope_mode=envelope_mode,
        custody=custody,
        custody_threshold=threshold,
        submission_deadline=deadline or timezone.now() + timedelta(days=10),
        created_by=officer,
        **fields,
    )
    for number in range(1, lots + 1):
        lot = Lot.objects.create(tender=tender, number=number, title=f"Section {number}", sme_reserved=number in reserved_lots)
        Item.objects.create(tender=tender, lot=lot, description="Asphalt", quantity=Decimal("100"), unit="m2", cpv="45233140")
    for position, user in enumerate(custodians, start=1):
        TenderCustodian.objects.create(tender=tender, user=user, position=position)
    return tender


def publication_problems(tender: Tender, officer) -> list:
    responses = publication_check.send(sender=Tender, tender=tender, actor=officer, now=timezone.now())
    return [problem for _receiver, problems in responses for problem in problems or []]


def publish(tender: Tender, officer, now: datetime | None = None) -> Tender:
    now = now or timezone.now()
    with transaction.atomic():
        tender.publish()
        tender.reference = f"{tender.buyer.code.upper()}-{now.year}-{next(_numbers):04d}"
        tender.published_at = now
        tender.save()
        tender_published.send(sender=Tender, tender=tender, actor=officer, now=now)
    return tender


def close(tender: Tender) -> Tender:
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        tender.close()
        tender.closed_at = timezone.now()
        tender.save()
    return tender


def amend(tender: Tender, officer, reason: str = "New drawings") -> Amendment:
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        number = tender.amendments.count() + 1
        amendment = Amendment.objects.create(tender=tender, number=number, reason=reason, created_by=officer)
        tender_amended.send(sender=Tender, tender=tender, amendment=amendment, actor=officer, now=timezone.now())
    return amendment


def cancel(tender: Tender, officer) -> Tender:
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        tender.cancel()
        tender.cancellation_reason = "Budget withdrawn"
        tender.save()
        tender_cancelled.send(sender=Tender, tender=tender, actor=officer, now=timezone.now())
    return tender


def seal_bid(
    tender: Tender, organisation: Organisation, *, prices: dict[int, str] | None = None, documents: list | None = None
) -> dict[str, str]:
    """Every envelope of the tender sealed with the project's Python `seal()`."""
    prices = {n: Decimal(v) for n, v in (prices or {1: "1234.50"}).items()}
    sealed = {}
    for envelope in public_envelopes(tender):
        content = sealing.plaintext(
            tender_id=tender.pk,
            envelope=envelope["name"],
            organisation_id=organisation.pk,
            prices={} if envelope["name"] == "technical" else prices,
            currency=tender.currency,
            documents=documents or [sealing.Document("offer.txt", "text/plain", b"We offer the works as specified.")],
        )
        sealed[envelope["name"]] = sealing.seal(
            content, envelope["jwk"], kid=envelope["kid"], organisation_id=organisation.pk, tender_id=tender.pk
        )
    return sealed


def envelope_key(tender: Tender, name: str = "bid") -> EnvelopeKey:
    return EnvelopeKey.objects.get(tender=tender, name=name)
