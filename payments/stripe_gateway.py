"""Stripe, through the official SDK's `StripeClient`.

Amounts cross this boundary as integer minor units in Stripe's own table
(`payments.money.to_stripe_amount`). Every write carries an idempotency key derived from the
platform's ids (`payment:<uuid>:create`, `refund:<uuid>`), so a retry from any process, after a
timeout or a crash, gets Stripe's first answer back instead of a second charge or refund.
PaymentIntents capture at once (`capture_method=automatic`): a card hold expires after about
seven days, and a tender runs for weeks.

Stripe Connect: a supplier firm's Express account (`account:<org id>:create`), its onboarding
links (`account:<org id>:link:<n>`), and the Transfer of an invoice's settlement to it
(`invoice:<id>:transfer`), in the contract's `transfer_group` and from the settlement's charge.
"""

from collections.abc import Iterator

import stripe
from django.conf import settings

from payments.gateway import GatewayAccount, GatewayError, GatewayPayment, GatewayRefund, GatewayTransfer, idempotency_key
from payments.models import Gateway, Payment, Refund
from payments.money import from_stripe_amount, stripe_currency, to_stripe_amount

# Stripe's PaymentIntent statuses, as the platform's payment states.
PAYMENT_STATUS = {
    "requires_payment_method": Payment.Status.PENDING,  # FAILED when it carries a last_payment_error
    "requires_confirmation": Payment.Status.PENDING,
    "requires_action": Payment.Status.PENDING,
    "processing": Payment.Status.PENDING,
    "requires_capture": Payment.Status.PENDING,
    "succeeded": Payment.Status.SUCCEEDED,
    "canceled": Payment.Status.CANCELLED,
}
REFUND_STATUS = {
    "pending": Refund.Status.PENDING,
    "requires_action": Refund.Status.PENDING,
    "succeeded": Refund.Status.SUCCEEDED,
    "failed": Refund.Status.FAILED,
    "canceled": Refund.Status.CANCELLED,
}
# Marks the PaymentIntents this platform created, among others on the same Stripe account.
PLATFORM_MARK = "tenderhall"


def plain(obj) -> dict:
    """An SDK object as a plain dict (webhook events' objects already are)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def payment_from_intent(intent) -> GatewayPayment:
    """The platform's view of a PaymentIntent (an SDK object or the dict of a webhook's event)."""
    intent = plain(intent)
    status = PAYMENT_STATUS.get(intent["status"], Payment.Status.PENDING)
    error = intent.get("last_payment_error") or None
    if intent["status"] == "requires_payment_method" and error:
        status = Payment.Status.FAILED
    received = intent.get("amount_received")
    charge = intent.get("latest_charge") or ""
    return GatewayPayment(
        reference=intent["id"],
        status=status,
        amount=from_stripe_amount(intent["amount"], intent["currency"]),
        amount_received=from_stripe_amount(received, intent["currency"]) if isinstance(received, int) else None,
        client_secret=intent.get("client_secret") or "",
        charge=charge if isinstance(charge, str) else charge.get("id", ""),
        failure=(error or {}).get("message") or "",
        metadata=dict(intent.get("metadata") or {}),
    )


def refund_from_stripe(refund) -> GatewayRefund:
    refund = plain(refund)
    return GatewayRefund(
        reference=refund["id"],
        payment_reference=refund.get("payment_intent") or "",
        status=REFUND_STATUS.get(refund["status"], Refund.Status.PENDING),
        amount=from_stripe_amount(refund["amount"], refund["currency"]),
        failure=refund.get("failure_reason") or "",
        metadata=dict(refund.get("metadata") or {}),
    )


def account_from_stripe(account) -> GatewayAccount:
    """The platform's view of a connected account (an SDK object or the dict of an `account.updated` event)."""
    account = plain(account)
    transfers = (account.get("capabilities") or {}).get("transfers") or "inactive"
    return GatewayAccount(
        reference=account["id"],
        country=account.get("country") or "",
        details_submitted=bool(account.get("details_submitted")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        transfers=transfers if transfers in ("active", "pending", "inactive") else "inactive",
        requirements_due=list((account.get("requirements") or {}).get("currently_due") or []),
        metadata=dict(account.get("metadata") or {}),
    )


def transfer_from_stripe(transfer) -> GatewayTransfer:
    transfer = plain(transfer)
    source = transfer.get("source_transaction") or ""
    return GatewayTransfer(
        reference=transfer["id"],
        amount=from_stripe_amount(transfer["amount"], transfer["currency"]),
        destination=transfer.get("destination") or "",
        transfer_group=transfer.get("transfer_group") or "",
        source_transaction=source if isinstance(source, str) else source.get("id", ""),
        reversed=bool(transfer.get("reversed")),
        metadata=dict(transfer.get("metadata") or {}),
    )


class StripeGateway:
    name = Gateway.STRIPE

    def __init__(self, client: stripe.StripeClient):
        self.client = client

    @classmethod
    def from_settings(cls, http_client=None) -> "StripeGateway":
        if not settings.STRIPE_SECRET_KEY:
            raise GatewayError("Stripe is not configured (STRIPE_SECRET_KEY)", code="not_configured", retryable=False)
        client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=2,
            http_client=http_client,
        )
        return cls(client)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayError(f"Stripe could not be reached: {exc}", code="unreachable") from exc
        except stripe.StripeError as exc:
            # 409: the same idempotency key is in flight from another process; try again shortly.
            status = getattr(exc, "http_status", None) or 0
            raise GatewayError(
                f"Stripe refused the request: {exc.user_message or exc}",
                code=exc.code or "refused",
                retryable=status >= 500 or status == 409,
            ) from exc

    def create_payment(self, payment: Payment) -> GatewayPayment:
        params = {
            "amount": to_stripe_amount(payment.money),
            "currency": stripe_currency(payment.currency),
            "capture_method": "automatic",
            "payment_method_types": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
            "metadata": {
                "platform": PLATFORM_MARK,
                "payment": str(payment.pk),
                "purpose": payment.purpose,
                "payer": str(payment.payer_id),
                "tender": str(payment.tender_id or ""),
            },
        }
        if payment.transfer_group:
            params["transfer_group"] = payment.transfer_group
        options = {"idempotency_key": idempotency_key("payment", payment.pk, "create")}
        intent = self._call(self.client.v1.payment_intents.create, params=params, options=options)
        return payment_from_intent(intent)

    def retrieve_payment(self, reference: str) -> GatewayPayment:
        return payment_from_intent(self._call(self.client.v1.payment_intents.retrieve, reference))

    def cancel_payment(self, payment: Payment) -> GatewayPayment:
        options = {"idempotency_key": idempotency_key("payment", payment.pk, "cancel")}
        return payment_from_intent(self._call(self.client.v1.payment_intents.cancel, payment.gateway_reference, options=options))

    def refund(self, refund: Refund) -> GatewayRefund:
        params = {
            "payment_intent": refund.payment.gateway_reference,
            "amount": to_stripe_amount(refund.money),
            "metadata": {"platform": PLATFORM_MARK, "refund": str(refund.pk), "payment": str(refund.payment_id)},
        }
        options = {"idempotency_key": idempotency_key("refund", refund.pk)}
        return refund_from_stripe(self._call(self.client.v1.refunds.create, params=params, options=options))

    def list_refunds(self, payment_reference: str) -> list[GatewayRefund]:
        page = self._call(self.client.v1.refunds.list, params={"payment_intent": payment_reference, "limit": 100})
        return [refund_from_stripe(r) for r in page.auto_paging_iter()]

    def list_payments(self) -> Iterator[GatewayPayment]:
        page = self._call(self.client.v1.payment_intents.list, params={"limit": 100})
        for intent in page.auto_paging_iter():
            if (plain(intent).get("metadata") or {}).get("platform") == PLATFORM_MARK:
                yield payment_from_intent(intent)

    # Stripe Connect ---------------------------------------------------------------------

    def create_account(self, organisation, *, country: str, email: str = "") -> GatewayAccount:
        """The firm's Express account, asking for the `transfers` capability; the same firm gets the same account."""
        params = {
            "type": "express",
            "country": country,
            "capabilities": {"transfers": {"requested": True}},
            "business_profile": {"name": organisation.name[:100]},
            "metadata": {"platform": PLATFORM_MARK, "organisation": str(organisation.pk)},
        }
        if email:
            params["email"] = email
        options = {"idempotency_key": idempotency_key("account", organisation.pk, "create")}
        return account_from_stripe(self._call(self.client.v1.accounts.create, params=params, options=options))

    def retrieve_account(self, reference: str) -> GatewayAccount:
        return account_from_stripe(self._call(self.client.v1.accounts.retrieve, reference))

    def create_account_link(self, organisation, reference: str, *, number: int, refresh_url: str, return_url: str) -> str:
        """A single-use onboarding link (it expires after a few minutes); the n-th link has its own key."""
        params = {"account": reference, "type": "account_onboarding", "refresh_url": refresh_url, "return_url": return_url}
        options = {"idempotency_key": idempotency_key("account", organisation.pk, f"link:{number}")}
        return plain(self._call(self.client.v1.account_links.create, params=params, options=options))["url"]

    def create_transfer(self, invoice, *, destination: str, amount, source_transaction: str = "") -> GatewayTransfer:
        """The invoice's payout to the supplier's connected account; a retry gets the first Transfer back."""
        params = {
            "amount": to_stripe_amount(amount),
            "currency": stripe_currency(amount.currency),
            "destination": destination,
            "transfer_group": invoice.transfer_group,
            "description": f"Invoice {invoice.number}"[:300],
            "metadata": {
                "platform": PLATFORM_MARK,
                "invoice": str(invoice.pk),
                "payment": str(invoice.payment_id),
                "contract": str(invoice.contract_id),
            },
        }
        if source_transaction:
            params["source_transaction"] = source_transaction
        options = {"idempotency_key": idempotency_key("invoice", invoice.pk, "transfer")}
        return transfer_from_stripe(self._call(self.client.v1.transfers.create, params=params, options=options))

    def retrieve_transfer(self, reference: str) -> GatewayTransfer:
        return transfer_from_stripe(self._call(self.client.v1.transfers.retrieve, reference))

    def list_transfers(self) -> Iterator[GatewayTransfer]:
        page = self._call(self.client.v1.transfers.list, params={"limit": 100})
        for transfer in page.auto_paging_iter():
            if (plain(transfer).get("metadata") or {}).get("platform") == PLATFORM_MARK:
                yield transfer_from_stripe(transfer)
