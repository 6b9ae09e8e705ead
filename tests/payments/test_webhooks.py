"""Webhook faults: duplicates, any order, replays, bad signatures, unknown payments and types.

The events are built from real PaymentIntents at localstripe and signed with the webhook
secret, exactly as Stripe delivers them, so each order of arrival can be chosen.
"""

import time

import pytest

from payments import actions, ledger
from payments.gateway import GatewayError
from payments.models import Account, Payment, Refund, WebhookEvent
from tests.payments.conftest import WEBHOOK_SECRET, pay_with_card
from tests.payments.helpers import deliver, event, signed
from tests.processes import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def intent(stripe_client, deposit_request):
    """A deposit's PaymentIntent at localstripe, paid by card; the platform has heard nothing yet."""
    start = actions.create_payment(None, **deposit_request())
    created = stripe_client.v1.payment_intents.retrieve(start.reference).to_dict()
    pay_with_card(stripe_client, start.reference)
    succeeded = stripe_client.v1.payment_intents.retrieve(start.reference).to_dict()
    return start.payment, created, succeeded


def status_of(payment: Payment) -> str:
    return Payment.objects.get(pk=payment.pk).status


def test_succeeded_event_pays_and_a_duplicate_changes_nothing(client, intent):
    payment, _, succeeded = intent
    payload = event("evt_1", "payment_intent.succeeded", succeeded)
    first, second = deliver(client, payload), deliver(client, payload)
    assert first.status_code == second.status_code == 200
    assert first.json()["outcome"] == second.json()["outcome"] == "applied"
    assert status_of(payment) == Payment.Status.SUCCEEDED
    assert WebhookEvent.objects.count() == 1
    assert ledger.balances()[(Account.CASH_AT_GATEWAY, "EUR")] == 250000


def test_the_same_fact_in_two_events_is_applied_once(client, intent):
    _, _, succeeded = intent
    deliver(client, event("evt_1", "payment_intent.succeeded", succeeded))
    assert deliver(client, event("evt_2", "payment_intent.succeeded", succeeded)).json()["outcome"] == "no_change"
    assert ledger.balances()[(Account.CASH_AT_GATEWAY, "EUR")] == 250000


def test_created_arriving_after_succeeded_does_not_move_it_back(client, intent):
    payment, created, succeeded = intent
    deliver(client, event("evt_2", "payment_intent.succeeded", succeeded))
    assert deliver(client, event("evt_1", "payment_intent.created", created)).json()["outcome"] == "no_change"
    assert status_of(payment) == Payment.Status.SUCCEEDED


def test_failure_arriving_after_success_does_not_unpay(client, intent):
    payment, created, succeeded = intent
    failed = created | {"last_payment_error": {"message": "Your card was declined."}}
    deliver(client, event("evt_2", "payment_intent.succeeded", succeeded))
    deliver(client, event("evt_1", "payment_intent.payment_failed", failed))
    assert status_of(payment) == Payment.Status.SUCCEEDED


def test_success_after_a_failed_attempt_pays(client, intent):
    payment, created, succeeded = intent
    deliver(client, event("evt_1", "payment_intent.payment_failed", created | {"last_payment_error": {"message": "Declined."}}))
    assert status_of(payment) == Payment.Status.FAILED
    deliver(client, event("evt_2", "payment_intent.succeeded", succeeded))
    assert status_of(payment) == Payment.Status.SUCCEEDED


def test_succeeded_before_the_platform_saved_the_payment_intent(client, intent):
    # The webhook overtook the create's own save: the row is still `created`, without a reference.
    payment, _, succeeded = intent
    Payment.objects.filter(pk=payment.pk).update(gateway_reference=None)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.CREATED)
    deliver(client, event("evt_1", "payment_intent.succeeded", succeeded))
    paid = Payment.objects.get(pk=payment.pk)
    assert (paid.status, paid.gateway_reference) == (Payment.Status.SUCCEEDED, succeeded["id"])


def test_succeeded_after_a_refund_leaves_it_refunded(client, intent):
    payment, _, succeeded = intent
    deliver(client, event("evt_1", "payment_intent.succeeded", succeeded))
    actions.request_refund(None, payment, reason="Unsuccessful", idempotency_key="r1")
    assert deliver(client, event("evt_2", "payment_intent.succeeded", succeeded)).json()["outcome"] == "no_change"
    assert status_of(payment) == Payment.Status.REFUNDED
    assert {k: v for k, v in ledger.balances().items() if v} == {}


def test_refund_events_in_any_order_settle_on_succeeded(client, intent, stripe_client):
    payment, _, succeeded = intent
    deliver(client, event("evt_1", "payment_intent.succeeded", succeeded))
    refund = actions.request_refund(None, payment, reason="Unsuccessful", idempotency_key="r1")
    stripe_refund = stripe_client.v1.refunds.retrieve(refund.gateway_reference).to_dict()
    deliver(client, event("evt_3", "refund.updated", stripe_refund | {"status": "succeeded"}))
    deliver(client, event("evt_2", "refund.created", stripe_refund | {"status": "pending"}))
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED
    assert ledger.balances().get((Account.REFUNDS_PAYABLE, "EUR"), 0) == 0


def test_charge_refunded_fetches_a_refund_whose_answer_the_platform_never_saw(client, intent, stripe_client, settings):
    payment, _, succeeded = intent
    deliver(client, event("evt_1", "payment_intent.succeeded", succeeded))
    reachable = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # Stripe unreachable: the refund stays `created`
    with pytest.raises(GatewayError):
        actions.request_refund(None, payment, reason="Unsuccessful", idempotency_key="r1")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.CREATED
    settings.STRIPE_API_BASE = reachable
    # As if the lost call had reached Stripe after all.
    stripe_client.v1.refunds.create(params={"payment_intent": succeeded["id"], "metadata": {"refund": str(refund.pk)}})
    charge = {"id": succeeded["latest_charge"], "object": "charge", "payment_intent": succeeded["id"]}
    deliver(client, event("evt_2", "charge.refunded", charge))
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED
    assert status_of(payment) == Payment.Status.REFUNDED


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=1,v1=00",
        signed(b"another body"),
        "tampered",
    ],
    ids=["missing", "garbage", "for_another_body", "malformed"],
)
def test_badly_signed_webhook_is_refused_and_changes_nothing(client, intent, signature):
    payment, _, succeeded = intent
    response = deliver(client, event("evt_1", "payment_intent.succeeded", succeeded), signature=signature)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "bad_signature"
    assert status_of(payment) == Payment.Status.PENDING and not WebhookEvent.objects.exists()


def test_webhook_signed_with_another_secret_is_refused(client, intent):
    payment, _, succeeded = intent
    payload = event("evt_1", "payment_intent.succeeded", succeeded)
    assert deliver(client, payload, signed(payload, secret="whsec_someone_else")).status_code == 400
    assert status_of(payment) == Payment.Status.PENDING


def test_replay_of_an_old_delivery_is_refused_as_stale(client, intent):
    payment, _, succeeded = intent
    old = int(time.time()) - 301
    payload = event("evt_1", "payment_intent.succeeded", succeeded, created=old)
    response = deliver(client, payload, signed(payload, WEBHOOK_SECRET, timestamp=old))
    assert response.status_code == 400
    assert status_of(payment) == Payment.Status.PENDING


def test_webhook_for_an_unknown_payment_is_acknowledged_and_ignored(client, intent):
    payment, _, succeeded = intent
    stranger = succeeded | {"id": "pi_notours", "metadata": {"order": "42"}}
    response = deliver(client, event("evt_1", "payment_intent.succeeded", stranger))
    assert response.status_code == 200 and response.json()["outcome"] == "unknown_object"
    assert status_of(payment) == Payment.Status.PENDING and ledger.balances() == {}


def test_webhook_quoting_our_payment_for_another_payment_intent_is_ignored(client, intent):
    payment, _, succeeded = intent
    forged = succeeded | {"id": "pi_someoneelses"}  # carries our payment's id in its metadata
    assert deliver(client, event("evt_1", "payment_intent.succeeded", forged)).json()["outcome"] == "unknown_object"
    assert status_of(payment) == Payment.Status.PENDING


def test_webhook_with_another_amount_changes_nothing(client, intent):
    payment, _, succeeded = intent
    deliver(client, event("evt_1", "payment_intent.succeeded", succeeded | {"amount": 100, "amount_received": 100}))
    assert status_of(payment) == Payment.Status.PENDING and ledger.balances() == {}


def test_unknown_event_type_is_acknowledged(client, stripe_settings):
    response = deliver(client, event("evt_1", "customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"


def test_without_a_webhook_secret_nothing_is_accepted_even_signed_with_an_empty_key(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = event("evt_1", "customer.created", {"id": "cus_1", "object": "customer"})
    assert deliver(client, payload, signed(payload, secret="")).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_webhook_endpoint_takes_post_only(client):
    assert client.get("/payments/stripe/webhook/").status_code == 405


def test_webhook_body_is_not_json(client, stripe_settings):
    payload = b"not json"
    assert deliver(client, payload, signed(payload)).status_code == 400


def test_events_are_stored_without_the_client_secret(client, intent):
    _, _, succeeded = intent
    assert succeeded["client_secret"]
    deliver(client, event("evt_1", "payment_intent.succeeded", succeeded))
    stored = WebhookEvent.objects.get().payload["data"]["object"]
    assert stored["id"] == succeeded["id"] and "client_secret" not in stored


@pytest.mark.parametrize("persona", ["public", "supplier_a", "finance_officer", "registry_officer"])
def test_no_one_is_let_in_by_being_signed_in(request, as_user, stripe_settings, intent, persona):
    payment, _, succeeded = intent
    visitor = request.getfixturevalue("client") if persona == "public" else as_user(request.getfixturevalue(persona))
    payload = event("evt_1", "payment_intent.succeeded", succeeded)
    assert deliver(visitor, payload, signature="").status_code == 400
    assert status_of(payment) == Payment.Status.PENDING
