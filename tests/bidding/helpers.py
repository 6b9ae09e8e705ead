"""Tenders and suppliers for the bidding tests.

Tenders are written with the model (any shape a test needs) and then published, amended,
cancelled and closed through the tenders app's real actions, which send the signals the
bidding app receives.
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
from tenders import actions as tender_actions
from tenders.models import Amendment, Custody, EnvelopeMode, Item, Lot, Tender, TenderCustodian
from tenders.signals import publication_check
from tests.factories import make_supplier  # noqa: F401  (one factory for every app's tests)

_numbers = itertools.count(1)


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
    deadline = deadline or timezone.now() + timedelta(days=10)
    tender = Tender.objects.create(
        buyer=buyer,
        divided_into_lots=lots > 1,
        title=fields.pop("title", "Road resurfacing"),
        description=fields.pop("description", "Milling and resurfacing of the road."),
        currency="EUR",
        estimated_value=fields.pop("estimated_value", Decimal("250000.00") * lots),
        main_category="45233140",
        envelope_mode=envelope_mode,
        custody=custody,
        custody_threshold=threshold,
        submission_deadline=deadline,
        clarification_deadline=deadline - timedelta(seconds=1),
        created_by=officer,
        **fields,
    )
    for number in range(1, lots + 1):
        lot = Lot.objects.create(
            tender=tender,
            number=number,
            title=f"Section {number}" if lots > 1 else tender.title,
            estimated_value=Decimal("250000.00") if lots > 1 else tender.estimated_value,
            sme_reserved=number in reserved_lots,
        )
        Item.objects.create(tender=tender, lot=lot, description="Asphalt", quantity=Decimal("100"), unit="m2", cpv="45233140")
    for position, user in enumerate(custodians, start=1):
        TenderCustodian.objects.create(tender=tender, user=user, position=position)
    return tender


def publication_problems(tender: Tender, officer) -> list:
    responses = publication_check.send(sender=Tender, tender=tender, actor=officer, now=timezone.now())
    return [problem for _receiver, problems in responses for problem in problems or []]


def publish(tender: Tender, officer) -> Tender:
    return tender_actions.publish_tender(officer, tender)


def close(tender: Tender) -> Tender:
    """Close at (or after) the deadline, as the closing task does."""
    assert tender_actions.close_tender(tender.pk), "the tender was not closed (is its deadline past?)"
    return Tender.objects.get(pk=tender.pk)


def force_close(tender: Tender) -> Tender:
    """Move a tender to CLOSED whatever the clock says: a state no action allows, for tests that
    prove the clock, not the stored state, guards the sealed bids."""
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        tender.close()
        tender.closed_at = timezone.now()
        tender.save()
    return tender


def amend(tender: Tender, officer, reason: str = "New drawings") -> Amendment:
    description = f"{tender.description} Amended: {reason}."
    return tender_actions.amend_tender(officer, tender, reason=reason, changes={"description": description})


def cancel(tender: Tender, officer) -> Tender:
    return tender_actions.cancel_tender(officer, tender, reason="Budget withdrawn")


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


def process_environment(data_dir, **extra) -> dict[str, str]:
    """For real worker and daphne processes: this run's database and keys, and a data folder of
    the test's own (opened documents land there, not in the project's data folder)."""
    import base64

    from django.conf import settings

    from tests.processes import child_environment

    keys = {name: base64.b64encode(getattr(settings, name)).decode() for name in ("SEALING_KEK", "SIGNING_KEY")}
    return child_environment(**extra) | keys | {"TENDERHALL_DATA_DIR": str(data_dir)}
