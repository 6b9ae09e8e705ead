"""Reconciliation of the ledger and the bank-transfer records; the ledger's CSV export."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from payments import actions
from payments.models import Gateway, Payment
from payments.money import Money

pytestmark = pytest.mark.django_db


def reconcile(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("reconcile", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def confirmed(deposit_request, finance_officer):
    payment = actions.create_payment(None, **deposit_request(), gateway=Gateway.OFFLINE).payment
    actions.confirm_offline_payment(finance_officer, payment, bank_reference="BANK-42", received=payment.money)
    actions.request_refund(None, payment, amount=Money(Decimal("400.00"), "EUR"), reason="Part released", idempotency_key="r1")
    return payment


def test_reconcile_exits_0_when_everything_matches(confirmed):
    assert reconcile() == (0, "Reconciled: no difference.\n")


def test_reconcile_lists_a_payment_marked_paid_outside_the_actions(confirmed, deposit_request):
    other = actions.create_payment(None, **deposit_request(key="deposit:2"), gateway=Gateway.OFFLINE).payment
    Payment.objects.filter(pk=other.pk).update(status=Payment.Status.SUCCEEDED)
    code, out = reconcile()
    assert code == 1
    assert f"payment {other.pk}: is succeeded but the ledger has no payment:{other.pk}:received" in out
    assert f"payment {other.pk}: paid by bank transfer without a confirmed bank reference" in out


def test_reconcile_lists_a_refund_whose_payment_went_back_to_pending(confirmed):
    Payment.objects.filter(pk=confirmed.pk).update(status=Payment.Status.PENDING)
    code, out = reconcile("--ledger-only")
    assert code == 1 and f"payment {confirmed.pk}: is pending but the ledger has payment:{confirmed.pk}:received" in out


def test_ledger_exports_as_csv_with_decimal_amounts(confirmed):
    out = io.StringIO()
    call_command("export_ledger", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["kind"], r["account"], r["debit"], r["credit"]) for r in rows] == [
        ("payment_received", "cash_at_bank", "2500.00", ""),
        ("payment_received", "deposits_held", "", "2500.00"),
        ("refund_requested", "deposits_held", "400.00", ""),
        ("refund_requested", "refunds_payable", "", "400.00"),
    ]
    assert sum(int(r["amount_minor"]) for r in rows) == 0


def test_memo_cannot_become_a_spreadsheet_formula(deposit_request, finance_officer):
    payment = actions.create_payment(None, **deposit_request(description='=HYPERLINK("http://x")'), gateway=Gateway.OFFLINE).payment
    actions.confirm_offline_payment(finance_officer, payment, bank_reference="B", received=payment.money)
    out = io.StringIO()
    call_command("export_ledger", stdout=out)
    assert {r["memo"] for r in csv.DictReader(io.StringIO(out.getvalue()))} == {'\'=HYPERLINK("http://x")'}
