"""Invoices: the supplier invoices an accepted milestone, the buyer's finance officer approves it
(a payment order) or rejects it, and the treasury transfer settles it: the supplier is paid out
less the platform fee, the milestone is paid, the ledger balances; unpaid past 30 days, overdue."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contracts import deliveries
from contracts.models import Contract, Milestone
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import AuditEvent, LiveEvent, Notification
from payments import actions, invoices, ledger
from payments.models import Account, Invoice, Payment, Purpose
from payments.money import Money
from tenders.demo import pdf
from tests.contracts.conftest import english_pdf, quick_documents  # noqa: F401 (fixtures)
from tests.contracts.helpers import confirm_award, milestone_plans, signed_by_both

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_documents")]


@pytest.fixture
def active(officer, evaluator, deadline, firms, supplier_a):
    """An active contract of 900.00 EUR in two milestones (600 + 300), the first delivered and accepted."""
    _tender, award, travel, clock = confirm_award(officer, evaluator, deadline, firms)
    contract = signed_by_both(Contract.objects.get(award=award), officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))
    deliveries.report_delivery(supplier_a, contract.milestones.get(number=1), note="Lamps on site.")
    deliveries.accept_delivery(officer, contract.milestones.get(number=1))
    yield contract, clock
    travel.stop()


def invoice_pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf(["Invoice 2027-001", "Lamps: 600.00 EUR"]), content_type="application/pdf")


def submit(user, contract, milestone: int = 1, **changes) -> Invoice:
    fields = {"number": "2027-001", "issued_on": timezone.localdate(), "amount": Decimal("600.00"), "document": invoice_pdf()}
    return invoices.submit_invoice(user, contract.milestones.get(number=milestone), **(fields | changes))


def world(contract) -> dict:
    """What a refused request must leave as it was."""
    return {
        "invoices": list(Invoice.objects.values_list("number", "status")),
        "milestones": list(Milestone.objects.filter(contract=contract).values_list("number", "status")),
        "payments": Payment.objects.filter(purpose=Purpose.INVOICE_SETTLEMENT).count(),
        "ledger": ledger.balances(),
    }


def test_invoice_approve_settle_pays_the_milestone_less_the_fee_and_the_ledger_balances(active, supplier_a, finance_officer, settings):
    settings.PLATFORM_FEE = "2.50 EUR"
    contract, _clock = active
    invoice = submit(supplier_a, contract)
    assert invoice.status == Invoice.Status.SUBMITTED
    assert invoice.due_on == timezone.localdate() + timedelta(days=30)
    assert contract.milestones.get(number=1).status == Milestone.Status.INVOICED
    assert Notification.objects.filter(user=finance_officer, kind="invoice.submitted").exists()

    invoice = invoices.approve_invoice(finance_officer, invoice)
    order = invoice.payment
    assert (invoice.status, order.status, order.purpose) == (Invoice.Status.APPROVED, Payment.Status.PENDING, Purpose.INVOICE_SETTLEMENT)
    assert (order.payer_id, order.payee_id, order.money) == (contract.buyer_id, contract.supplier_id, Money(Decimal("600.00"), "EUR"))

    actions.confirm_offline_payment(finance_officer, order, bank_reference="TREASURY-77", received=order.money)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.fee == Decimal("2.50") and invoice.paid_at
    assert contract.milestones.get(number=1).status == Milestone.Status.PAID
    assert ledger.unbalanced_transactions() == []
    balances = ledger.balances()
    assert balances.get((Account.FEE_REVENUE, "EUR")) == -250
    assert balances.get((Account.SUPPLIER_PAYABLES, "EUR"), 0) == 0  # received and paid out
    assert balances.get((Account.CASH_AT_BANK, "EUR")) == 250  # what the platform kept
    assert {"invoice.submitted", "invoice.approved", "invoice.paid"} <= set(AuditEvent.objects.values_list("action", flat=True))
    assert LiveEvent.objects.filter(kind="invoice.paid", subject=f"org.{contract.supplier_id}").exists()
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE  # milestone 2 is still to deliver


def test_settling_twice_is_refused_and_posts_nothing_more(active, supplier_a, finance_officer):
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    actions.confirm_offline_payment(finance_officer, invoice.payment, bank_reference="T-1", received=invoice.payment.money)
    before = world(contract)
    with pytest.raises(Conflict):
        actions.confirm_offline_payment(finance_officer, invoice.payment, bank_reference="T-2", received=invoice.payment.money)
    with pytest.raises(Conflict):
        invoices.approve_invoice(finance_officer, invoice)
    assert world(contract) == before


def test_a_rejected_invoice_reopens_the_milestone_for_another(active, supplier_a, finance_officer):
    contract, _clock = active
    invoice = submit(supplier_a, contract)
    with pytest.raises(ActionError):
        invoices.reject_invoice(finance_officer, invoice, reason=" ")
    rejected = invoices.reject_invoice(finance_officer, invoice, reason="The VAT number is missing.")
    assert rejected.status == Invoice.Status.REJECTED and rejected.reason == "The VAT number is missing."
    assert contract.milestones.get(number=1).status == Milestone.Status.ACCEPTED
    assert Notification.objects.filter(user=supplier_a, kind="invoice.rejected").exists()
    again = submit(supplier_a, contract, number="2027-002")
    assert again.status == Invoice.Status.SUBMITTED


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": Decimal("600.01")}, "over_milestone"),
        ({"amount": Decimal("0")}, "over_milestone"),
        ({"amount": Decimal("10.001")}, "invalid_amount"),
        ({"number": " "}, "required"),
        ({"document": None}, "required"),
        ({"document": SimpleUploadedFile("invoice.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")}, None),
    ],
)
def test_bad_invoices_are_refused_and_nothing_changes(active, supplier_a, changes, code):
    contract, _clock = active
    before = world(contract)
    with pytest.raises(ActionError) as refused:
        submit(supplier_a, contract, **changes)
    if code:
        assert refused.value.problems[0].code == code
    assert world(contract) == before


def test_a_milestone_not_accepted_or_already_invoiced_is_not_invoiced(active, supplier_a):
    contract, _clock = active
    with pytest.raises(Conflict) as refused:
        submit(supplier_a, contract, milestone=2)
    assert refused.value.problems[0].code == "not_invoiceable"
    submit(supplier_a, contract)
    before = world(contract)
    with pytest.raises(Conflict):
        submit(supplier_a, contract, number="2027-009")
    assert world(contract) == before


def test_an_invoice_number_is_used_once_per_firm(active, supplier_a, finance_officer, officer):
    contract, _clock = active
    invoices.reject_invoice(finance_officer, submit(supplier_a, contract), reason="Wrong date.")
    with pytest.raises(Conflict) as refused:
        submit(supplier_a, contract)  # the same number again
    assert refused.value.problems[0].code == "number_used"


def test_no_one_invoices_for_another_firm_nor_approves_for_another_agency(active, supplier_b, officer, supplier_a, finance_officer):
    contract, _clock = active
    before = world(contract)
    for person in (supplier_b, officer, finance_officer):
        with pytest.raises(Forbidden):
            submit(person, contract)
    assert world(contract) == before
    invoice = submit(supplier_a, contract)
    for person in (officer, supplier_a):
        with pytest.raises(Forbidden):
            invoices.approve_invoice(person, invoice)
        with pytest.raises(Forbidden):
            invoices.reject_invoice(person, invoice, reason="No.")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.SUBMITTED


def test_an_unpaid_invoice_is_overdue_the_day_after_its_due_date(active, supplier_a, finance_officer):
    contract, clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    due_end = timezone.make_aware(timezone.datetime.combine(invoice.due_on + timedelta(days=1), timezone.datetime.min.time()))
    clock.move_to(due_end - timedelta(seconds=1))
    assert list(invoices.overdue_invoices()) == []
    clock.move_to(due_end + timedelta(seconds=1))
    assert list(invoices.overdue_invoices()) == [invoice]


def test_every_milestone_paid_completes_the_contract(active, supplier_a, officer, finance_officer):
    contract, _clock = active
    deliveries.report_delivery(supplier_a, contract.milestones.get(number=2), note="Installed.")
    deliveries.accept_delivery(officer, contract.milestones.get(number=2))
    for number, amount in ((1, "600.00"), (2, "300.00")):
        invoice = invoices.approve_invoice(
            finance_officer, submit(supplier_a, contract, milestone=number, number=f"2027-00{number}", amount=Decimal(amount))
        )
        actions.confirm_offline_payment(finance_officer, invoice.payment, bank_reference=f"T-{number}", received=invoice.payment.money)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.COMPLETED and contract.final_value == Decimal("900.00")


def test_the_pages_invoice_approve_and_settle(active, supplier_a, finance_officer, client):
    contract, _clock = active
    client.force_login(supplier_a)
    page = client.get(reverse("payments:overview")).content.decode()
    url = reverse("payments:submit-invoice", args=[contract.pk, 1])
    assert f'action="{url}"' in page
    sent = client.post(url, {"number": "W-1", "issued_on": timezone.localdate().isoformat(), "amount": "600.00", "document": invoice_pdf()})
    assert sent.status_code == 302
    invoice = Invoice.objects.get(number="W-1")
    assert client.get(reverse("payments:invoice-document", args=[invoice.pk])).status_code == 200
    assert client.post(reverse("payments:approve-invoice", args=[invoice.pk])).status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.SUBMITTED

    client.force_login(finance_officer)
    desk = client.get(reverse("payments:finance")).content.decode()
    assert "W-1" in desk and reverse("payments:approve-invoice", args=[invoice.pk]) in desk
    client.post(reverse("payments:approve-invoice", args=[invoice.pk]))
    invoice.refresh_from_db()
    desk = client.get(reverse("payments:finance")).content.decode()
    assert reverse("payments:confirm-transfer", args=[invoice.payment_id]) in desk
    client.post(reverse("payments:confirm-transfer", args=[invoice.payment_id]), {"bank_reference": "T-9", "received": "600.00"})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


@pytest.mark.parametrize("persona", ["anonymous", "supplier_b", "officer", "other_finance"])
def test_the_invoice_api_refuses_who_may_not(active, supplier_a, persona, api_client, request, finance_officer, other_agency):
    contract, _clock = active
    invoice = submit(supplier_a, contract)
    if persona == "other_finance":
        from marketplace.models import Role
        from tests import factories

        person = factories.make_member(other_agency, Role.FINANCE_OFFICER, "finance@elsewhere.test")
    elif persona != "anonymous":
        person = request.getfixturevalue(persona)
    if persona != "anonymous":
        api_client.force_authenticate(person)
    before = world(contract)
    expected = 401 if persona == "anonymous" else None
    for method, url, body in (
        ("get", f"/api/v1/invoices/{invoice.pk}/document/", None),
        ("post", f"/api/v1/invoices/{invoice.pk}/approve/", None),
        ("post", f"/api/v1/invoices/{invoice.pk}/reject/", {"reason": "No."}),
        ("post", f"/api/v1/contracts/{contract.pk}/milestones/1/invoice/", {"number": "X", "issued_on": "2027-01-01", "amount": "1.00"}),
    ):
        answer = getattr(api_client, method)(url, body)
        assert answer.status_code == expected if expected else answer.status_code in (403, 404, 409, 400), (url, answer.status_code)
    listed = api_client.get("/api/v1/invoices/")
    if persona != "anonymous":
        assert listed.status_code == 200 and listed.json() == []
    assert world(contract) == before


def test_the_invoice_api_path(active, supplier_a, finance_officer, api_client):
    contract, _clock = active
    api_client.force_authenticate(supplier_a)
    url = f"/api/v1/contracts/{contract.pk}/milestones/1/invoice/"
    body = {"number": "API-1", "issued_on": timezone.localdate().isoformat(), "amount": "600.00", "document": invoice_pdf()}
    created = api_client.post(url, body, format="multipart")
    assert created.status_code == 201 and created.json()["status"] == "submitted" and created.json()["overdue"] is False
    over = api_client.post(f"/api/v1/contracts/{contract.pk}/milestones/2/invoice/", body | {"document": invoice_pdf()}, format="multipart")
    assert over.status_code == 409 and over.json()["errors"][0]["code"] == "not_invoiceable"
    pk = created.json()["id"]
    api_client.force_authenticate(finance_officer)
    assert api_client.post(f"/api/v1/invoices/{pk}/reject/", {"reason": ""}, format="json").status_code == 400
    approved = api_client.post(f"/api/v1/invoices/{pk}/approve/")
    assert approved.status_code == 200 and approved.json()["payment"]
    paid = api_client.post(
        f"/api/v1/payments/{approved.json()['payment']}/confirm/", {"bank_reference": "T", "received": "600.00"}, format="json"
    )
    assert paid.status_code == 200
    assert api_client.get("/api/v1/invoices/").json()[0]["status"] == "paid"
