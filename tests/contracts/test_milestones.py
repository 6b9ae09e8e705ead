"""Milestones: written in the draft, delivered by the firm, accepted or rejected by the buyer,
flagged when overdue; the contract completes when the last is accepted and paid, and the tender with it."""

import importlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm import TransitionNotAllowed

from contracts import actions, closing, deliveries, tasks
from contracts.models import Contract, Delivery, Milestone
from contracts.signals import milestone_accepted
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import AuditEvent, LiveEvent, Notification
from tenders.demo import pdf
from tenders.models import Tender
from tests.contracts.helpers import PERIOD, confirm_award, confirm_awards_of_lots, milestone_plans, paid, signed_by_both

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_documents")]

PDF = pdf(["Delivery note", "640 luminaires installed"])  # a real PDF


@pytest.fixture
def confirmed(officer, evaluator, deadline, firms):
    _tender, award, travel, clock = confirm_award(officer, evaluator, deadline, firms)
    yield Contract.objects.get(award=award), clock
    travel.stop()


@pytest.fixture
def contract(confirmed):
    return confirmed[0]


@pytest.fixture
def active(contract, officer, supplier_a):
    return signed_by_both(contract, officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))


def milestone(contract, number: int) -> Milestone:
    return Milestone.objects.get(contract=contract, number=number)


def stored(contract) -> dict:
    contract.refresh_from_db()
    return {
        "contract": (contract.status, contract.version),
        "milestones": [(m.number, m.status, m.amount) for m in contract.milestones.all()],
        "deliveries": Delivery.objects.filter(milestone__contract=contract).count(),
    }


def pdf(name: str = "delivery-note.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_milestones_written_in_the_draft_are_signed_with_the_contract(contract, officer, supplier_a):
    active = signed_by_both(contract, officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))
    assert [(m.number, m.amount, m.due_date, m.status) for m in active.milestones.all()] == [
        (1, Decimal("600.00"), date(2027, 3, 1), Milestone.Status.PLANNED),
        (2, Decimal("300.00"), date(2027, 6, 30), Milestone.Status.PLANNED),
    ]
    assert AuditEvent.objects.filter(action="contract.milestones_set", object_id=str(contract.pk)).count() == 1


def test_milestone_amounts_not_summing_to_the_value_are_refused(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    before = stored(contract)
    with pytest.raises(ActionError) as refused:
        actions.set_milestones(officer, contract, milestone_plans("600.00", "299.99"))
    assert refused.value.status == 422
    assert [(p.field, p.code) for p in refused.value.problems] == [("milestones", "amounts_do_not_sum")]
    assert "899.99" in refused.value.problems[0].message and "900.00" in refused.value.problems[0].message
    assert stored(contract) == before


def test_a_milestone_due_outside_the_period_is_refused(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    with pytest.raises(ActionError) as refused:
        actions.set_milestones(officer, contract, milestone_plans("900.00", due=(date(2027, 7, 1),)))
    assert [(p.field, p.code) for p in refused.value.problems] == [("milestones[0].due_date", "due_outside_period")]
    assert not contract.milestones.exists()


def test_sending_refuses_milestones_the_period_no_longer_holds(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    actions.set_milestones(officer, contract, milestone_plans("600.00", "300.00"))
    actions.edit_draft(officer, contract, {"period_end": date(2027, 5, 31)})
    with pytest.raises(ActionError) as refused:
        actions.send_for_signature(officer, contract)
    assert refused.value.status == 422 and refused.value.problems[0].code == "due_outside_period"
    assert stored(contract)["contract"][0] == Contract.Status.DRAFT


def test_sending_without_milestones_makes_one_for_the_whole_value(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    sent = actions.send_for_signature(officer, contract)
    [whole] = sent.milestones.all()
    assert (whole.number, whole.amount, whole.due_date, whole.description) == (
        1,
        Decimal("900.00"),
        PERIOD["period_end"],
        "Performance of the whole contract",
    )


def test_milestones_of_a_sent_contract_cannot_be_rewritten(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    actions.send_for_signature(officer, contract)
    before = stored(contract)
    with pytest.raises(Conflict) as refused:
        actions.set_milestones(officer, contract, milestone_plans("900.00"))
    assert refused.value.problems[0].code == "not_draft" and stored(contract) == before


def test_delivered_accepted_and_paid_milestones_complete_the_contract_and_the_tender(active, officer, supplier_a, finance_officer):
    heard = []
    milestone_accepted.connect(lambda sender, **kw: heard.append(kw["milestone"].number), sender=Milestone, weak=False, dispatch_uid="t")
    try:
        delivered = deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.", documents=[pdf()])
        assert delivered.status == Milestone.Status.DELIVERED
        assert Notification.objects.filter(user=officer, kind="milestone.delivered").exists()
        assert deliveries.accept_delivery(officer, delivered).status == Milestone.Status.ACCEPTED
        assert stored(active)["contract"][0] == Contract.Status.ACTIVE
        assert Tender.objects.get(pk=active.tender_id).status == Tender.Status.AWARDED
        deliveries.report_delivery(supplier_a, milestone(active, 2), note="Installed.")
        deliveries.accept_delivery(officer, milestone(active, 2))
    finally:
        milestone_accepted.disconnect(sender=Milestone, dispatch_uid="t")
    assert heard == [1, 2]
    assert stored(active)["contract"][0] == Contract.Status.ACTIVE  # accepted, not yet paid
    paid(milestone(active, 1), supplier_a, finance_officer)
    assert stored(active)["contract"][0] == Contract.Status.ACTIVE
    paid(milestone(active, 2), supplier_a, finance_officer)
    active.refresh_from_db()
    assert active.status == Contract.Status.COMPLETED and active.final_value == Decimal("900.00") and active.completed_at
    assert Tender.objects.get(pk=active.tender_id).status == Tender.Status.COMPLETED
    [document] = Delivery.objects.get(milestone__number=1, milestone__contract=active).documents.all()
    assert (document.filename, document.media_type, document.size) == ("delivery-note.pdf", "application/pdf", len(PDF))
    actions_seen = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"milestone.delivered", "milestone.accepted", "contract.completed", "tender.completed"} <= actions_seen
    assert LiveEvent.objects.filter(kind="contract.completed", subject=f"org.{active.supplier_id}").exists()


def test_a_rejected_delivery_is_delivered_again(active, officer, supplier_a, bidder_a):
    deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.")
    rejected = deliveries.reject_delivery(officer, milestone(active, 1), reason="Twelve lamps are broken.")
    assert rejected.status == Milestone.Status.REJECTED
    assert Notification.objects.filter(user=bidder_a, kind="milestone.rejected", body="Twelve lamps are broken.").exists()
    assert deliveries.report_delivery(bidder_a, rejected, note="Broken lamps replaced.").status == Milestone.Status.DELIVERED
    assert list(rejected.deliveries.values_list("decision", "reason")) == [("rejected", "Twelve lamps are broken."), ("", "")]


def test_a_rejection_needs_a_reason(active, officer, supplier_a):
    deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.")
    with pytest.raises(ActionError) as refused:
        deliveries.reject_delivery(officer, milestone(active, 1), reason="  ")
    assert refused.value.problems[0].field == "reason" and milestone(active, 1).status == Milestone.Status.DELIVERED


@pytest.mark.parametrize("persona", ["supplier_b", "officer", "finance_officer", "other_officer"])
def test_a_delivery_on_another_firms_contract_is_refused(active, persona, request):
    before = stored(active)
    with pytest.raises(Forbidden) as refused:
        deliveries.report_delivery(request.getfixturevalue(persona), milestone(active, 1), note="Delivered.", documents=[pdf()])
    assert refused.value.problems[0].code == "not_the_supplier" and stored(active) == before


@pytest.mark.parametrize("persona", ["supplier_a", "finance_officer", "other_officer"])
def test_only_the_buyers_officer_accepts(active, supplier_a, persona, request):
    deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.")
    before = stored(active)
    with pytest.raises(Forbidden) as refused:
        deliveries.accept_delivery(request.getfixturevalue(persona), milestone(active, 1))
    assert refused.value.problems[0].code == "not_the_buyer" and stored(active) == before


def test_accepting_twice_is_refused(active, officer, supplier_a):
    deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.")
    deliveries.accept_delivery(officer, milestone(active, 1))
    before = stored(active)
    with pytest.raises(Conflict) as refused:
        deliveries.accept_delivery(officer, milestone(active, 1))
    assert refused.value.problems[0].code == "not_delivered" and stored(active) == before
    assert AuditEvent.objects.filter(action="milestone.accepted").count() == 1


def test_an_undelivered_milestone_cannot_be_accepted_nor_delivered_twice(active, officer, supplier_a):
    with pytest.raises(Conflict):
        deliveries.accept_delivery(officer, milestone(active, 1))
    deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.")
    with pytest.raises(Conflict) as refused:
        deliveries.report_delivery(supplier_a, milestone(active, 1), note="Again.")
    assert refused.value.problems[0].code == "not_awaiting_delivery" and stored(active)["deliveries"] == 1


def test_no_delivery_before_both_parties_signed(contract, officer, supplier_a):
    actions.edit_draft(officer, contract, PERIOD)
    actions.send_for_signature(officer, contract)
    with pytest.raises(Conflict) as refused:
        deliveries.report_delivery(supplier_a, milestone(contract, 1), note="Early.")
    assert refused.value.problems[0].code == "not_active" and stored(contract)["deliveries"] == 0


def test_a_file_that_is_not_what_its_name_says_is_refused(active, supplier_a):
    before = stored(active)
    with pytest.raises(ActionError) as refused:
        deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps.", documents=[SimpleUploadedFile("note.pdf", b"MZ\x90")])
    assert refused.value.problems[0].as_dict()["field"] == "documents" and stored(active) == before


def test_a_milestone_is_overdue_one_second_after_its_due_date_ends(active, confirmed, officer, supplier_a):
    clock = confirmed[1]
    end_of_due_date = datetime(2027, 3, 2, tzinfo=UTC)  # milestone 1 is due on 1 March 2027 (TIME_ZONE is UTC)
    clock.move_to(end_of_due_date - timedelta(seconds=1))
    assert tasks.sweep_milestones.call() == {"flagged": 0}
    clock.move_to(end_of_due_date + timedelta(seconds=1))
    assert tasks.sweep_milestones.call() == {"flagged": 1}
    assert tasks.sweep_milestones.call() == {"flagged": 0}  # once per milestone
    for person in (officer, supplier_a):
        assert Notification.objects.filter(user=person, kind="milestone.overdue").count() == 1
    assert milestone(active, 1).overdue_notified_at is not None and milestone(active, 2).overdue_notified_at is None


def test_a_milestone_delivered_in_time_is_not_overdue(active, confirmed, supplier_a):
    deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.")
    confirmed[1].move_to(datetime(2027, 3, 5, tzinfo=UTC))
    assert tasks.sweep_milestones.call() == {"flagged": 0}


def test_a_tender_of_two_lots_completes_with_its_second_contract(officer, evaluator, deadline, firms, supplier_a, finance_officer):
    tender, awards, travel, _clock = confirm_awards_of_lots(officer, evaluator, deadline, firms, lots=2)
    try:
        first, second = (signed_by_both(Contract.objects.get(award=award), officer, supplier_a) for award in awards)
        closing.terminate_contract(officer, first, reason="Lot 1 stopped.", amount_paid=Decimal("0.00"))
        assert Tender.objects.get(pk=tender.pk).status == Tender.Status.AWARDED
        deliveries.report_delivery(supplier_a, milestone(second, 1), note="Lot 2 done.")
        deliveries.accept_delivery(officer, milestone(second, 1))
        assert Tender.objects.get(pk=tender.pk).status == Tender.Status.AWARDED
        paid(milestone(second, 1), supplier_a, finance_officer)
    finally:
        travel.stop()
    assert Tender.objects.get(pk=tender.pk).status == Tender.Status.COMPLETED
    assert AuditEvent.objects.filter(action="tender.completed", object_id=str(tender.pk)).count() == 1


def test_the_milestone_sweep_comes_back_after_the_next_midnight():
    assert tasks.next_local_midnight(datetime(2027, 3, 1, 13, 0, tzinfo=UTC)) == datetime(2027, 3, 2, 0, 0, 5, tzinfo=UTC)


def test_the_officer_terminates_an_active_contract_with_the_amount_paid(active, officer, supplier_a):
    terminated = closing.terminate_contract(officer, active, reason="The supplier stopped work.", amount_paid=Decimal("600.00"))
    assert terminated.status == Contract.Status.TERMINATED and terminated.final_value == Decimal("600.00")
    assert terminated.termination_reason == "The supplier stopped work."
    assert Tender.objects.get(pk=active.tender_id).status == Tender.Status.COMPLETED
    assert Notification.objects.filter(user=supplier_a, kind="contract.terminated").exists()
    with pytest.raises(Conflict):
        deliveries.report_delivery(supplier_a, milestone(active, 1), note="Late.")


def test_termination_is_refused_without_a_reason_over_the_value_or_by_the_firm(active, officer, supplier_a):
    for person, fields, code in [
        (officer, {"reason": "", "amount_paid": Decimal("0.00")}, "required"),
        (officer, {"reason": "Stopped.", "amount_paid": Decimal("900.01")}, "over_value"),
        (supplier_a, {"reason": "Stopped.", "amount_paid": Decimal("0.00")}, "not_the_buyer"),
    ]:
        with pytest.raises(ActionError) as refused:
            closing.terminate_contract(person, active, **fields)
        assert refused.value.problems[0].code == code
    assert stored(active)["contract"][0] == Contract.Status.ACTIVE


def test_an_accepted_milestone_may_be_invoiced_then_paid_and_nothing_else(active, officer, supplier_a):
    deliveries.report_delivery(supplier_a, milestone(active, 1), note="Lamps on site.")
    delivered = milestone(active, 1)
    with pytest.raises(TransitionNotAllowed):
        delivered.invoice(delivered.delivered_at)
    accepted = deliveries.accept_delivery(officer, delivered)
    moment = accepted.accepted_at
    accepted.invoice(moment)
    accepted.mark_paid(moment)
    assert (accepted.status, accepted.invoiced_at, accepted.paid_at) == (Milestone.Status.PAID, moment, moment)
    with pytest.raises(TransitionNotAllowed):
        accepted.deliver()


def test_contracts_sent_before_milestones_existed_get_one_for_the_whole_value(contract, officer):
    migration = importlib.import_module("contracts.migrations.0003_milestones")
    actions.edit_draft(officer, contract, PERIOD)
    actions.send_for_signature(officer, contract)
    contract.milestones.all().delete()
    migration.one_milestone_for_contracts_already_sent(apps, None)
    migration.one_milestone_for_contracts_already_sent(apps, None)
    assert [(m.number, m.amount, m.due_date) for m in contract.milestones.all()] == [(1, Decimal("900.00"), PERIOD["period_end"])]
