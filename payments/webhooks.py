"""Stripe webhooks: verified on the raw body, applied once per event id, in any order.

Stripe delivers at least once and in no particular order. The event's unique row
(`WebhookEvent.event_id`) makes a second delivery a no-op; what the event says about a payment
is applied through the same forward-only rules as a reconciliation fetch, so a
`payment_intent.succeeded` before its `payment_intent.created`, or a failure after a success,
leaves the payment where it should be. Events about objects this platform did not create, and
types it does not act on, are acknowledged and recorded as ignored. `account.updated` (from the
Connect endpoint, which may sign with `STRIPE_CONNECT_WEBHOOK_SECRET`) copies Stripe's view of a
supplier's connected account.
"""

import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from payments import actions, connect
from payments.gateway import GatewayError
from payments.models import Gateway, Payment, WebhookEvent
from payments.stripe_gateway import account_from_stripe, payment_from_intent, refund_from_stripe

logger = logging.getLogger(__name__)

PAYMENT_INTENT_EVENTS = {
    "payment_intent.created",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
}
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
# Carry a charge, whose refunds are fetched from Stripe rather than read from the event.
CHARGE_EVENTS = {"charge.refunded"}
ACCOUNT_EVENTS = {"account.updated"}


class BadSignature(Exception):
    pass


def verify(payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if `signature` is Stripe's signature of exactly these bytes and recent enough."""
    # An empty secret is a key anyone can sign with: only configured ones count.
    secrets = [s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s]
    if not secrets:
        raise BadSignature("no STRIPE_WEBHOOK_SECRET is configured")
    failure = None
    for secret in secrets:
        try:
            return stripe.Webhook.construct_event(payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            failure = exc
    raise BadSignature(str(failure)) from failure


def receive(event: stripe.Event) -> WebhookEvent:
    """Apply a verified event once; a second delivery of the same event returns the first's row."""
    data = event.to_dict()
    obj = (data.get("data") or {}).get("object") or {}
    created = datetime.fromtimestamp(int(data.get("created") or 0), tz=UTC)
    stored = _without_secrets(data)
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                event_id=data["id"], type=data.get("type", ""), created=created, outcome=WebhookEvent.Outcome.IGNORED, payload=stored
            )
            row.outcome, row.payment = _apply(row.type, obj)
            row.save(update_fields=["outcome", "payment"])
    except IntegrityError:
        return WebhookEvent.objects.get(event_id=data["id"])
    if row.type in CHARGE_EVENTS and row.payment is not None:
        _fetch_refunds(row.payment)
    return row


def _without_secrets(data: dict) -> dict:
    """The event as stored: a PaymentIntent's client secret lets anyone with the publishable key pay it."""
    obj = (data.get("data") or {}).get("object")
    if isinstance(obj, dict) and "client_secret" in obj:
        return data | {"data": data["data"] | {"object": {k: v for k, v in obj.items() if k != "client_secret"}}}
    return data


def _apply(kind: str, obj: dict) -> tuple[str, Payment | None]:
    if kind in PAYMENT_INTENT_EVENTS:
        reported = payment_from_intent(obj)
        known = actions.find_reported(Payment, "payment", reported)
        payment = actions.apply_gateway_payment(reported, source=f"webhook:{kind}")
        if payment is None:
            return WebhookEvent.Outcome.UNKNOWN_OBJECT, None
        changed = known is None or payment.status != known.status
        return (WebhookEvent.Outcome.APPLIED if changed else WebhookEvent.Outcome.NO_CHANGE), payment
    if kind in REFUND_EVENTS:
        refund = actions.apply_gateway_refund(refund_from_stripe(obj), source=f"webhook:{kind}")
        if refund is None:
            return WebhookEvent.Outcome.UNKNOWN_OBJECT, None
        return WebhookEvent.Outcome.APPLIED, refund.payment
    if kind in CHARGE_EVENTS:
        payment = Payment.objects.filter(gateway=Gateway.STRIPE, gateway_reference=obj.get("payment_intent") or "-").first()
        return (WebhookEvent.Outcome.APPLIED if payment else WebhookEvent.Outcome.UNKNOWN_OBJECT), payment
    if kind in ACCOUNT_EVENTS:
        account, changed = connect.apply_account(account_from_stripe(obj), source=f"webhook:{kind}")
        if account is None:
            return WebhookEvent.Outcome.UNKNOWN_OBJECT, None
        return (WebhookEvent.Outcome.APPLIED if changed else WebhookEvent.Outcome.NO_CHANGE), None
    return WebhookEvent.Outcome.IGNORED, None


def _fetch_refunds(payment: Payment) -> None:
    # Outside the event's transaction: the event is recorded whether or not Stripe answers now;
    # `manage.py reconcile` catches up with what this fetch misses.
    try:
        actions.sync_payment(payment)
    except GatewayError:
        logger.warning("could not fetch the refunds of payment %s after a charge.refunded event", payment.pk, exc_info=True)
