"""Stripe through localstripe: PaymentIntents paid with a card, refunds, and real signed webhooks."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from marketplace.errors import ActionError
from payments import actions, ledger
from payments.gateway import GatewayError, gateway_for
from payments.models import Account, Gateway, Payment, Refund, WebhookEvent
from payments.money import Money
from payments.stripe_gateway import StripeGateway
from tests.payments.conftest import pay_with_card, wait_for
from tests.payments.helpers import WEBHOOK_URL, IdempotencyReplayingClient
from tests.processes import free_port


@pytest.fixture
def webhooks_to(localstripe, live_server):
    """localstripe sends its Stripe-signed webhooks to this test's live server."""
    localstripe.register_webhook("tests", f"{live_server.url}{WEBHOOK_URL}")
    yield
    localstripe.forget_webhooks("tests")


@pytest.mark.django_db(transaction=True)
def test_card_payment_succeeds_through_the_signed_webhook(stripe_client, webhooks_to, deposit_request):
    start = actions.create_payment(None, **deposit_request())
    assert start.payment.status == Payment.Status.PENDING
    assert start.reference.startswith("pi_") and start.client_secret.startswith(start.reference)
    pay_with_card(stripe_client, start.reference)
    paid = wait_for(lambda: Payment.objects.filter(pk=start.payment.pk, status=Payment.Status.SUCCEEDED).first())
    assert paid.confirmation_reference.startswith("ch_")
    assert WebhookEvent.objects.get(type="payment_intent.succeeded", payment=paid).outcome == WebhookEvent.Outcome.APPLIED
    assert ledger.balances() == {(Account.CASH_AT_GATEWAY, "EUR"): 250000, (Account.DEPOSITS_HELD, "EUR"): -250000}


@pytest.mark.django_db(transaction=True)
def test_declined_card_fails_through_the_webhook_and_posts_nothing(stripe_client, webhooks_to, deposit_request):
    start = actions.create_payment(None, **deposit_request())
    pay_with_card(stripe_client, start.reference, number="4000000000000341")
    failed = wait_for(lambda: Payment.objects.filter(pk=start.payment.pk, status=Payment.Status.FAILED).first())
    assert "declined" in failed.failure_reason
    assert ledger.balances() == {}


@pytest.fixture
def paid(stripe_client, deposit_request, db):
    """A deposit paid by card in localstripe, applied by a reconciliation fetch."""
    start = actions.create_payment(None, **deposit_request())
    pay_with_card(stripe_client, start.reference)
    return actions.sync_payment(start.payment)


def test_reconciliation_fetch_applies_a_payment_whose_webhook_never_came(paid):
    assert paid.status == Payment.Status.SUCCEEDED
    assert ledger.balances()[(Account.CASH_AT_GATEWAY, "EUR")] == 250000


def test_refund_in_full_makes_the_payment_refunded(paid):
    refund = actions.request_refund(None, paid, reason="Unsuccessful bidder", idempotency_key=f"refund:{paid.pk}")
    assert refund.status == Refund.Status.SUCCEEDED and refund.gateway_reference.startswith("re_")
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.REFUNDED
    assert {k: v for k, v in ledger.balances().items() if v} == {}


def test_partial_refund_keeps_the_rest_held(paid):
    actions.request_refund(None, paid, amount=Money(Decimal("500.00"), "EUR"), reason="Part", idempotency_key="r1")
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.SUCCEEDED
    balances = ledger.balances()
    assert balances[(Account.DEPOSITS_HELD, "EUR")] == -200000 and balances[(Account.CASH_AT_GATEWAY, "EUR")] == 200000
    stripe_refunds = gateway_for(Gateway.STRIPE).list_refunds(paid.gateway_reference)
    assert [r.amount for r in stripe_refunds] == [Money(Decimal("500.00"), "EUR")]


def test_asking_again_for_the_same_payment_returns_the_same_payment_intent(stripe_settings, deposit_request, db):
    first = actions.create_payment(None, **deposit_request())
    again = actions.create_payment(None, **deposit_request())
    assert again.reference == first.reference and again.client_secret == first.client_secret


def test_zero_decimal_currency_goes_to_stripe_in_whole_units(stripe_settings, deposit_request, db):
    start = actions.create_payment(None, **deposit_request(amount="300000", currency="JPY"))
    intent = gateway_for(Gateway.STRIPE).client.v1.payment_intents.retrieve(start.reference)
    assert (intent.amount, intent.currency) == (300000, "jpy")


def test_retry_after_a_crash_sends_the_same_idempotency_key_and_gets_the_same_payment_intent(stripe_settings, deposit_request, db):
    # The process died after Stripe created the PaymentIntent and before the platform saved it:
    # the payment row is still `created`, and the retry asks Stripe again.
    fake = IdempotencyReplayingClient()
    gateway = StripeGateway.from_settings(http_client=fake)
    payment = Payment.objects.create(gateway=Gateway.STRIPE, **_row(deposit_request()))
    first = gateway.create_payment(payment)
    retried = gateway.create_payment(payment)
    assert retried.reference == first.reference
    keys = [headers["Idempotency-Key"] for method, url, headers in fake.recorded if method == "post"]
    assert keys == [f"payment:{payment.pk}:create"] * 2


def test_refund_carries_its_own_idempotency_key(paid):
    fake = IdempotencyReplayingClient()
    refund = Refund.objects.create(payment=paid, amount=paid.amount, currency=paid.currency, reason="r", idempotency_key="k")
    gateway = StripeGateway.from_settings(http_client=fake)
    assert gateway.refund(refund).reference == gateway.refund(refund).reference
    assert {headers["Idempotency-Key"] for method, url, headers in fake.recorded} == {f"refund:{refund.pk}"}


def _row(request: dict) -> dict:
    money = request.pop("amount")
    return request | {"amount": money.amount, "currency": money.currency}


def reconcile() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("reconcile", stdout=out, stderr=io.StringIO())
    except CommandError as error:  # what makes `manage.py reconcile` exit with its return code
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def empty_localstripe(localstripe):
    """Only this test's objects at localstripe (reconciliation lists every PaymentIntent)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{localstripe.url}/_config/data", method="DELETE"), timeout=10).close()


def test_reconcile_is_clean_after_payments_and_refunds(empty_localstripe, paid):
    actions.request_refund(None, paid, amount=Money(Decimal("100.00"), "EUR"), reason="Part", idempotency_key="r1")
    code, out = reconcile()
    assert (code, out.strip()) == (0, "Reconciled: no difference.")


def test_reconcile_lists_a_refund_made_at_stripe_behind_the_platforms_back(empty_localstripe, paid, stripe_client):
    stripe_client.v1.refunds.create(params={"payment_intent": paid.gateway_reference, "amount": 1000})
    code, out = reconcile()
    assert code == 1
    assert "refund of 10.00 EUR on payment" in out and "unknown to the platform" in out
    assert f"payment {paid.pk}: 0.00 EUR refunded on the platform, 10.00 EUR at Stripe" in out


def test_reconcile_lists_a_payment_paid_at_stripe_whose_webhook_never_came(empty_localstripe, stripe_client, deposit_request, db):
    start = actions.create_payment(None, **deposit_request())
    pay_with_card(stripe_client, start.reference)
    code, out = reconcile()
    assert code == 1
    assert f"payment {start.payment.pk}: is pending but Stripe's {start.reference} is succeeded" in out


def test_cancelling_an_unpaid_payment_cancels_its_payment_intent(stripe_settings, deposit_request, db):
    start = actions.create_payment(None, **deposit_request())
    assert actions.cancel_payment(None, start.payment, reason="Tender cancelled").status == Payment.Status.CANCELLED
    assert gateway_for(Gateway.STRIPE).retrieve_payment(start.reference).status == Payment.Status.CANCELLED


def test_stripe_unreachable_leaves_the_payment_created_and_the_same_key_retries(stripe_settings, deposit_request, db):
    reachable = stripe_settings.STRIPE_API_BASE
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(GatewayError) as error:
        actions.create_payment(None, **deposit_request())
    assert error.value.retryable and Payment.objects.get().status == Payment.Status.CREATED
    stripe_settings.STRIPE_API_BASE = reachable
    start = actions.create_payment(None, **deposit_request())
    assert start.payment.status == Payment.Status.PENDING and start.reference.startswith("pi_")
    assert Payment.objects.count() == 1


def test_amount_stripe_cannot_charge_is_refused_before_anything_is_recorded(stripe_settings, deposit_request, db):
    with pytest.raises(ActionError) as error:
        actions.create_payment(None, **deposit_request(amount="5.125", currency="KWD"))
    assert error.value.problems[0].code == "not_chargeable" and not Payment.objects.exists()


# A bid deposit paid by card, from the tender to the refund ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_deposit_paid_through_stripe_lets_the_firm_bid_and_comes_back_on_time_after_the_award(
    empty_localstripe, stripe_client, localstripe, webhooks_to, officer, evaluator, firms, deadline
):
    from datetime import timedelta

    import time_machine

    from bidding.actions import eligibility_problems
    from evaluation import actions as evaluation
    from payments import deposits, tasks
    from payments.models import Purpose
    from tests.evaluation import helpers as h

    tender = h.published(officer, deadline, deposit_amount=Decimal("2500.00"))
    (user_a, firm_a), (user_b, firm_b), _ = firms
    for user, firm in ((user_a, firm_a), (user_b, firm_b)):
        start = deposits.start_deposit(user, firm, tender, gateway=Gateway.STRIPE)
        assert start.payment.gateway == Gateway.STRIPE and start.client_secret.startswith(start.reference)
        assert [p.code for p in eligibility_problems(firm, tender, h.now())] == ["deposit_required"]
        pay_with_card(stripe_client, start.reference)  # what the Payment Element does in the firm's browser
        wait_for(lambda firm=firm: Payment.objects.filter(payer=firm, status=Payment.Status.SUCCEEDED).exists())
        assert eligibility_problems(firm, tender, h.now()) == []
    bids = [h.bid(tender, user_a, firm_a, {1: "900.00"}), h.bid(tender, user_b, firm_b, {1: "1000.00"})]
    localstripe.forget_webhooks("tests")  # the clock moves below; the refund is confirmed by Stripe's answer itself

    with h.past(deadline):
        h.open_at_deadline(tender)
        evaluation.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            evaluation.qualify_bid(officer, tender, bid, h.pass_all(tender))
        evaluation.approve_report(officer, tender)
        notice = evaluation.award_tender(officer, tender)
        assert tasks.return_deposits.call(tender.pk)["refunds"] == 1
    refund = Refund.objects.get(payment__payer=firm_b)
    assert refund.status == Refund.Status.SUCCEEDED and refund.gateway_reference.startswith("re_")
    assert refund.succeeded_at <= refund.due_at == deposits.add_working_days(notice.published_at, 5)
    assert Payment.objects.get(payer=firm_b, purpose=Purpose.BID_DEPOSIT).status == Payment.Status.REFUNDED
    assert [r.amount for r in gateway_for(Gateway.STRIPE).list_refunds(refund.payment.gateway_reference)] == [
        Money(Decimal("2500.00"), "EUR")
    ]
    assert ledger.balances(account=Account.DEPOSITS_HELD) == {(Account.DEPOSITS_HELD, "EUR"): -250000}  # the winner's, until it signs
    with time_machine.travel(notice.published_at + timedelta(days=1), tick=False):
        call_command("reconcile", stdout=io.StringIO())  # exits 0: the ledger and Stripe agree


def test_the_deposit_page_hands_the_payment_element_its_client_secret_under_a_policy_that_allows_stripe(
    stripe_settings, officer, firms, deadline, as_user
):
    from tests.evaluation import helpers as h

    tender = h.published(officer, deadline, deposit_amount=Decimal("2500.00"))
    (user, firm), *_ = firms
    response = as_user(user).post(f"/payments/deposits/{tender.pk}/", {"action": "pay", "gateway": "stripe", "organisation": firm.pk})
    payment = Payment.objects.get()
    assert response.status_code == 200 and payment.gateway == Gateway.STRIPE and payment.status == Payment.Status.PENDING
    assert '"clientSecret": "' + payment.gateway_reference + "_secret_" in response.text
    assert stripe_settings.STRIPE_JS_URL in response.text and "js/deposit.js" in response.text
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in policy and "frame-src https://js.stripe.com" in policy
