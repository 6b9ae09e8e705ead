"""A contract's life: drawn up from the confirmed award, prepared, signed by both, or refused."""

from datetime import timedelta
from decimal import Decimal

import pytest

from contracts import actions, document, signatures, tasks
from contracts.models import Contract, ContractSignature
from contracts.signals import contract_refused
from evaluation.actions import confirm_awards
from evaluation.models import Award
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import AuditEvent, LiveEvent, Notification
from tests.contracts.helpers import PERIOD, confirm_award, milestone_plans
from tests.contracts.test_document import page_text
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(officer, evaluator, deadline, firms):
    tender, award, travel, clock = confirm_award(officer, evaluator, deadline, firms)
    yield tender, award, clock
    travel.stop()


@pytest.fixture
def contract(confirmed):
    return Contract.objects.get(award=confirmed[1])


@pytest.fixture
def sent(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    return actions.send_for_signature(officer, contract)


def stored(contract) -> dict:
    contract.refresh_from_db()
    return {
        "status": contract.status,
        "signed_sha256": contract.signed_sha256,
        "signatures": ContractSignature.objects.filter(contract=contract).count(),
        "award": contract.award.status,
    }


def test_a_confirmed_award_gets_a_draft_contract_fixed_by_the_award(confirmed, contract, settings):
    tender, award, _clock = confirmed
    assert contract.status == Contract.Status.DRAFT and contract.number == f"{tender.reference}-C1"
    assert (contract.value, contract.currency, contract.supplier_id) == (Decimal("900.00"), "EUR", award.supplier_id)
    assert contract.signing_deadline == award.confirmed_at + timedelta(days=settings.CONTRACT_SIGNING_DAYS)
    [item] = contract.items.all()
    assert (item.description, item.quantity, item.unit_price) == ("Asphalt", Decimal("100"), Decimal("9.00"))
    assert contract.supplier_details["legal_name"] == "Alpha Works Ltd"
    assert contract.supplier_details["registration_number"] and contract.supplier_details["address"]
    assert [s["email"] for s in contract.supplier_details["signatories"]] == ["admin@alpha.test"]
    assert [s["email"] for s in contract.buyer_details["signatories"]] == ["officer@mot.test"]
    assert AuditEvent.objects.filter(action="contract.drawn_up").count() == 1
    assert LiveEvent.objects.filter(kind="contract.drawn_up", subject=f"org.{award.supplier_id}").exists()


def test_a_lot_priced_as_a_whole_keeps_its_total_unsplit():
    class Line:
        def __init__(self, quantity):
            self.quantity = Decimal(quantity)

    assert actions.lot_unit_prices([Line("3")], Decimal("1000.00"), Decimal("1000.00")) == [None]
    assert actions.lot_unit_prices([Line("4"), Line("1")], Decimal("1000.00"), Decimal("1000.00")) == [None, None]
    assert actions.lot_unit_prices([Line("4")], Decimal("1000.00"), Decimal("1000.00")) == [Decimal("250.00")]


def test_drawing_up_twice_keeps_one_contract(confirmed, contract):
    _tender, award, _clock = confirmed
    assert actions.draw_up_contract(award, actor=None, now=award.confirmed_at) == contract
    assert Contract.objects.count() == 1


def test_the_officer_edits_dates_signatories_and_terms(contract, officer):
    changes = PERIOD | {"special_terms": "Warranty of five years.", "buyer_signatories": [{"name": "Jane Doe", "title": "Director"}]}
    edited = actions.edit_draft(officer, contract, changes)
    assert edited.period_end == PERIOD["period_end"] and edited.version == 2
    assert edited.buyer_details["signatories"] == [{"name": "Jane Doe", "title": "Director", "email": ""}]
    assert AuditEvent.objects.filter(action="contract.edited").count() == 1


@pytest.mark.parametrize("field", ["value", "items", "supplier", "currency"])
def test_what_the_award_fixed_cannot_be_edited(contract, officer, field):
    with pytest.raises(ActionError) as refused:
        actions.edit_draft(officer, contract, {field: "anything", "special_terms": "x"})
    assert refused.value.status == 422 and refused.value.problems[0].as_dict()["code"] == "fixed_by_award"
    contract.refresh_from_db()
    assert contract.version == 1 and contract.special_terms == ""


def test_a_draft_without_its_period_is_not_sent(contract, officer):
    with pytest.raises(ActionError) as refused:
        actions.send_for_signature(officer, contract)
    assert {p.field for p in refused.value.problems} == {"period_start", "period_end"}
    assert stored(contract)["status"] == Contract.Status.DRAFT


def test_signed_by_both_the_contract_is_active_and_both_signatures_cover_the_file(sent, officer, supplier_a):
    assert sent.status == Contract.Status.AWAITING_SIGNATURES and len(sent.document_sha256) == 64
    assert Notification.objects.filter(user=supplier_a, kind="contract.to_sign").exists()
    actions.sign_contract(supplier_a, sent, password=PASSWORD)
    active = actions.sign_contract(officer, sent, password=PASSWORD)
    assert active.status == Contract.Status.ACTIVE and active.signed_at is not None
    with active.signed_document.open("rb") as file:
        pdf = file.read()
    checked = signatures.verify_pdf(pdf)
    assert [s.field for s in checked.signatures] == ["SupplierSignature", "BuyerSignature"]
    assert checked.all_valid and checked.signatures[-1].coverage == "entire_file"
    assert [s.signer.email for s in checked.signatures] == ["admin@alpha.test", "officer@mot.test"]
    assert checked.sha256 == active.signed_sha256
    assert set(AuditEvent.objects.filter(object_id=str(active.pk), action__startswith="contract.").values_list("action", flat=True)) >= {
        "contract.signed",
        "contract.activated",
    }
    assert LiveEvent.objects.filter(kind="contract.signed", subject=f"tender.{active.tender_id}").count() == 2


def test_a_wrong_password_signs_nothing(sent, supplier_a):
    before = stored(sent)
    with pytest.raises(Forbidden) as refused:
        actions.sign_contract(supplier_a, sent, password="not my password")
    assert refused.value.problems[0].code == "wrong_password" and stored(sent) == before


def test_signing_twice_is_refused(sent, supplier_a):
    actions.sign_contract(supplier_a, sent, password=PASSWORD)
    before = stored(sent)
    with pytest.raises(Conflict) as refused:
        actions.sign_contract(supplier_a, sent, password=PASSWORD)
    assert refused.value.problems[0].code == "already_signed" and stored(sent) == before


def test_the_buyer_cannot_sign_before_the_supplier(sent, officer):
    with pytest.raises(Conflict) as refused:
        actions.sign_contract(officer, sent, password=PASSWORD)
    assert refused.value.problems[0].code == "supplier_signs_first" and stored(sent)["signatures"] == 0


@pytest.mark.parametrize("persona", ["supplier_b", "bidder_a", "other_officer", "auditor"])
def test_no_one_signs_for_another_firm(sent, persona, request):
    before = stored(sent)
    with pytest.raises(Forbidden) as refused:
        actions.sign_contract(request.getfixturevalue(persona), sent, password=PASSWORD)
    assert refused.value.problems[0].code == "not_a_signatory" and stored(sent) == before


def test_a_declined_contract_cancels_the_award_and_tells_payments(sent, supplier_a, officer):
    heard = []
    contract_refused.connect(lambda sender, **kw: heard.append(kw["cause"]), sender=Contract, weak=False, dispatch_uid="test.heard")
    try:
        cancelled = actions.decline_contract(supplier_a, sent, reason="We cannot deliver at that price.")
    finally:
        contract_refused.disconnect(sender=Contract, dispatch_uid="test.heard")
    assert cancelled.status == Contract.Status.CANCELLED and heard == ["declined"]
    award = Award.objects.get(pk=sent.award_id)
    assert award.status == Award.Status.CANCELLED and award.cancellation_reason == "We cannot deliver at that price."
    assert Notification.objects.filter(user=officer, kind="contract.cancelled").exists()


def test_a_cancelled_contract_cannot_be_signed(sent, supplier_a):
    actions.decline_contract(supplier_a, sent, reason="No capacity.")
    before = stored(sent)
    with pytest.raises(Conflict) as refused:
        actions.sign_contract(supplier_a, sent, password=PASSWORD)
    assert refused.value.problems[0].code == "not_awaiting_signatures" and stored(sent) == before


def test_only_the_winning_firm_declines(sent, supplier_b, officer):
    for person in (supplier_b, officer):
        with pytest.raises(Forbidden):
            actions.decline_contract(person, sent, reason="No.")
    assert stored(sent)["status"] == Contract.Status.AWAITING_SIGNATURES


def test_a_supplier_signature_one_second_before_the_deadline_counts(sent, supplier_a, confirmed):
    confirmed[2].move_to(sent.signing_deadline - timedelta(seconds=1))
    assert tasks.sweep_contracts.call()["expired"] == 0
    assert actions.sign_contract(supplier_a, sent, password=PASSWORD).signatures.count() == 1


def test_one_second_after_the_deadline_the_contract_and_award_lapse(sent, supplier_a, confirmed):
    confirmed[2].move_to(sent.signing_deadline + timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        actions.sign_contract(supplier_a, sent, password=PASSWORD)
    assert refused.value.problems[0].code == "signing_period_over"
    assert tasks.sweep_contracts.call()["expired"] == 1
    assert stored(sent) | {"signed_sha256": ""} == {
        "status": Contract.Status.CANCELLED,
        "signed_sha256": "",
        "signatures": 0,
        "award": Award.Status.CANCELLED,
    }
    assert tasks.sweep_contracts.call()["expired"] == 0  # idempotent


def test_a_supplier_who_signed_in_time_is_not_expired(sent, supplier_a, confirmed):
    actions.sign_contract(supplier_a, sent, password=PASSWORD)
    confirmed[2].move_to(sent.signing_deadline + timedelta(days=1))
    assert tasks.sweep_contracts.call()["expired"] == 0 and stored(sent)["status"] == Contract.Status.AWAITING_SIGNATURES


def test_confirming_again_draws_up_nothing_more(confirmed, contract, officer):
    tender, *_rest = confirmed
    with pytest.raises(Conflict):
        confirm_awards(officer, tender)
    assert Contract.objects.count() == 1


def test_the_sent_document_states_the_milestones_written_in_the_draft(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    actions.set_milestones(officer, contract, milestone_plans("600.00", "300.00"))
    sent = actions.send_for_signature(officer, contract)
    with sent.document.open("rb") as file:
        text = page_text(document.RenderedDocument(file.read(), "en"))
    assert "Stage 1" in text and "Deliverables of stage 2" in text and "600.00" in text and "300.00" in text
    assert "Payment in one sum" not in text
