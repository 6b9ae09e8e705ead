"""The payment gateway: what the platform asks of the one that moves the money.

Two implementations: `offline` (the default: the payer makes a bank transfer quoting a reference,
a finance officer confirms that it arrived) and `stripe` (`payments.stripe_gateway`, when
`STRIPE_SECRET_KEY` is set). A gateway reports what it knows as `GatewayPayment` and
`GatewayRefund`; the actions decide from them, never from a payer's browser.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from payments.models import Gateway as GatewayName
from payments.models import Payment, Refund
from payments.money import Money


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; nothing was changed on the platform.

    `retryable` is true when the same call (with the same idempotency key) may be tried again.
    """

    def __init__(self, message: str, *, code: str = "gateway_error", retryable: bool = True):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class GatewayPayment:
    """A payment as the gateway sees it; `status` is one of `Payment.Status`."""

    reference: str
    status: str
    amount: Money
    amount_received: Money | None = None
    # Stripe: what the page's Payment Element needs to let the payer pay (never stored).
    client_secret: str = ""
    charge: str = ""
    failure: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayRefund:
    """A refund as the gateway sees it; `status` is one of `Refund.Status`."""

    reference: str
    payment_reference: str
    status: str
    amount: Money
    failure: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayAccount:
    """A Stripe connected account as Stripe sees it; `transfers` is its capability's status."""

    reference: str
    country: str
    details_submitted: bool
    payouts_enabled: bool
    transfers: str
    requirements_due: list = field(default_factory=list)
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayTransfer:
    """A Stripe Connect Transfer as Stripe sees it."""

    reference: str
    amount: Money
    destination: str
    transfer_group: str = ""
    source_transaction: str = ""
    reversed: bool = False
    metadata: dict = field(default_factory=dict)


class PaymentGateway(Protocol):
    name: str

    def create_payment(self, payment: Payment) -> GatewayPayment:
        """Ask the gateway to take `payment`; safe to call again for the same payment."""

    def retrieve_payment(self, reference: str) -> GatewayPayment: ...

    def cancel_payment(self, payment: Payment) -> GatewayPayment: ...

    def refund(self, refund: Refund) -> GatewayRefund:
        """Ask the gateway to return `refund.amount` of its payment; safe to call again for the same refund."""

    def list_refunds(self, payment_reference: str) -> list[GatewayRefund]: ...

    def list_payments(self) -> Iterator[GatewayPayment]:
        """Every payment the gateway holds for this platform (reconciliation)."""


def idempotency_key(kind: str, pk, step: str = "") -> str:
    """Stripe's idempotency key for one write, from the platform's own ids: any process retrying
    the same step of the same payment sends the same key and gets the first answer back."""
    return f"{kind}:{pk}:{step}" if step else f"{kind}:{pk}"


def transfer_reference(payment: Payment) -> str:
    """The ISO 11649 creditor reference (RF…) a payer quotes on a bank transfer, derived from the payment's id."""
    body = _base36(payment.pk.int >> 28).rjust(20, "0")
    reference = f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"
    assert iso11649.is_valid(reference)
    return reference


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


class OfflineGateway:
    """Bank transfers. The platform's own records are the gateway's: a payment waits for the
    transfer quoting its reference, and a finance officer's confirmation is what makes it paid."""

    name = GatewayName.OFFLINE

    def create_payment(self, payment: Payment) -> GatewayPayment:
        return GatewayPayment(reference=transfer_reference(payment), status=Payment.Status.PENDING, amount=payment.money)

    def retrieve_payment(self, reference: str) -> GatewayPayment:
        payment = Payment.objects.get(gateway_reference=reference, gateway=self.name)
        return GatewayPayment(
            reference=reference,
            status=payment.status,
            amount=payment.money,
            amount_received=payment.money if payment.is_paid else None,
            charge=payment.confirmation_reference,
        )

    def cancel_payment(self, payment: Payment) -> GatewayPayment:
        return GatewayPayment(reference=payment.gateway_reference or "", status=Payment.Status.CANCELLED, amount=payment.money)

    def refund(self, refund: Refund) -> GatewayRefund:
        # The finance officer makes the transfer back and confirms it (`confirm_offline_refund`).
        return GatewayRefund(
            reference=f"{refund.payment.gateway_reference}-R{str(refund.pk.hex)[:8].upper()}",
            payment_reference=refund.payment.gateway_reference or "",
            status=Refund.Status.PENDING,
            amount=refund.money,
        )

    def list_refunds(self, payment_reference: str) -> list[GatewayRefund]:
        return [
            GatewayRefund(reference=r.gateway_reference or "", payment_reference=payment_reference, status=r.status, amount=r.money)
            for r in Refund.objects.filter(payment__gateway_reference=payment_reference)
        ]

    def list_payments(self) -> Iterator[GatewayPayment]:
        for payment in Payment.objects.filter(gateway=self.name).exclude(gateway_reference=None).iterator():
            yield self.retrieve_payment(payment.gateway_reference)


def configured_gateway_name() -> str:
    return settings.PAYMENT_GATEWAY


def gateway_for(name: str) -> PaymentGateway:
    """The gateway that handles payments made through `name`."""
    if name == GatewayName.OFFLINE:
        return OfflineGateway()
    if name == GatewayName.STRIPE:
        from payments.stripe_gateway import StripeGateway

        return StripeGateway.from_settings()
    raise ValueError(f"unknown payment gateway {name!r}")
