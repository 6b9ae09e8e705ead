"""Reconciliation: the ledger against the payments, and the payments against their gateway.

Every difference is listed, none is fixed here: a finance officer decides (`sync_payment`
applies what Stripe says, for a webhook that never arrived).
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Sum

from payments import ledger
from payments.gateway import GatewayError, gateway_for
from payments.models import ConnectedAccount, Gateway, Invoice, LedgerEntry, LedgerTransaction, Payment, Refund
from payments.money import Money


@dataclass(frozen=True)
class Difference:
    subject: str  # what it is about: `payment <uuid>`, `ledger <key>`, `stripe pi_…`
    problem: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"


def differences(*, gateways: bool = True) -> list[Difference]:
    found = list(ledger_differences())
    if gateways:
        found += list(offline_differences())
        found += list(stripe_differences())
        found += list(transfer_differences())
    return found


def ledger_differences() -> Iterator[Difference]:
    """Transactions that do not balance, and payments or refunds whose entries do not match their state."""
    for key, currency, total in ledger.unbalanced_transactions():
        yield Difference(f"ledger {key}", f"debits and credits differ by {total} minor units of {currency}")
    for key in LedgerTransaction.objects.filter(posted=False).values_list("key", flat=True):
        yield Difference(f"ledger {key}", "transaction left unposted")
    posted = defaultdict(int)
    for key, total in (
        LedgerEntry.objects.posted().filter(amount_minor__gt=0).values_list("transaction__key").annotate(total=Sum("amount_minor"))
    ):
        posted[key] = total
    for payment in Payment.objects.iterator():
        expected = payment.money.minor if payment.is_paid else None
        yield from _posting(f"payment:{payment.pk}:received", expected, posted, f"payment {payment.pk}", payment.status)
    for refund in Refund.objects.select_related("payment").iterator():
        minor = refund.money.minor
        subject = f"refund {refund.pk}"
        yield from _posting(f"refund:{refund.pk}:requested", minor, posted, subject, refund.status)
        yield from _posting(
            f"refund:{refund.pk}:paid", minor if refund.status == Refund.Status.SUCCEEDED else None, posted, subject, refund.status
        )
        reversed_ = refund.status in (Refund.Status.FAILED, Refund.Status.CANCELLED)
        yield from _posting(f"refund:{refund.pk}:reversed", minor if reversed_ else None, posted, subject, refund.status)


def _posting(key: str, expected: int | None, posted: dict[str, int], subject: str, status: str) -> Iterator[Difference]:
    actual = posted.get(key)
    if expected is None and actual is not None:
        yield Difference(subject, f"is {status} but the ledger has {key}")
    elif expected is not None and actual is None:
        yield Difference(subject, f"is {status} but the ledger has no {key}")
    elif expected != actual:
        yield Difference(subject, f"{key} posts {actual} minor units, not {expected}")


def offline_differences() -> Iterator[Difference]:
    """Bank transfers marked paid without the finance officer's confirmation, or refunds likewise."""
    offline = Payment.objects.filter(gateway=Gateway.OFFLINE)
    for payment in offline.paid():
        if not payment.confirmation_reference or payment.confirmed_by_id is None:
            yield Difference(f"payment {payment.pk}", "paid by bank transfer without a confirmed bank reference")
    for refund in Refund.objects.filter(payment__gateway=Gateway.OFFLINE, status=Refund.Status.SUCCEEDED):
        if not refund.confirmation_reference or refund.confirmed_by_id is None:
            yield Difference(f"refund {refund.pk}", "refunded by bank transfer without a confirmed bank reference")


def stripe_differences() -> Iterator[Difference]:
    """Each Stripe payment and refund against Stripe's own record, and PaymentIntents of this platform Stripe has and the platform does not."""
    ours = list(Payment.objects.filter(gateway=Gateway.STRIPE))
    if not ours and not _stripe_configured():
        return
    try:
        gateway = gateway_for(Gateway.STRIPE)
    except GatewayError as exc:
        yield Difference("stripe", f"cannot be asked: {exc}")
        return
    try:
        yield from _compare_stripe(gateway, ours)
    except GatewayError as exc:
        yield Difference("stripe", f"did not answer: {exc}")


def _stripe_configured() -> bool:
    from django.conf import settings

    return bool(settings.STRIPE_SECRET_KEY)


def _compare_stripe(gateway, ours: list[Payment]) -> Iterator[Difference]:
    known_references = set()
    for payment in ours:
        subject = f"payment {payment.pk}"
        if not payment.gateway_reference:
            if payment.status != Payment.Status.CREATED:
                yield Difference(subject, f"is {payment.status} but has no PaymentIntent")
            continue
        known_references.add(payment.gateway_reference)
        reported = gateway.retrieve_payment(payment.gateway_reference)
        if reported.amount != payment.money:
            yield Difference(subject, f"is {payment.money} but Stripe's {reported.reference} is {reported.amount}")
        stripe_paid = reported.status == Payment.Status.SUCCEEDED
        if stripe_paid != payment.is_paid:
            yield Difference(subject, f"is {payment.status} but Stripe's {reported.reference} is {reported.status}")
        elif payment.status == Payment.Status.CANCELLED and reported.status != Payment.Status.CANCELLED:
            yield Difference(subject, f"is cancelled but Stripe's {reported.reference} is {reported.status}")
        if stripe_paid and reported.amount_received is not None and reported.amount_received != payment.money:
            yield Difference(subject, f"Stripe received {reported.amount_received}, not {payment.money}")
        if reported.charge:
            yield from _compare_refunds(payment, gateway.list_refunds(payment.gateway_reference))
    for reported in gateway.list_payments():
        if reported.reference not in known_references:
            yield Difference(
                f"stripe {reported.reference}",
                f"PaymentIntent of this platform ({reported.amount}, {reported.status}) unknown to the platform",
            )


def _compare_refunds(payment: Payment, reported_refunds) -> Iterator[Difference]:
    ours = {r.gateway_reference: r for r in payment.refunds.all() if r.gateway_reference}
    refunded_at_stripe = Money(0, payment.currency)
    for reported in reported_refunds:
        refund = ours.pop(reported.reference, None)
        if reported.status == Refund.Status.SUCCEEDED:
            refunded_at_stripe += reported.amount
        if refund is None:
            yield Difference(f"stripe {reported.reference}", f"refund of {reported.amount} on payment {payment.pk} unknown to the platform")
            continue
        if reported.amount != refund.money or reported.status != refund.status:
            yield Difference(
                f"refund {refund.pk}",
                f"is {refund.money} {refund.status} but Stripe's {reported.reference} is {reported.amount} {reported.status}",
            )
    for reference, refund in ours.items():
        yield Difference(f"refund {refund.pk}", f"Stripe has no refund {reference}")
    refunded_here = sum((r.money for r in payment.refunds.filter(status=Refund.Status.SUCCEEDED)), Money(0, payment.currency))
    if refunded_here != refunded_at_stripe:
        yield Difference(f"payment {payment.pk}", f"{refunded_here} refunded on the platform, {refunded_at_stripe} at Stripe")


def transfer_differences() -> Iterator[Difference]:
    """Each invoice paid out through Stripe Connect against its Transfer at Stripe, invoices settled
    through Stripe whose Transfer is not made, and Transfers of this platform no invoice knows."""
    ours = list(Invoice.objects.exclude(transfer_status=Invoice.TransferStatus.NONE).select_related("payment"))
    if not ours and not (_stripe_configured() and ConnectedAccount.objects.exists()):
        return  # no firm was ever onboarded: this platform made no Transfer
    try:
        gateway = gateway_for(Gateway.STRIPE)
        yield from _compare_transfers(gateway, ours)
    except GatewayError as exc:
        yield Difference("stripe", f"did not answer about transfers: {exc}")


def _compare_transfers(gateway, ours: list[Invoice]) -> Iterator[Difference]:
    destinations = dict(ConnectedAccount.objects.values_list("organisation_id", "stripe_account"))
    known = set()
    for invoice in ours:
        subject = f"invoice {invoice.pk}"
        if invoice.transfer_status != Invoice.TransferStatus.MADE:
            yield Difference(
                subject, f"is paid but its transfer of {invoice.payout} is {invoice.transfer_status}: {invoice.transfer_failure}"
            )
            continue
        known.add(invoice.transfer_reference)
        reported = gateway.retrieve_transfer(invoice.transfer_reference)
        if reported.amount != invoice.payout:
            yield Difference(subject, f"pays out {invoice.payout} but Stripe's {reported.reference} is {reported.amount}")
        if reported.destination != destinations.get(invoice.supplier_id):
            yield Difference(subject, f"Stripe's {reported.reference} went to {reported.destination}, not the supplier's account")
        if reported.transfer_group != invoice.transfer_group:
            yield Difference(
                subject, f"Stripe's {reported.reference} is in group {reported.transfer_group!r}, not {invoice.transfer_group!r}"
            )
        if reported.reversed:
            yield Difference(subject, f"Stripe's {reported.reference} was reversed")
    for reported in gateway.list_transfers():
        if reported.reference not in known:
            yield Difference(f"stripe {reported.reference}", f"Transfer of this platform ({reported.amount}) unknown to the platform")
