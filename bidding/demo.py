"""Demo opening keys (the demo agency's custodians have set their opening passphrases) and a
live opening to watch a few minutes after `make run`."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from bidding import sealing
from bidding.actions import set_opening_passphrase, submit_bid
from bidding.keys import public_envelopes
from bidding.models import CustodianKey
from tenders import actions as tender_actions
from tenders.actions import DraftSpec, ItemSpec, LotSpec
from tenders.demo import pdf
from tenders.models import Tender

# Printed with the demo logins; a real custodian chooses a passphrase nobody else knows.
DEMO_OPENING_PASSPHRASE = "demo opening passphrase"
CUSTODIANS = ["custodian1@mpw.example", "custodian2@mpw.example", "custodian3@mpw.example"]


def seed(world, stdout) -> None:
    for email in CUSTODIANS:
        custodian = world.users[email]
        if not CustodianKey.objects.filter(user=custodian).exists():
            set_opening_passphrase(custodian, DEMO_OPENING_PASSPHRASE)
    stdout.write(f"Demo custodians' opening passphrase: {DEMO_OPENING_PASSPHRASE}")


# A live opening to watch ------------------------------------------------------------------------

LIVE_OPENING_TITLE = "Street-lighting maintenance, Kildare towns (live opening demo)"
# Far enough for a newcomer to find the room and see the countdown, near enough to wait for.
LIVE_OPENING_MINUTES = 5
LIVE_OPENING_BIDS = [("lotus", "41250.00"), ("harbour", "39980.50"), ("continental", "44100.00")]


def seed_live_opening(world, stdout) -> None:
    """A demo tender whose deadline is a few minutes ahead, with a sealed bid from each demo
    supplier; the background worker opens it at the deadline. Each run leaves an upcoming one
    as it is and publishes a fresh one once the last has passed its deadline."""
    agency = world.organisations["agency"]
    now = timezone.now()
    upcoming = Tender.objects.filter(buyer=agency, title=LIVE_OPENING_TITLE, submission_deadline__gt=now).exclude(
        status=Tender.Status.DRAFT
    )
    tender = upcoming.order_by("-submission_deadline").first() or _publish_live_opening(world, now)
    room = f"{settings.SITE_URL}{reverse('bidding:opening-room', args=[tender.pk])}"
    stdout.write(
        f"Live opening demo: {room} opens at {timezone.localtime(tender.submission_deadline):%H:%M:%S %Z} "
        f"({tender.bids.count()} sealed bids; the worker opens them at the deadline)."
    )


def _publish_live_opening(world, now) -> Tender:
    officer = world.users["officer@mpw.example"]
    deadline = (now + timedelta(minutes=LIVE_OPENING_MINUTES)).replace(microsecond=0)
    spec = DraftSpec(
        fields={
            "title": LIVE_OPENING_TITLE,
            "description": "Night-time repair and lamp replacement for 3,100 street lights in Naas, Newbridge and Kildare town, twelve months.",
            "method": "rfq",
            "main_category": "50232100",
            "estimated_value": Decimal("45000.00"),
            "currency": "EUR",
            "submission_deadline": deadline,
            "clarification_deadline": deadline - timedelta(minutes=1),
        },
        lots=[LotSpec(items=[ItemSpec("Street-lighting maintenance", Decimal("12"), "month", "50232100")])],
    )
    tender = tender_actions.create_draft(officer, world.organisations["agency"], spec)
    # A demonstration, not a procurement: the platform's minimum response time is lifted for it,
    # as a test platform would (MIN_RESPONSE_HOURS_RFQ=0).
    with override_settings(MIN_RESPONSE_HOURS_RFQ=0):
        tender = tender_actions.publish_tender(officer, tender)
    for key, price in LIVE_OPENING_BIDS:
        firm, bidder = world.organisations[key], world.users[f"bidder@{key}.example"]
        submit_bid(bidder, firm, tender, _sealed_like_a_client(tender, firm.pk, Decimal(price)))
    return tender


def _sealed_like_a_client(tender: Tender, organisation_id: int, price: Decimal) -> dict[str, str]:
    """Every envelope sealed to the tender's public key, as a bidder's browser or API client does."""
    offer = sealing.Document("offer.pdf", "application/pdf", pdf(["Offer", f"Street-lighting maintenance: EUR {price}"]))
    sealed = {}
    for envelope in public_envelopes(tender):
        content = sealing.plaintext(
            tender_id=tender.pk,
            envelope=envelope["name"],
            organisation_id=organisation_id,
            prices={1: price},
            currency=tender.currency,
            documents=[offer],
        )
        sealed[envelope["name"]] = sealing.seal(
            content, envelope["jwk"], kid=envelope["kid"], organisation_id=organisation_id, tender_id=tender.pk
        )
    return sealed
