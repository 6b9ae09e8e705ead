"""Demo evaluations for `manage.py seed_demo`: one tender awarded (standstill running) and one in
evaluation, both from real sealed bids opened by the engine. Safe to run again: a tender whose
title exists already is left as it is.

The bids must be sealed before the deadline and opened after it, on the real clock: these two
tenders are published with a deadline a few seconds away (the platform's minimum response time
is lifted for them alone, as a test platform would set it), bid on, and opened once it passes.
"""

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from bidding import opening, sealing
from bidding.actions import submit_bid
from bidding.keys import public_envelopes
from evaluation import actions
from evaluation.standing import requirements
from marketplace.errors import ActionError
from suppliers.models import Supplier
from tenders import actions as tender_actions
from tenders.actions import CriterionSpec, DraftSpec, ItemSpec, LotSpec
from tenders.models import Tender

AWARDED = "LED street lighting retrofit, Naas town centre"
EVALUATING = "Office furniture for the regional offices"
T = TypeVar("T")
# Seconds from publication to the deadline, tried in turn (see `sealed_in_time`).
WINDOWS = (5, 15, 45)
# The clarification deadline of the demo tenders, before their submission deadline.
CLARIFICATION_LEAD = timedelta(seconds=2)
# The awarded tender asks a bid deposit; apps above (payments) register here how a demo firm
# gives it, as `(world, tender, organisation, user)`, before the firm's bid is sealed.
before_bidding: list = []
# Apps above (contracts) publish their own demo tenders and seal their bids to the same deadline,
# as `(world, deadline)`, so that the one wait below serves them too.
before_deadline: list = []


def seed(world, stdout) -> None:
    agency = world.organisations["agency"]
    officer = world.users["officer@mpw.example"]
    evaluator = world.users["evaluator@mpw.example"]
    firms = {key: world.organisations[key] for key in ("lotus", "harbour", "continental")}
    if Supplier.objects.filter(organisation__in=firms.values(), status=Supplier.Status.VERIFIED).count() < len(firms):
        stdout.write("Demo evaluations skipped: the demo suppliers are not verified.")
        return
    wanted = [title for title in (AWARDED, EVALUATING) if not Tender.objects.filter(buyer=agency, title=title).exists()]
    if not wanted:
        return
    bidders = {key: world.users[f"bidder@{key}.example"] for key in firms}

    def seal(deadline) -> dict[str, Tender]:
        with override_settings(MIN_RESPONSE_DAYS_OPEN=0, MIN_RESPONSE_HOURS_RFQ=0):
            tenders = {title: _publish(officer, agency, title, deadline) for title in wanted}
        for title, tender in tenders.items():
            for key, prices in BIDS[title].items():
                for give_security in before_bidding:
                    give_security(world, tender, firms[key], bidders[key])
                _bid(bidders[key], firms[key], tender, prices)
        for seal_more in before_deadline:
            seal_more(world, deadline)
        return tenders

    deadline, tenders = sealed_in_time(seal, stdout)
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + 1)
    for tender in tenders.values():
        opening.open_tender(tender.pk)
    if AWARDED in tenders:
        _award(officer, evaluator, tenders[AWARDED])
    if EVALUATING in tenders:
        _start(officer, evaluator, tenders[EVALUATING])
    stdout.write(f"Demo evaluations: {len(tenders)} tender(s) opened and evaluated from sealed bids.")


BIDS = {
    AWARDED: {"lotus": {1: "184500.00"}, "continental": {1: "176900.00"}, "harbour": {1: "192300.00"}},
    EVALUATING: {
        "lotus": {1: "61200.00", 2: "18400.00"},
        "continental": {1: "57800.00", 2: "19900.00"},
        "harbour": {1: "64900.00", 2: "17300.00"},
    },
}


def sealed_in_time(seal: Callable[[datetime], T], stdout) -> tuple[datetime, T]:
    """`seal(deadline)` in one transaction, for a deadline a few seconds away.

    Publishing the tenders and sealing their bids must end before the clarification deadline; on
    a machine too busy for that, the rules refuse the late step, nothing of the attempt is kept,
    and the next, longer window is tried."""
    for seconds in WINDOWS:
        deadline = (timezone.now() + timedelta(seconds=seconds)).replace(microsecond=0)
        try:
            with transaction.atomic():
                return deadline, seal(deadline)
        except ActionError:
            if seconds == WINDOWS[-1] or timezone.now() < deadline - CLARIFICATION_LEAD:
                raise  # refused for another reason than the time
            stdout.write("The machine is busy: the demo tenders are published again, with a later deadline.")
    raise AssertionError("the last window raises")


def _spec(title: str, deadline) -> DraftSpec:
    common = {
        "currency": "EUR",
        "submission_deadline": deadline,
        "clarification_deadline": deadline - CLARIFICATION_LEAD,
        "standstill_days": 14,
    }
    if title == AWARDED:
        return DraftSpec(
            fields=common
            | {
                "title": title,
                "description": "Replacement of 640 sodium street lights by LED luminaires, with a five-year maintenance.",
                "main_category": "34993000",
                "estimated_value": Decimal("195000.00"),
                "deposit_amount": Decimal("3900.00") if before_bidding else None,
            },
            lots=[LotSpec(items=[ItemSpec("LED luminaire, 40 W, installed", Decimal("640"), "piece", "34993000")])],
        )
    return DraftSpec(
        fields=common
        | {
            "title": title,
            "description": "Desks, chairs and storage for four regional offices.",
            "main_category": "39130000",
            "divided_into_lots": True,
            "envelope_mode": "two",
            "award_method": "weighted",
            "price_weight": 60,
        },
        lots=[
            LotSpec(
                title="Desks and storage",
                estimated_value=Decimal("65000"),
                items=[ItemSpec("Height-adjustable desk", Decimal("180"), "piece", "39121100")],
            ),
            LotSpec(
                title="Chairs",
                estimated_value=Decimal("20000"),
                items=[ItemSpec("Ergonomic office chair", Decimal("180"), "piece", "39130000")],
            ),
        ],
        criteria=[
            CriterionSpec("Ergonomics and certification", 25, "EN 527 / EN 1335, adjustability.", 10),
            CriterionSpec("Delivery and installation plan", 15, "Weeks to install, one office at a time.", 5),
        ],
    )


def _publish(officer, agency, title: str, deadline) -> Tender:
    tender = tender_actions.create_draft(officer, agency, _spec(title, deadline))
    return tender_actions.publish_tender(officer, tender)


def _bid(user, organisation, tender: Tender, prices: dict[int, str]) -> None:
    documents = [sealing.Document("offer.txt", "text/plain", f"{organisation.name}: offer for {tender.title}.".encode())]
    envelopes = {}
    for envelope in public_envelopes(tender):
        content = sealing.plaintext(
            tender_id=tender.pk,
            envelope=envelope["name"],
            organisation_id=organisation.pk,
            prices={} if envelope["name"] == "technical" else {n: Decimal(v) for n, v in prices.items()},
            currency=tender.currency,
            documents=documents,
        )
        envelopes[envelope["name"]] = sealing.seal(
            content, envelope["jwk"], kid=envelope["kid"], organisation_id=organisation.pk, tender_id=tender.pk
        )
    submit_bid(user, organisation, tender, envelopes, lots=sorted(prices))


def _checks(tender: Tender, failed: str = "") -> dict:
    checks = {key: (True, "Present and valid in the opened envelope.") for key, _label in requirements(tender)}
    if failed:
        checks["documents"] = (False, failed)
    return checks


def _award(officer, evaluator, tender: Tender) -> None:
    tender.refresh_from_db()
    actions.start_evaluation(officer, tender, [evaluator])
    actions.declare_interests(evaluator, tender)
    for bid in tender.bids.filter(status="opened").select_related("organisation"):
        failed = "No photometric calculation for the town-centre streets." if bid.organisation.code == "harbour" else ""
        actions.qualify_bid(officer, tender, bid, _checks(tender, failed))
    actions.approve_report(officer, tender)
    actions.award_tender(officer, tender)


def _start(officer, evaluator, tender: Tender) -> None:
    tender.refresh_from_db()
    actions.start_evaluation(officer, tender, [evaluator])
    actions.declare_interests(evaluator, tender)
    for bid in tender.bids.filter(status="opened").select_related("organisation"):
        if bid.organisation.code != "harbour":  # left for the officer to judge in the demo
            actions.qualify_bid(officer, tender, bid, _checks(tender))
