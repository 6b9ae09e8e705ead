"""Payment use cases: take a payment, confirm it, refund it, and apply what the gateway reports.

A payment's state changes only from what the gateway reports (`apply_gateway_payment`: a
webhook or a reconciliation fetch) or, offline, from a finance officer's confirmation of a
bank transfer — never from a payer's browser. States only move forward: a report older than
the row's state (a `payment_intent.created` after `succeeded`, a failure after the payment went
through) changes nothing. Each change writes its ledger entries, one audit event and live
events on the payer's `org.<id>` (and the payee's, except for deposits) in the same transaction.

Calls to the gateway run outside any database transaction (they are slow, and a rollback
cannot undo them); each carries an idempotency key from the platform's ids, so the step is
safe to run again when the process dies after the call and before its result was saved.

The flows above (deposits, refunds after an award, invoice settlement) call:
`create_payment`, `resume_payment`, `confirm_offline_payment`, `cancel_payment`, `request_refund`,
`send_refund`, `confirm_offline_refund`, `sync_payment`.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit, live
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Membership, Organisation, Role, User
from payments import ledger
from payments.gateway import GatewayError, GatewayPayment, GatewayRefund, configured_gateway_name, gateway_for
from payments.models import Gateway, Payment, Purpose, Refund
from payments.money import Money, MoneyError, to_stripe_amount
from payments.signals import payment_succeeded


@dataclass(frozen=True)
class PaymentStart:
    """What the payer needs to pay: the bank-transfer reference to quote, or Stripe's client secret
    for the page's Payment Element (never stored)."""

    payment: Payment
    reference: str
    client_secret: str = ""


def _money(amount: Money, field: str = "amount") -> Money:
    if not isinstance(amount, Money):
        raise ActionError(_("Give the amount as a decimal number and a currency."), code="invalid", field=field)
    if amount.amount <= 0:
        raise ActionError(_("The amount must be more than zero."), code="not_positive", field=field)
    return amount


def require_finance_officer(actor: User, organisation: Organisation) -> None:
    """Refuse (403) anyone but an active finance officer of `organisation`."""
    if not Membership.objects.active().filter(user=actor, organisation=organisation, role=Role.FINANCE_OFFICER).exists():
        raise Forbidden(
            _("Only a finance officer of %(organisation)s may do this.") % {"organisation": organisation.name}, code="not_finance"
        )


def _announce(payment: Payment, kind: str, extra: dict | None = None) -> None:
    payload = {
        "payment": str(payment.pk),
        "status": payment.status,
        "purpose": payment.purpose,
        "tender": payment.tender_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
    } | (extra or {})
    # A deposit tells of a firm's intent to bid: before the deadline the buying agency must not
    # learn who that is from a live event (招标投标法 Art. 22), so only the payer hears of it.
    listeners = {payment.payer_id} if payment.purpose == Purpose.BID_DEPOSIT else {payment.payer_id, payment.payee_id}
    for organisation_id in sorted(listeners):
        live.publish(f"org.{organisation_id}", kind, payload)


def _audit(action: str, payment: Payment, actor: User | None, now: datetime, **payload) -> None:
    audit.record(
        action,
        actor=actor,
        organisation=payment.payer,
        obj=payment,
        payload={
            "amount": str(payment.amount),
            "currency": payment.currency,
            "gateway": payment.gateway,
            "reference": payment.gateway_reference,
        }
        | payload,
        now=now,
    )


# Taking a payment -----------------------------------------------------------------------


def create_payment(
    actor: User | None,
    *,
    payer: Organisation,
    payee: Organisation,
    purpose: str,
    amount: Money,
    idempotency_key: str,
    tender=None,
    purpose_reference: str = "",
    description: str = "",
    gateway: str | None = None,
    transfer_group: str = "",
) -> PaymentStart:
    """Record a payment and ask the gateway to take it; asking again with the same
    `idempotency_key` returns the same payment (and the same PaymentIntent).

    Raises `GatewayError` when the gateway cannot be reached: the payment stays `created` and a
    second call with the same key tries the gateway again with the same idempotency key.
    """
    amount = _money(amount)
    gateway = gateway or configured_gateway_name()
    if purpose not in Purpose.values:
        raise ActionError(_("Unknown payment purpose."), code="invalid", field="purpose")
    if gateway == Gateway.STRIPE:
        try:
            to_stripe_amount(amount)
        except MoneyError as exc:
            raise ActionError(str(exc), code=exc.code, field="amount") from None
    wanted = {
        "payer_id": payer.pk,
        "payee_id": payee.pk,
        "purpose": purpose,
        "tender_id": tender.pk if tender is not None else None,
        "amount": amount.amount,
        "currency": amount.currency,
    }
    now = timezone.now()
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                idempotency_key=idempotency_key,
                gateway=gateway,
                purpose_reference=purpose_reference,
                description=description,
                transfer_group=transfer_group,
                created_by=actor if actor is not None and actor.is_authenticated else None,
                created_at=now,
                **wanted,
            )
            _audit("payment.created", payment, actor, now, purpose=purpose, tender=payment.tender_id)
    except IntegrityError:
        payment = Payment.objects.get(idempotency_key=idempotency_key)
        if {k: getattr(payment, k) for k in wanted} != wanted or payment.gateway != gateway:
            raise Conflict(
                _("This payment was already asked for with other details."), code="idempotency_key_reused", field="idempotency_key"
            ) from None
    return _start_at_gateway(payment)


def resume_payment(payment: Payment) -> PaymentStart:
    """What the payer needs to pay a payment under way (asking the gateway again if it never answered)."""
    return _start_at_gateway(Payment.objects.get(pk=payment.pk))


def _start_at_gateway(payment: Payment) -> PaymentStart:
    gateway = gateway_for(payment.gateway)
    if payment.status == Payment.Status.CREATED:
        reported = gateway.create_payment(payment)  # same idempotency key on every retry
    elif payment.gateway == Gateway.STRIPE and payment.gateway_reference:
        reported = gateway.retrieve_payment(payment.gateway_reference)
    else:
        return PaymentStart(payment, payment.gateway_reference or "")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Payment.Status.CREATED:
            now = timezone.now()
            payment.await_payer(reported.reference)
            payment.save()
            _audit("payment.pending", payment, None, now)
            _announce(payment, "payment.pending")
    if payment.gateway == Gateway.STRIPE:
        # The gateway may have moved on since (a webhook applied before us); apply what it said.
        apply_gateway_payment(reported, source="create")
        payment.refresh_from_db()
    return PaymentStart(payment, reported.reference, reported.client_secret)


def confirm_offline_payment(actor: User, payment: Payment, *, bank_reference: str, received: Money) -> Payment:
    """A finance officer of the agency (receiving a deposit, or paying an invoice) confirms that the
    bank transfer quoting the payment's reference was made."""
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ActionError(_("Give the bank's reference of the transfer."), code="required", field="bank_reference")
    received = _money(received, "received")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("payer", "payee").get(pk=payment.pk)
        require_finance_officer(actor, Organisation.objects.get(pk=payment.finance_organisation_id))
        if payment.gateway != Gateway.OFFLINE:
            raise Conflict(
                _("This payment is made through %(gateway)s, not by bank transfer.") % {"gateway": payment.get_gateway_display()},
                code="not_offline",
            )
        if payment.status != Payment.Status.PENDING:
            raise Conflict(
                _("This payment is %(status)s; only a pending one can be confirmed.") % {"status": payment.get_status_display().lower()},
                code="not_pending",
            )
        if received != payment.money:
            raise ActionError(
                _("The transfer received (%(received)s) is not the amount due (%(due)s).") % {"received": received, "due": payment.money},
                code="amount_mismatch",
                field="received",
            )
        now = timezone.now()
        payment.succeed(now, bank_reference)
        payment.confirmed_by = actor
        payment.save()
        ledger.payment_received(payment, now)
        _audit("payment.succeeded", payment, actor, now, bank_reference=bank_reference, source="finance")
        _announce(payment, "payment.succeeded")
        payment_succeeded.send(sender=Payment, payment=payment, actor=actor, now=now)
    return payment


def cancel_payment(actor: User | None, payment: Payment, *, reason: str) -> Payment:
    """Abandon a payment no money arrived for (a tender cancelled before the deposit was paid)."""
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status not in (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED):
        raise Conflict(
            _("This payment is %(status)s and cannot be cancelled.") % {"status": payment.get_status_display().lower()}, code="not_open"
        )
    if payment.gateway == Gateway.STRIPE and payment.gateway_reference:
        # Stripe decides: a payment that went through in the meantime stays paid.
        apply_gateway_payment(gateway_for(payment.gateway).cancel_payment(payment), source="cancel", actor=actor)
        payment.refresh_from_db()
        return payment
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED):
            now = timezone.now()
            payment.cancel(reason)
            payment.save()
            _audit("payment.cancelled", payment, actor, now, reason=reason)
            _announce(payment, "payment.cancelled")
    return payment


# What the gateway reports ----------------------------------------------------------------


def find_reported(model, metadata_key: str, reported) -> Payment | Refund | None:
    """The platform's payment or refund a gateway report is about: by the id the platform put in
    its metadata, else by the gateway's reference; None when it is not one of ours."""
    try:
        pk = uuid.UUID(str(reported.metadata.get(metadata_key, "")))
    except ValueError:
        pk = None
    found = model.objects.filter(pk=pk).first() if pk else None
    if found is None and reported.reference:
        found = model.objects.filter(gateway_reference=reported.reference).first()
    if found is not None and found.gateway_reference and found.gateway_reference != reported.reference:
        return None  # another object quoting our id: not ours
    return found


def apply_gateway_payment(reported: GatewayPayment, *, source: str, actor: User | None = None) -> Payment | None:
    """Move a Stripe payment forward to what the gateway reports; return it, or None when the
    report is about no payment of this platform. Returns the payment unchanged when the report
    is not ahead of its state."""
    found = find_reported(Payment, "payment", reported)
    if found is None or found.gateway != Gateway.STRIPE:
        return None
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("payer", "payee").get(pk=found.pk)
        now = timezone.now()
        if reported.amount != payment.money:
            _audit("payment.gateway_mismatch", payment, actor, now, source=source, reported=str(reported.amount))
            return payment
        if payment.gateway_reference is None:
            payment.gateway_reference = reported.reference
        status, target = payment.status, reported.status
        open_states = (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED)
        if target == Payment.Status.SUCCEEDED and status in open_states:
            if reported.amount_received is not None and reported.amount_received != payment.money:
                _audit("payment.gateway_mismatch", payment, actor, now, source=source, received=str(reported.amount_received))
                return payment
            payment.succeed(now, reported.charge)
            payment.save()
            ledger.payment_received(payment, now)
            _audit("payment.succeeded", payment, actor, now, source=source, charge=reported.charge)
            _announce(payment, "payment.succeeded")
            payment_succeeded.send(sender=Payment, payment=payment, actor=actor, now=now)
        elif target == Payment.Status.FAILED and status in (Payment.Status.CREATED, Payment.Status.PENDING):
            payment.fail(reported.failure or _("The payment was declined."))
            payment.save()
            _audit("payment.failed", payment, actor, now, source=source, reason=payment.failure_reason)
            _announce(payment, "payment.failed", {"reason": payment.failure_reason})
        elif target == Payment.Status.CANCELLED and status in open_states:
            payment.cancel(_("Cancelled at the gateway."))
            payment.save()
            _audit("payment.cancelled", payment, actor, now, source=source)
            _announce(payment, "payment.cancelled")
        elif target == Payment.Status.PENDING and status == Payment.Status.CREATED:
            payment.await_payer(reported.reference)
            payment.save()
            _audit("payment.pending", payment, actor, now, source=source)
            _announce(payment, "payment.pending")
        elif payment.gateway_reference != found.gateway_reference:
            payment.save(update_fields=["gateway_reference"])
    return payment


def sync_payment(payment: Payment) -> Payment:
    """Fetch the payment and its refunds from the gateway and apply what it says (reconciliation)."""
    if payment.gateway != Gateway.STRIPE or not payment.gateway_reference:
        return payment
    gateway = gateway_for(payment.gateway)
    reported = gateway.retrieve_payment(payment.gateway_reference)
    apply_gateway_payment(reported, source="sync")
    if reported.charge:
        for refund in gateway.list_refunds(payment.gateway_reference):
            apply_gateway_refund(refund, source="sync")
    payment.refresh_from_db()
    return payment


# Refunds -----------------------------------------------------------------------------


def refundable(payment: Payment) -> Money:
    """What is left to refund of a paid payment: its amount less every refund not failed or withdrawn."""
    held = (
        Refund.objects.filter(payment=payment)
        .exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELLED])
        .aggregate(total=Sum("amount"))["total"]
    )
    return payment.money - Money(held, payment.currency) if held else payment.money


def request_refund(
    actor: User | None,
    payment: Payment,
    *,
    amount: Money | None = None,
    reason: str,
    idempotency_key: str,
    due_at: datetime | None = None,
) -> Refund:
    """Decide to return `amount` (by default all that is left) of a paid payment, and send it.

    Asking again with the same `idempotency_key` returns the same refund. Raises `GatewayError`
    when the gateway cannot be reached: the refund stays `created`; `send_refund` retries it.
    """
    if not (reason or "").strip():
        raise ActionError(_("Give the reason for the refund."), code="required", field="reason")
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().select_related("payer").get(pk=payment.pk)
            if payment.status != Payment.Status.SUCCEEDED:
                raise Conflict(
                    _("This payment is %(status)s; only a paid one can be refunded.") % {"status": payment.get_status_display().lower()},
                    code="not_paid",
                )
            left = refundable(payment)
            amount = left if amount is None else _money(amount)
            if amount.currency != payment.currency:
                raise ActionError(
                    _("A refund is made in the currency of its payment (%(currency)s).") % {"currency": payment.currency},
                    code="currency_mismatch",
                    field="amount",
                )
            if amount.amount > left.amount or left.amount <= 0:
                raise ActionError(_("At most %(left)s is left to refund.") % {"left": left}, code="over_refund", field="amount")
            if amount.amount > ledger.held_balance(payment).amount:
                # Settlement money already paid out to the supplier is not the payer's to take back.
                raise Conflict(_("Part of this payment was already paid out; it cannot be refunded."), code="paid_out", field="amount")
            now = timezone.now()
            existing = Refund.objects.create(
                payment=payment,
                amount=amount.amount,
                currency=amount.currency,
                reason=reason.strip()[:500],
                idempotency_key=idempotency_key,
                requested_by=actor if actor is not None and actor.is_authenticated else None,
                created_at=now,
                due_at=due_at,
            )
            ledger.refund_requested(existing, now)
            _audit(
                "refund.requested", payment, actor, now, refund=str(existing.pk), refund_amount=str(amount.amount), reason=existing.reason
            )
            _announce(payment, "refund.requested", {"refund": str(existing.pk), "refund_status": existing.status})
    elif existing.payment_id != payment.pk or (amount is not None and amount != existing.money):
        raise Conflict(_("This refund was already asked for with other details."), code="idempotency_key_reused", field="idempotency_key")
    return send_refund(existing)


def send_refund(refund: Refund) -> Refund:
    """Send a refund still `created` to its gateway (a retry uses the same idempotency key)."""
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.status != Refund.Status.CREATED:
        return refund
    try:
        reported = gateway_for(refund.payment.gateway).refund(refund)
    except GatewayError as exc:
        if exc.retryable:
            raise
        # Refused for good (e.g. the charge was disputed): the amount is held again.
        reported = GatewayRefund(
            reference="",
            payment_reference=refund.payment.gateway_reference or "",
            status=Refund.Status.FAILED,
            amount=refund.money,
            failure=str(exc),
            metadata={"refund": str(refund.pk)},
        )
    apply_gateway_refund(reported, source="gateway", refund=refund)
    refund.refresh_from_db()
    return refund


def confirm_offline_refund(actor: User, refund: Refund, *, bank_reference: str) -> Refund:
    """A finance officer of the agency confirms that the transfer back to the payer was made."""
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ActionError(_("Give the bank's reference of the transfer."), code="required", field="bank_reference")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("payer", "payee").get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        require_finance_officer(actor, Organisation.objects.get(pk=payment.finance_organisation_id))
        if payment.gateway != Gateway.OFFLINE:
            raise Conflict(_("This refund is made through %(gateway)s.") % {"gateway": payment.get_gateway_display()}, code="not_offline")
        if refund.status != Refund.Status.PENDING:
            raise Conflict(
                _("This refund is %(status)s; only a pending one can be confirmed.") % {"status": refund.get_status_display().lower()},
                code="not_pending",
            )
        now = timezone.now()
        refund.confirmed_by = actor
        _refund_succeeded(payment, refund, actor, now, source="finance", confirmation=bank_reference)
    return refund


def apply_gateway_refund(reported: GatewayRefund, *, source: str, refund: Refund | None = None, actor: User | None = None) -> Refund | None:
    """Move a refund forward to what the gateway reports; None when it is about no refund of this platform."""
    found = refund or find_reported(Refund, "refund", reported)
    if found is None:
        return None
    with transaction.atomic():
        # Lock order: the payment, then its refund.
        payment = Payment.objects.select_for_update().select_related("payer", "payee").get(pk=found.payment_id)
        refund = Refund.objects.select_for_update().get(pk=found.pk)
        now = timezone.now()
        if reported.amount != refund.money:
            _audit("refund.gateway_mismatch", payment, actor, now, refund=str(refund.pk), source=source, reported=str(reported.amount))
            return refund
        if reported.reference and refund.gateway_reference is None:
            refund.gateway_reference = reported.reference
        status, target = refund.status, reported.status
        if target == Refund.Status.SUCCEEDED and status in (Refund.Status.CREATED, Refund.Status.PENDING):
            _refund_succeeded(payment, refund, actor, now, source=source)
        elif target in (Refund.Status.FAILED, Refund.Status.CANCELLED) and status in (Refund.Status.CREATED, Refund.Status.PENDING):
            if target == Refund.Status.FAILED:
                refund.fail(reported.failure or _("The gateway could not make the refund."))
            else:
                refund.cancel(reported.failure or _("The refund was withdrawn."))
            refund.save()
            ledger.refund_reversed(refund, now)
            _audit(f"refund.{refund.status}", payment, actor, now, refund=str(refund.pk), source=source, reason=refund.failure_reason)
            _announce(payment, f"refund.{refund.status}", {"refund": str(refund.pk), "refund_status": refund.status})
        elif target == Refund.Status.PENDING and status == Refund.Status.CREATED:
            refund.send(reported.reference)
            refund.save()
            _audit("refund.pending", payment, actor, now, refund=str(refund.pk), source=source)
            _announce(payment, "refund.pending", {"refund": str(refund.pk), "refund_status": refund.status})
        elif refund.gateway_reference != found.gateway_reference:
            refund.save(update_fields=["gateway_reference"])
    return refund


def _refund_succeeded(payment: Payment, refund: Refund, actor: User | None, now: datetime, *, source: str, confirmation: str = "") -> None:
    refund.succeed(now, confirmation)
    refund.save()
    ledger.refund_paid(refund, now)
    _audit("refund.succeeded", payment, actor, now, refund=str(refund.pk), refund_amount=str(refund.amount), source=source)
    refunded = Refund.objects.filter(payment=payment, status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"]
    if payment.status == Payment.Status.SUCCEEDED and refunded == payment.amount:
        payment.mark_refunded()
        payment.save()
        _audit("payment.refunded", payment, actor, now, source=source)
    _announce(payment, "refund.succeeded", {"refund": str(refund.pk), "refund_status": refund.status})
