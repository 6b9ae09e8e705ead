"""Invoices and their settlement: the supplier invoices an accepted milestone, the buyer's finance
officer approves it (a payment order: a settlement payment from the buyer to the supplier) or
rejects it with a reason, and the payment's arrival settles it: the supplier is paid out, less
the platform fee, and the milestone is paid. A public buyer pays within `INVOICE_PAYMENT_DAYS`
of receiving the invoice (Directive 2011/7/EU, Art. 4); an unpaid invoice past that is overdue.

The payment order is a treasury transfer (the buyer's finance officer records it with the bank's
reference on the finance desk, as for a deposit, and the payout to the supplier, less the fee,
is posted with it), or, where Stripe is configured and the supplier's connected account can
receive transfers (`payments.connect`), a PaymentIntent in the contract's `transfer_group` that
the finance officer pays on the invoice's payment page; its success posts the payout and queues
the Transfer of the invoice less the fee to the supplier's account.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import closing
from contracts.actions import contract_path, supplier_members
from contracts.actions import lock as lock_contract
from contracts.deliveries import local_date, lock_milestone
from contracts.models import Contract, Milestone
from marketplace import audit, live
from marketplace.access import FIRM_ROLES, has_role
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Role, User
from marketplace.notify import notify
from payments import actions, connect, ledger
from payments.models import Gateway, Invoice, Payment, Purpose
from payments.money import Money, MoneyError
from payments.signals import invoice_paid, payment_succeeded
from suppliers.uploads import check_licence_file
from tenders.actions.common import platform_language


def platform_fee(currency: str) -> Money | None:
    """The fee `PLATFORM_FEE` asks for an invoice in `currency`; None when it asks none."""
    if not settings.PLATFORM_FEE:
        return None
    amount, fee_currency = settings.PLATFORM_FEE.split(" ")
    return Money(Decimal(amount), fee_currency) if fee_currency == currency else None


def due_on(received: datetime) -> date:
    return local_date(received) + timedelta(days=settings.INVOICE_PAYMENT_DAYS)


def finance_path() -> str:
    return reverse("payments:finance")


def submit_invoice(
    actor: User, milestone: Milestone, *, number: str, issued_on: date, amount: Decimal, document: UploadedFile | None
) -> Invoice:
    """The supplier invoices an accepted milestone: at most its amount, in the contract's currency,
    with the invoice as a PDF. The milestone becomes `invoiced` until the invoice is paid or rejected."""
    number = (number or "").strip()
    if not number:
        raise ActionError(_("Give the invoice's number."), code="required", field="number")
    if document is None:
        raise ActionError(_("Attach the invoice as a PDF."), code="required", field="document")
    checked = check_licence_file(document, field="document")
    if checked.media_type != "application/pdf":
        raise ActionError(_("The invoice must be a PDF."), code="not_pdf", field="document")
    with transaction.atomic():
        contract = lock_contract(milestone.contract_id)
        if not has_role(actor, contract.supplier_id, *FIRM_ROLES):
            raise Forbidden(_("Only the supplier of this contract invoices its milestones."), code="not_the_supplier")
        if contract.status not in (Contract.Status.ACTIVE, Contract.Status.COMPLETED, Contract.Status.TERMINATED):
            raise Conflict(_("Only a signed contract's milestones are invoiced."), code="contract_not_signed")
        milestone = lock_milestone(contract, milestone.number)
        if milestone.status != Milestone.Status.ACCEPTED:
            raise Conflict(
                _("Milestone %(number)s is %(status)s: only an accepted milestone, not yet invoiced, can be invoiced.")
                % {"number": milestone.number, "status": milestone.get_status_display().lower()},
                code="not_invoiceable",
            )
        try:
            money = Money(Decimal(amount), contract.currency)
        except (MoneyError, ArithmeticError, TypeError, ValueError):
            raise ActionError(
                _("Give the amount in %(currency)s, to the cent.") % {"currency": contract.currency}, code="invalid_amount", field="amount"
            ) from None
        if money.amount <= 0 or money.amount > milestone.amount:
            raise ActionError(
                _("The invoice may ask at most the milestone's %(amount)s %(currency)s, and more than zero.")
                % {"amount": milestone.amount, "currency": contract.currency},
                code="over_milestone",
                field="amount",
            )
        now = timezone.now()
        if issued_on > local_date(now):
            raise ActionError(_("The invoice date cannot be in the future."), code="future_date", field="issued_on")
        if Invoice.objects.filter(supplier=contract.supplier, number=number).exists():
            raise Conflict(_("Your firm already submitted an invoice numbered %(number)s.") % {"number": number}, code="number_used")
        invoice = Invoice(
            contract=contract,
            milestone=milestone,
            supplier=contract.supplier,
            buyer=contract.buyer,
            number=number,
            issued_on=issued_on,
            amount=money.amount,
            currency=money.currency,
            document_sha256=checked.sha256,
            submitted_by=actor,
            submitted_at=now,
            due_on=due_on(now),
        )
        invoice.document.save(checked.stored_name, checked.upload, save=False)
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            raise Conflict(
                _("Your firm already submitted an invoice numbered %(number)s.") % {"number": number}, code="number_used"
            ) from None
        milestone.invoice(now)
        milestone.save()
        _audit("invoice.submitted", invoice, actor, now, sha256=checked.sha256, due_on=invoice.due_on)
        _announce(invoice, "invoice.submitted")
        with platform_language():
            notify(
                list(User.objects.with_membership(Role.FINANCE_OFFICER, organisation=contract.buyer_id)),
                kind="invoice.submitted",
                title=lambda: (
                    _("Invoice %(number)s from %(supplier)s to approve") % {"number": invoice.number, "supplier": contract.supplier.name}
                ),
                body=lambda: (
                    _("%(amount)s %(currency)s for milestone %(milestone)s of contract %(contract)s, to be paid by %(due)s.")
                    % {
                        "amount": invoice.amount.normalize(),
                        "currency": invoice.currency,
                        "milestone": milestone.number,
                        "contract": contract.number,
                        "due": invoice.due_on.isoformat(),
                    }
                ),
                url=finance_path(),
                organisation=contract.buyer,
            )
    return invoice


def approve_invoice(actor: User, invoice: Invoice) -> Invoice:
    """The buyer's finance officer approves the invoice: the payment order is created, a treasury
    transfer or, where the supplier's connected account can receive transfers, a Stripe PaymentIntent."""
    invoice = Invoice.objects.select_related("buyer", "supplier", "contract").get(pk=invoice.pk)
    actions.require_finance_officer(actor, invoice.buyer)
    if invoice.status != Invoice.Status.SUBMITTED:
        raise Conflict(
            _("This invoice is %(status)s: it was already decided.") % {"status": invoice.get_status_display().lower()}, code="decided"
        )
    key = f"invoice:{invoice.pk}:settlement"
    earlier = Payment.objects.filter(idempotency_key=key).first()  # a try the gateway did not answer
    gateway = earlier.gateway if earlier else settlement_gateway(invoice)
    started = actions.create_payment(
        actor,
        payer=invoice.buyer,
        payee=invoice.supplier,
        purpose=Purpose.INVOICE_SETTLEMENT,
        amount=invoice.money,
        idempotency_key=key,
        tender=invoice.contract.tender,
        purpose_reference=invoice.number,
        description=_("Invoice %(number)s, contract %(contract)s") % {"number": invoice.number, "contract": invoice.contract.number},
        gateway=gateway,
        transfer_group=invoice.transfer_group if gateway == Gateway.STRIPE else "",
    )
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("buyer", "supplier", "contract").get(pk=invoice.pk)
        if invoice.status != Invoice.Status.SUBMITTED:
            # Rejected meanwhile by another finance officer: the order just made is void.
            transaction.on_commit(lambda: actions.cancel_payment(actor, started.payment, reason=_("The invoice was rejected.")))
            raise Conflict(_("This invoice was already decided."), code="decided")
        now = timezone.now()
        invoice.approve(actor, now, started.payment)
        invoice.save()
        _audit("invoice.approved", invoice, actor, now, payment=str(started.payment.pk), reference=started.reference)
        _announce(invoice, "invoice.approved")
        with platform_language():
            notify(
                supplier_members(invoice.contract),
                kind="invoice.approved",
                title=lambda: _("Invoice %(number)s is approved") % {"number": invoice.number},
                body=lambda: _("The payment is ordered; it is due by %(due)s.") % {"due": invoice.due_on.isoformat()},
                url=overview_path(),
                organisation=invoice.supplier,
            )
    return invoice


def settlement_gateway(invoice: Invoice) -> str:
    """Stripe where it is configured and the supplier's connected account can receive transfers;
    otherwise the treasury transfer."""
    return Gateway.STRIPE if connect.receives_transfers(invoice.supplier_id) else Gateway.OFFLINE


def start_settlement_payment(actor: User, invoice: Invoice) -> actions.PaymentStart:
    """The buyer's finance officer opens the payment of an approved invoice settled through Stripe:
    the PaymentIntent (the same one on every visit) and its client secret for the Payment Element."""
    invoice = Invoice.objects.select_related("buyer", "payment").get(pk=invoice.pk)
    actions.require_finance_officer(actor, invoice.buyer)
    payment = invoice.payment
    if invoice.status != Invoice.Status.APPROVED or payment is None or payment.gateway != Gateway.STRIPE:
        raise Conflict(_("This invoice has no payment to make through Stripe."), code="not_payable")
    if payment.status not in (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED):
        raise Conflict(_("This payment is %(status)s.") % {"status": payment.get_status_display().lower()}, code="not_open")
    return actions.resume_payment(payment)


def reject_invoice(actor: User, invoice: Invoice, *, reason: str) -> Invoice:
    """The buyer's finance officer rejects the invoice with a reason; the milestone may be invoiced again."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("Say why the invoice is rejected."), code="required", field="reason")
    with transaction.atomic():
        invoice = Invoice.objects.select_related("buyer", "supplier").get(pk=invoice.pk)
        actions.require_finance_officer(actor, invoice.buyer)
        contract = lock_contract(invoice.contract_id)
        invoice = Invoice.objects.select_for_update().select_related("buyer", "supplier").get(pk=invoice.pk)
        if invoice.status != Invoice.Status.SUBMITTED:
            raise Conflict(
                _("This invoice is %(status)s: it was already decided.") % {"status": invoice.get_status_display().lower()}, code="decided"
            )
        now = timezone.now()
        invoice.reject(actor, now, reason)
        invoice.save()
        milestone = lock_milestone(contract, invoice.milestone.number)
        milestone.reopen_invoicing()
        milestone.save()
        _audit("invoice.rejected", invoice, actor, now, reason=reason)
        _announce(invoice, "invoice.rejected")
        with platform_language():
            notify(
                supplier_members(invoice.contract),
                kind="invoice.rejected",
                title=lambda: _("Invoice %(number)s is rejected") % {"number": invoice.number},
                body=reason,
                url=contract_path(contract),
                organisation=invoice.supplier,
            )
    return invoice


@receiver(payment_succeeded, sender=Payment, dispatch_uid="payments.invoices.settle")
def settle_on_payment(sender, payment: Payment, actor: User | None, now: datetime, **kwargs) -> None:
    if payment.purpose == Purpose.INVOICE_SETTLEMENT:
        settle(payment, actor=actor, now=now)


def settle(payment: Payment, *, actor: User | None, now: datetime) -> Invoice | None:
    """The settlement arrived (inside its transaction): the supplier is paid out less the fee,
    the invoice and its milestone are paid, and the contract completes if nothing is left."""
    invoice = Invoice.objects.select_for_update().select_related("contract", "milestone", "supplier").filter(payment=payment).first()
    if invoice is None or invoice.status != Invoice.Status.APPROVED:
        return None
    fee = platform_fee(invoice.currency)
    if fee is not None and fee.amount >= invoice.amount:
        fee = None  # a fee may not swallow the payment
    ledger.supplier_paid_out(
        f"invoice:{invoice.pk}:paid_out", payment.gateway, invoice.supplier_id, invoice.money, fee, now, payment=payment
    )
    invoice.settle(now, fee.amount if fee else None)
    if payment.gateway == Gateway.STRIPE:
        # The payout is the Transfer to the supplier's connected account, made after the commit.
        invoice.transfer_status = Invoice.TransferStatus.QUEUED
        transaction.on_commit(lambda: schedule_transfer(invoice.pk))
    invoice.save()
    contract = lock_contract(invoice.contract_id)
    milestone = lock_milestone(contract, invoice.milestone.number)
    milestone.mark_paid(now)
    milestone.save()
    _audit("invoice.paid", invoice, actor, now, fee=str(fee) if fee else None, payment=str(payment.pk))
    invoice_paid.send(sender=Invoice, invoice=invoice, actor=actor, now=now)
    _announce(invoice, "invoice.paid")
    with platform_language():
        notify(
            supplier_members(invoice.contract),
            kind="invoice.paid",
            title=lambda: _("Invoice %(number)s is paid") % {"number": invoice.number},
            body=lambda: (
                _("%(amount)s %(currency)s, less a platform fee of %(fee)s.")
                % {"amount": invoice.amount.normalize(), "currency": invoice.currency, "fee": fee}
                if fee
                else _("%(amount)s %(currency)s.") % {"amount": invoice.amount.normalize(), "currency": invoice.currency}
            ),
            url=overview_path(),
            organisation=invoice.supplier,
        )
    closing.complete_if_fulfilled(contract, actor=actor, now=now)
    return invoice


def schedule_transfer(invoice_id: int) -> None:
    from payments.tasks import make_transfer

    make_transfer.enqueue(invoice_id)


def overview_path() -> str:
    return reverse("payments:overview")


def _audit(action: str, invoice: Invoice, actor: User | None, now: datetime, **payload) -> None:
    audit.record(
        action,
        actor=actor,
        organisation=invoice.buyer,
        obj=invoice,
        payload={"contract": invoice.contract_id, "milestone": invoice.milestone_id, "number": invoice.number, "amount": str(invoice.money)}
        | payload,
        now=now,
    )


def _announce(invoice: Invoice, kind: str) -> None:
    payload = {
        "invoice": invoice.pk,
        "contract": invoice.contract_id,
        "status": invoice.status,
        "amount": str(invoice.amount),
        "currency": invoice.currency,
    }
    for organisation_id in sorted({invoice.buyer_id, invoice.supplier_id}):
        live.publish(f"org.{organisation_id}", kind, payload)


def overdue_invoices(today: date | None = None):
    return Invoice.objects.overdue_on(today or local_date(timezone.now()))
