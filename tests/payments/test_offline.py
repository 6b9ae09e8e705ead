"""Bank transfers: the payer quotes a reference, a finance officer confirms what arrived."""

from decimal import Decimal

import pytest
from django.db import transaction
from stdnum import iso11649

from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import AuditEvent, LiveEvent
from payments import actions, ledger
from payments.models import Account, Gateway, Payment, Purpose, Refund
from payments.money import Money
from tenders.actions import create_draft
from tests.tenders.factories import complete_spec

pytestmark = pytest.mark.django_db

EUR = "EUR"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), EUR)


@pytest.fixture
def pending(deposit_request):
    return actions.create_payment(None, **deposit_request(), gateway=Gateway.OFFLINE).payment


def test_payment_waits_for_a_transfer_quoting_an_iso_11649_reference(deposit_request):
    start = actions.create_payment(None, **deposit_request(), gateway=Gateway.OFFLINE)
    assert start.payment.status == Payment.Status.PENDING
    assert iso11649.is_valid(start.reference)
    assert start.payment.gateway_reference == start.reference


def test_asking_again_with_the_same_key_returns_the_same_payment(deposit_request):
    first = actions.create_payment(None, **deposit_request(), gateway=Gateway.OFFLINE)
    again = actions.create_payment(None, **deposit_request(), gateway=Gateway.OFFLINE)
    assert again.payment.pk == first.payment.pk and again.reference == first.reference
    assert Payment.objects.count() == 1


def test_same_key_with_another_amount_is_a_conflict(deposit_request):
    actions.create_payment(None, **deposit_request(), gateway=Gateway.OFFLINE)
    with pytest.raises(Conflict) as error:
        actions.create_payment(None, **deposit_request(amount="2600.00"), gateway=Gateway.OFFLINE)
    assert error.value.problems[0].code == "idempotency_key_reused"


def test_finance_officer_confirms_the_transfer_and_the_ledger_holds_the_deposit(pending, finance_officer, supplier_org_a):
    paid = actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-778812", received=eur("2500.00"))
    assert paid.status == Payment.Status.SUCCEEDED and paid.confirmed_by == finance_officer
    assert ledger.balances() == {(Account.CASH_AT_BANK, EUR): 250000, (Account.DEPOSITS_HELD, EUR): -250000}
    assert AuditEvent.objects.filter(action="payment.succeeded", object_id=str(paid.pk)).count() == 1
    assert LiveEvent.objects.filter(subject=f"org.{supplier_org_a.pk}", kind="payment.succeeded").exists()


def test_the_agency_hears_no_live_event_of_a_deposit(pending, finance_officer, agency):
    # Who intends to bid stays unknown to the buyer's people until the deadline.
    actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-1", received=eur("2500.00"))
    assert not LiveEvent.objects.filter(subject=f"org.{agency.pk}").exists()


def test_a_transfer_of_another_amount_is_refused_and_nothing_is_posted(pending, finance_officer):
    with pytest.raises(ActionError) as error:
        actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-1", received=eur("2499.99"))
    assert error.value.problems[0].code == "amount_mismatch"
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert ledger.balances() == {}


def test_confirming_twice_is_a_conflict_and_posts_once(pending, finance_officer):
    actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-1", received=eur("2500.00"))
    with pytest.raises(Conflict):
        actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-1", received=eur("2500.00"))
    assert ledger.balances()[(Account.CASH_AT_BANK, EUR)] == 250000


@pytest.mark.parametrize("who", ["officer", "supplier_a", "other_officer", "outsider"])
def test_only_the_payees_finance_officer_confirms(pending, request, who):
    with pytest.raises(Forbidden):
        actions.confirm_offline_payment(request.getfixturevalue(who), pending, bank_reference="B", received=eur("2500.00"))
    assert Payment.objects.get().status == Payment.Status.PENDING


def test_refund_in_two_parts_then_the_payment_is_refunded(pending, finance_officer):
    actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-1", received=eur("2500.00"))
    first = actions.request_refund(None, pending, amount=eur("1000.00"), reason="Partial release", idempotency_key="r1")
    assert first.status == Refund.Status.PENDING
    assert ledger.balances()[(Account.REFUNDS_PAYABLE, EUR)] == -100000
    actions.confirm_offline_refund(finance_officer, first, bank_reference="OUT-1")
    rest = actions.request_refund(None, pending, reason="Tender awarded to another firm", idempotency_key="r2")
    assert rest.money == eur("1500.00")
    actions.confirm_offline_refund(finance_officer, rest, bank_reference="OUT-2")
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert {k: v for k, v in ledger.balances().items() if v} == {}


def test_refund_of_an_unpaid_payment_is_a_conflict_and_changes_nothing(pending):
    with pytest.raises(Conflict) as error:
        actions.request_refund(None, pending, reason="No", idempotency_key="r1")
    assert error.value.problems[0].code == "not_paid"
    assert not Refund.objects.exists() and ledger.balances() == {}


def test_refund_over_what_is_left_is_refused(pending, finance_officer):
    actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-1", received=eur("2500.00"))
    actions.request_refund(None, pending, amount=eur("2000.00"), reason="Part", idempotency_key="r1")
    with pytest.raises(ActionError) as error:
        actions.request_refund(None, pending, amount=eur("500.01"), reason="Too much", idempotency_key="r2")
    assert error.value.problems[0].code == "over_refund"
    assert Refund.objects.count() == 1


def test_refund_in_another_currency_is_refused(pending, finance_officer):
    actions.confirm_offline_payment(finance_officer, pending, bank_reference="BANK-1", received=eur("2500.00"))
    with pytest.raises(ActionError) as error:
        actions.request_refund(None, pending, amount=Money(Decimal("10"), "USD"), reason="Wrong", idempotency_key="r1")
    assert error.value.problems[0].code == "currency_mismatch"


def test_cancelled_payment_cannot_be_confirmed(pending, finance_officer):
    actions.cancel_payment(None, pending, reason="Tender cancelled")
    with pytest.raises(Conflict):
        actions.confirm_offline_payment(finance_officer, pending, bank_reference="B", received=eur("2500.00"))
    assert Payment.objects.get().status == Payment.Status.CANCELLED


def test_settlement_money_paid_out_to_the_supplier_cannot_be_refunded(agency, supplier_org_a, finance_officer):
    # The agency pays an invoice by bank transfer; its finance officer records the transfer.
    payment = actions.create_payment(
        None,
        payer=agency,
        payee=supplier_org_a,
        purpose=Purpose.INVOICE_SETTLEMENT,
        amount=eur("800.00"),
        idempotency_key="inv:1",
        gateway=Gateway.OFFLINE,
    ).payment
    actions.confirm_offline_payment(finance_officer, payment, bank_reference="TREASURY-9", received=eur("800.00"))
    with transaction.atomic():
        ledger.supplier_paid_out("settle:1", Gateway.OFFLINE, supplier_org_a.pk, eur("800.00"), eur("2.00"), payment.created_at)
    with pytest.raises(Conflict) as error:
        actions.request_refund(None, payment, reason="Overpaid", idempotency_key="r1")
    assert error.value.problems[0].code == "paid_out"
    assert ledger.balances()[(Account.FEE_REVENUE, "EUR")] == -200


def test_same_key_for_another_tender_is_a_conflict(deposit_request, officer, agency):
    tender = create_draft(officer, agency, complete_spec())
    actions.create_payment(None, **deposit_request(), gateway=Gateway.OFFLINE)
    with pytest.raises(Conflict):
        actions.create_payment(None, **deposit_request(tender=tender), gateway=Gateway.OFFLINE)
