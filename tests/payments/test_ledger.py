"""The ledger balances: refused in `ledger.post`, refused again by the database, and proven over random sequences."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.errors import Conflict
from payments import actions, ledger
from payments.gateway import GatewayRefund
from payments.models import Account, Gateway, LedgerEntry, LedgerTransaction, Payment, Purpose, Refund
from payments.money import Money
from payments.reconcile import ledger_differences

pytestmark = pytest.mark.django_db


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def test_unbalanced_posting_is_refused_and_nothing_is_written():
    with pytest.raises(ledger.UnbalancedPosting), transaction.atomic():
        ledger.post("test:1", "test", [ledger.debit(Account.CASH_AT_BANK, eur("10.00")), ledger.credit(Account.DEPOSITS_HELD, eur("9.99"))])
    assert not LedgerTransaction.objects.exists() and not LedgerEntry.objects.exists()


def test_balance_is_per_currency():
    lines = [
        ledger.debit(Account.CASH_AT_BANK, eur("10.00")),
        ledger.credit(Account.DEPOSITS_HELD, Money(Decimal("1000"), "JPY")),
    ]
    with pytest.raises(ledger.UnbalancedPosting), transaction.atomic():
        ledger.post("test:1", "test", lines)


def test_the_same_fact_is_posted_once():
    lines = [ledger.debit(Account.CASH_AT_BANK, eur("1.00")), ledger.credit(Account.DEPOSITS_HELD, eur("1.00"))]
    with transaction.atomic():
        ledger.post("test:1", "test", lines)
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.post("test:1", "test", lines)


def _raw_transaction(amounts: list[int]) -> str:
    tx = LedgerTransaction.objects.create(key="raw", kind="raw")
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(transaction=tx, account=Account.CASH_AT_BANK, currency="EUR", amount_minor=a) for a in amounts]
    )
    return tx.pk


def test_database_refuses_to_post_an_unbalanced_transaction_written_around_ledger_post():
    with pytest.raises(Exception, match="does not balance"), transaction.atomic():
        pk = _raw_transaction([1000, -999])
        LedgerTransaction.objects.filter(pk=pk).update(posted=True)


def test_database_refuses_to_post_a_transaction_without_entries():
    with pytest.raises(Exception, match="does not balance"), transaction.atomic():
        pk = _raw_transaction([])
        LedgerTransaction.objects.filter(pk=pk).update(posted=True)


def test_database_refuses_to_change_a_posted_entry_or_add_one():
    with transaction.atomic():
        tx = ledger.post(
            "test:1", "test", [ledger.debit(Account.CASH_AT_BANK, eur("1.00")), ledger.credit(Account.DEPOSITS_HELD, eur("1.00"))]
        )
    with pytest.raises(Exception, match="cannot change"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=tx).update(amount_minor=500)
    with pytest.raises(Exception, match="posted ledger transaction"), transaction.atomic():
        LedgerEntry.objects.create(transaction=tx, account=Account.FEE_REVENUE, currency="EUR", amount_minor=1)
    with pytest.raises(Exception, match="cannot change"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=tx.pk).update(posted=False)
    assert ledger.unbalanced_transactions() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deleting posted rows is refused on PostgreSQL (SQLite: see migration 0002)")
def test_postgres_refuses_to_delete_a_posted_entry():
    with transaction.atomic():
        tx = ledger.post(
            "test:1", "test", [ledger.debit(Account.CASH_AT_BANK, eur("1.00")), ledger.credit(Account.DEPOSITS_HELD, eur("1.00"))]
        )
    with pytest.raises(Exception, match="cannot be deleted"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=tx).delete()


# The property: whatever happens, in whatever order, the ledger balances and matches the payments.

CURRENCIES = ["EUR", "JPY", "KWD"]
amounts = st.integers(min_value=1, max_value=5_000_000)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.sampled_from(CURRENCIES), amounts, st.sampled_from(list(Purpose.values))),
        st.tuples(st.just("confirm"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=50), st.integers(min_value=1, max_value=100)),
        st.tuples(st.just("refund_done"), st.integers(min_value=0, max_value=50), st.booleans()),
        st.tuples(st.just("settle"), st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=10)),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=50)),
    ),
    max_size=25,
)


def _pick(queryset, index: int):
    rows = list(queryset.order_by("created_at", "pk"))
    return rows[index % len(rows)] if rows else None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=steps)
def test_ledger_balances_over_any_sequence_of_payments_refunds_and_settlements(steps, agency, supplier_org_a, finance_officer):
    # Each example starts from an empty ledger: its work is rolled back at the end.
    with transaction.atomic():
        _run(steps, agency, supplier_org_a, finance_officer)
        _check_ledger()
        transaction.set_rollback(True)


def _run(steps, agency, supplier_org_a, finance_officer) -> None:
    for number, step in enumerate(steps):
        kind = step[0]
        if kind == "pay":
            _, currency, minor, purpose = step
            # A bidder pays the agency a deposit; the agency pays a supplier's invoice.
            payer, payee = (supplier_org_a, agency) if purpose == Purpose.BID_DEPOSIT else (agency, supplier_org_a)
            actions.create_payment(
                None,
                payer=payer,
                payee=payee,
                purpose=purpose,
                amount=Money.from_minor(minor, currency),
                idempotency_key=f"p:{number}",
                gateway=Gateway.OFFLINE,
            )
        elif kind == "confirm" and (payment := _pick(Payment.objects.filter(status=Payment.Status.PENDING), step[1])):
            actions.confirm_offline_payment(finance_officer, payment, bank_reference=f"B{number}", received=payment.money)
        elif kind == "refund" and (payment := _pick(Payment.objects.filter(status=Payment.Status.SUCCEEDED), step[1])):
            left = actions.refundable(payment)
            if left.minor > 0:
                part = Money.from_minor(max(1, left.minor * step[2] // 100), payment.currency)
                try:
                    actions.request_refund(None, payment, amount=part, reason="released", idempotency_key=f"r:{number}")
                except Conflict as refused:  # settlement money already paid out
                    assert refused.problems[0].code == "paid_out"
        elif kind == "refund_done" and (refund := _pick(Refund.objects.filter(status=Refund.Status.PENDING), step[1])):
            if step[2]:
                actions.confirm_offline_refund(finance_officer, refund, bank_reference=f"O{number}")
            else:
                failed = GatewayRefund(
                    reference=refund.gateway_reference, payment_reference="", status=Refund.Status.FAILED, amount=refund.money
                )
                actions.apply_gateway_refund(failed, source="test", refund=refund)
        elif kind == "settle":
            payment = _pick(Payment.objects.filter(status=Payment.Status.SUCCEEDED, purpose=Purpose.INVOICE_SETTLEMENT), step[1])
            if payment is not None and not LedgerTransaction.objects.filter(key=f"settle:{payment.pk}").exists():
                amount = min(ledger.held_balance(payment).minor, actions.refundable(payment).minor)
                if amount > 0:
                    fee = Money.from_minor(min(step[2], amount - 1), payment.currency) if amount > 1 else None
                    with transaction.atomic():
                        ledger.supplier_paid_out(
                            f"settle:{payment.pk}",
                            payment.gateway,
                            payment.payee_id,
                            Money.from_minor(amount, payment.currency),
                            fee,
                            payment.created_at,
                        )
        elif kind == "cancel" and (payment := _pick(Payment.objects.filter(status=Payment.Status.PENDING), step[1])):
            actions.cancel_payment(None, payment, reason="withdrawn")


def _check_ledger() -> None:
    assert ledger.unbalanced_transactions() == []
    totals = {}
    for (_account, currency), balance in ledger.balances().items():
        totals[currency] = totals.get(currency, 0) + balance
    assert all(total == 0 for total in totals.values())
    # What the ledger holds matches the payments: nothing posted for a payment that was not paid,
    # every paid payment and every refund posted once with its amount.
    assert list(ledger_differences()) == []
    for currency in CURRENCIES:
        balances = ledger.balances(currency=currency)
        assert balances.get((Account.DEPOSITS_HELD, currency), 0) <= 0  # never owes bidders less than nothing
        assert balances.get((Account.SUPPLIER_PAYABLES, currency), 0) <= 0
        assert balances.get((Account.REFUNDS_PAYABLE, currency), 0) <= 0
        assert balances.get((Account.CASH_AT_BANK, currency), 0) >= 0  # never pays out more than came in
        assert balances.get((Account.FEE_REVENUE, currency), 0) <= 0
        # Deposits held are exactly what was paid and not refunded or being refunded.
        paid = sum(p.money.minor for p in Payment.objects.paid().filter(currency=currency, purpose=Purpose.BID_DEPOSIT))
        refunds = sum(
            r.money.minor for r in Refund.objects.filter(currency=currency, payment__purpose=Purpose.BID_DEPOSIT) if r.holds_money
        )
        assert -balances.get((Account.DEPOSITS_HELD, currency), 0) == paid - refunds
