"""Demo contracts for `manage.py seed_demo`: two tenders awarded from real sealed bids with no
standstill (a demo setting), each award confirmed into a draft contract. One contract is signed
by both parties, its first milestone delivered and accepted, its second delivered and awaiting
acceptance; the other waits for the supplier's signature. Safe to run again: a tender whose
title exists already is left as it is.
"""

import time
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from django.utils import timezone

from bidding import opening
from contracts import actions, deliveries, document
from contracts.models import Contract, Milestone
from evaluation import actions as evaluation_actions
from evaluation import demo as evaluation_demo
from marketplace.demo import DEMO_PASSWORD
from tenders import actions as tender_actions
from tenders.actions import DraftSpec, ItemSpec, LotSpec
from tenders.demo import pdf
from tenders.models import Tender

ACTIVE = "Winter road salt for the 2027 season"
AWAITING_SIGNATURE = "Network switches for the ministry's offices"
SPECS = {
    ACTIVE: {
        "description": "4,000 tonnes of rock salt delivered to the council's three depots before November.",
        "main_category": "34927100",
        "estimated_value": Decimal("420000.00"),
        "item": ItemSpec("Rock salt for de-icing, delivered", Decimal("4000"), "tonne", "34927100"),
        "bids": {"continental": "398000.00", "lotus": "405500.00"},
    },
    AWAITING_SIGNATURE: {
        "description": "48 managed network switches, installed, with three years of support.",
        "main_category": "32420000",
        "estimated_value": Decimal("260000.00"),
        "item": ItemSpec("Managed switch, 48 ports, installed", Decimal("48"), "piece", "32420000"),
        "bids": {"harbour": "238400.00", "lotus": "246000.00"},
    },
}


def prepare(world, stdout) -> None:
    """Runs before the evaluation demo, whose wait for its deadline then serves these tenders too."""
    if seal_before_deadline not in evaluation_demo.before_deadline:
        evaluation_demo.before_deadline.append(seal_before_deadline)


def seal_before_deadline(world, deadline) -> None:
    world.sealed["contracts"] = _seal(world, deadline)


def seed(world, stdout) -> None:
    officer, evaluator = world.users["officer@mpw.example"], world.users["evaluator@mpw.example"]
    tenders = world.sealed.pop("contracts", None)
    if tenders is None:  # the evaluation demo had nothing to wait for: wait here
        deadline, tenders = evaluation_demo.sealed_in_time(lambda deadline: _seal(world, deadline), stdout)
        if tenders:
            time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + 1)
    if not tenders:
        return
    for tender in tenders.values():
        opening.open_tender(tender.pk)
        _award_and_confirm(officer, evaluator, tender)
    if ACTIVE in tenders:
        _perform(world, officer, Contract.objects.get(tender=tenders[ACTIVE]))
    if AWAITING_SIGNATURE in tenders:
        contract = Contract.objects.get(tender=tenders[AWAITING_SIGNATURE])
        _set_milestones(officer, contract)
        actions.send_for_signature(officer, contract)
    stdout.write(f"Demo contracts: {len(tenders)} contract(s) drawn up from confirmed awards.")


def _seal(world, deadline) -> dict[str, Tender]:
    """The demo tenders not made yet, published to `deadline`, with their bids sealed."""
    agency, officer = world.organisations["agency"], world.users["officer@mpw.example"]
    wanted = [title for title in SPECS if not Tender.objects.filter(buyer=agency, title=title).exists()]
    with override_settings(MIN_RESPONSE_DAYS_OPEN=0, MIN_RESPONSE_HOURS_RFQ=0):
        tenders = {title: _publish(officer, agency, title, deadline) for title in wanted}
    for title, tender in tenders.items():
        for key, price in SPECS[title]["bids"].items():
            evaluation_demo._bid(world.users[f"bidder@{key}.example"], world.organisations[key], tender, {1: price})
    return tenders


def _publish(officer, agency, title: str, deadline) -> Tender:
    spec = SPECS[title]
    fields = {
        "title": title,
        "description": spec["description"],
        "main_category": spec["main_category"],
        "estimated_value": spec["estimated_value"],
        "currency": "EUR",
        "submission_deadline": deadline,
        "clarification_deadline": deadline - evaluation_demo.CLARIFICATION_LEAD,
        "standstill_days": 0,  # the demo confirms its awards at once; a real tender keeps its standstill
    }
    tender = tender_actions.create_draft(officer, agency, DraftSpec(fields=fields, lots=[LotSpec(items=[spec["item"]])]))
    return tender_actions.publish_tender(officer, tender)


def _award_and_confirm(officer, evaluator, tender: Tender) -> None:
    tender.refresh_from_db()
    evaluation_actions.start_evaluation(officer, tender, [evaluator])
    evaluation_actions.declare_interests(evaluator, tender)
    for bid in tender.bids.filter(status="opened"):
        evaluation_actions.qualify_bid(officer, tender, bid, evaluation_demo._checks(tender))
    evaluation_actions.approve_report(officer, tender)
    evaluation_actions.award_tender(officer, tender)
    evaluation_actions.confirm_awards(officer, tender)


def _set_milestones(officer, contract: Contract) -> None:
    today = timezone.localdate()
    contract = actions.edit_draft(officer, contract, {"period_start": today, "period_end": today + timedelta(days=120)})
    half = (contract.value / 2).quantize(Decimal("0.01"))
    middle = contract.period_start + (contract.period_end - contract.period_start) / 2
    actions.set_milestones(
        officer,
        contract,
        [
            document.Milestone("First half of the delivery", middle, half, "Delivery notes signed at each site."),
            document.Milestone(
                "Second half of the delivery", contract.period_end, contract.value - half, "Delivery notes and the final report."
            ),
        ],
    )


def _perform(world, officer, contract: Contract) -> None:
    supplier_admin = world.users[f"admin@{contract.supplier.code}.example"]
    _set_milestones(officer, contract)
    contract = actions.send_for_signature(officer, contract)
    contract = actions.sign_contract(supplier_admin, contract, password=DEMO_PASSWORD)
    contract = actions.sign_contract(officer, contract, password=DEMO_PASSWORD)
    first, second = contract.milestones.order_by("number")
    note = pdf([f"Delivery note, {contract.number}", "2,000 tonnes delivered to the Naas, Athy and Kildare depots."])
    deliveries.report_delivery(supplier_admin, first, note="Half of the salt delivered to the three depots.", documents=[_upload(note)])
    deliveries.accept_delivery(officer, Milestone.objects.get(pk=first.pk))
    deliveries.report_delivery(supplier_admin, second, note="The rest of the salt delivered; weighbridge tickets attached.")


def _upload(content: bytes):
    return SimpleUploadedFile("delivery-note.pdf", content, content_type="application/pdf")
