# ruff: noqa: F811 (pytest fixtures imported from the invoice tests are named as arguments)
"""Stripe Connect: a supplier's connected account, invoices settled by PaymentIntent and paid out
by Transfer. PaymentIntents and webhooks are localstripe's; Accounts, AccountLinks and Transfers,
which localstripe does not have, are answered by `ConnectRecordedFake` (tests/payments/helpers.py)
at the SDK's HTTP boundary, named as such."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from contracts import deliveries
from contracts.models import Contract
from marketplace.errors import Conflict, Forbidden
from marketplace.models import AuditEvent, Role
from payments import actions, connect, invoices, ledger, reconcile, tasks
from payments.models import Account, ConnectedAccount, Gateway, Invoice, Payment, WebhookEvent
from payments.stripe_gateway import StripeGateway
from tests import factories
from tests.contracts.conftest import english_pdf, quick_documents  # noqa: F401 (fixtures)
from tests.contracts.helpers import confirm_award, milestone_plans, signed_by_both
from tests.openapi import assert_conforms
from tests.payments.conftest import WEBHOOK_SECRET, pay_with_card, wait_for
from tests.payments.helpers import WEBHOOK_URL, ConnectRecordedFake, deliver, event, signed
from tests.payments.test_invoices import active, submit  # noqa: F401 (fixture)

pytestmark = [pytest.mark.usefixtures("quick_documents")]


@pytest.fixture
def fake(stripe_settings, monkeypatch) -> ConnectRecordedFake:
    """Every StripeGateway of the process (the live server's too) talks through the recorded fake."""
    recorded = ConnectRecordedFake()
    original = StripeGateway.from_settings.__func__
    monkeypatch.setattr(StripeGateway, "from_settings", classmethod(lambda cls, http_client=None: original(cls, http_client or recorded)))
    return recorded


@pytest.fixture
def connected(fake, supplier_a, supplier_org_a, firms):
    """Supplier A onboarded: its account created and enabled at Stripe, and refreshed from it."""
    connect.start_onboarding(supplier_a, supplier_org_a)
    account = ConnectedAccount.objects.get(organisation=supplier_org_a)
    fake.enable(account.stripe_account)
    connect.refresh_account(supplier_org_a)
    account.refresh_from_db()
    return account


def _intent_id(invoice: Invoice) -> str:
    return Payment.objects.get(pk=invoice.payment_id).gateway_reference


# Onboarding -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_onboarding_creates_the_account_once_and_a_new_link_each_time(fake, supplier_a, supplier_org_a, active):
    url = connect.start_onboarding(supplier_a, supplier_org_a)
    again = connect.start_onboarding(supplier_a, supplier_org_a)
    account = ConnectedAccount.objects.get(organisation=supplier_org_a)
    assert url.startswith(f"https://connect.stripe.com/setup/e/{account.stripe_account}/") and again != url
    [(headers, params)] = fake.sent("post", "/v1/accounts")
    assert headers["Idempotency-Key"] == f"account:{supplier_org_a.pk}:create"
    assert params["type"] == "express" and params["country"] == "NZ"  # the registry's country
    assert params["capabilities[transfers][requested]"] == "true"
    assert params["metadata[organisation]"] == str(supplier_org_a.pk) and params["metadata[platform]"] == "tenderhall"
    links = fake.sent("post", "/v1/account_links")
    assert [h["Idempotency-Key"] for h, _p in links] == [f"account:{supplier_org_a.pk}:link:1", f"account:{supplier_org_a.pk}:link:2"]
    assert links[0][1]["type"] == "account_onboarding" and links[0][1]["account"] == account.stripe_account
    assert links[0][1]["return_url"].endswith(f"/payments/connect/return/?organisation={supplier_org_a.pk}")
    assert links[0][1]["refresh_url"].endswith(f"/payments/connect/refresh/?organisation={supplier_org_a.pk}")
    # Until Stripe says otherwise, the account cannot receive anything.
    assert not account.can_receive_transfers and "external_account" in account.requirements_due
    assert AuditEvent.objects.filter(action="connect.account_created").count() == 1


@pytest.mark.django_db
def test_the_return_page_asks_stripe_and_ignores_the_browser(fake, supplier_a, supplier_org_a, active, client):
    client.force_login(supplier_a)
    page = client.get(reverse("payments:overview")).content.decode()
    assert "Receive invoice payments through Stripe" in page and reverse("payments:connect-onboard") in page
    sent = client.post(reverse("payments:connect-onboard"), {"organisation": supplier_org_a.pk})
    assert sent.status_code == 302 and sent.url.startswith("https://connect.stripe.com/setup/e/")
    account = ConnectedAccount.objects.get(organisation=supplier_org_a)
    # Back from Stripe before finishing: whatever the query says, Stripe's record decides.
    client.get(reverse("payments:connect-return") + f"?organisation={supplier_org_a.pk}&details_submitted=true")
    account.refresh_from_db()
    assert not account.can_receive_transfers
    fake.enable(account.stripe_account)
    back = client.get(reverse("payments:connect-return") + f"?organisation={supplier_org_a.pk}")
    assert back.status_code == 302
    account.refresh_from_db()
    assert account.can_receive_transfers and account.payouts_enabled
    assert fake.sent("get", f"/v1/accounts/{account.stripe_account}")
    assert "receives your approved invoices" in client.get(reverse("payments:overview")).content.decode()
    # An expired link sends the administrator to the refresh address: a new link, same account.
    refreshed = client.get(reverse("payments:connect-refresh") + f"?organisation={supplier_org_a.pk}")
    assert refreshed.status_code == 302 and account.stripe_account in refreshed.url
    assert len(fake.sent("post", "/v1/accounts")) == 1


@pytest.mark.django_db
def test_offline_configuration_offers_no_stripe_account(settings, supplier_a, supplier_org_a, client):
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(supplier_a)
    assert "Receive invoice payments through Stripe" not in client.get(reverse("payments:overview")).content.decode()
    assert client.post(reverse("payments:connect-onboard"), {"organisation": supplier_org_a.pk}).status_code == 404
    assert client.get(reverse("payments:connect-return")).status_code == 404
    with pytest.raises(Conflict):
        connect.start_onboarding(supplier_a, supplier_org_a)
    assert ConnectedAccount.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "bidder_a", "supplier_b", "officer", "finance_officer"])
def test_only_the_firms_administrator_onboards(fake, persona, request, supplier_org_a, client, api_client):
    if persona != "anonymous":
        person = request.getfixturevalue(persona)
        client.force_login(person)
        api_client.force_authenticate(person)
    expected = {"anonymous": 302, "bidder_a": 403, "supplier_b": 404, "officer": 403, "finance_officer": 403}[persona]
    answer = client.post(reverse("payments:connect-onboard"), {"organisation": supplier_org_a.pk})
    assert answer.status_code == expected
    if persona == "anonymous":
        assert "stripe.com" not in answer.url
    for path in (reverse("payments:connect-return"), reverse("payments:connect-refresh")):
        assert client.get(path + f"?organisation={supplier_org_a.pk}").status_code == expected
    onboarding = api_client.post("/api/v1/connect/onboarding/", {"organisation": supplier_org_a.pk}, format="json")
    assert onboarding.status_code in (401, 403, 404, 422)
    if persona == "bidder_a":
        with pytest.raises(Forbidden):
            connect.start_onboarding(request.getfixturevalue("bidder_a"), supplier_org_a)
    assert ConnectedAccount.objects.filter(organisation=supplier_org_a).count() == 0
    assert fake.sent("post", "/v1/accounts") == []


@pytest.mark.django_db
def test_the_connect_api_answers_as_its_schema_says(fake, supplier_a, supplier_org_a, active, api_client):
    api_client.force_authenticate(supplier_a)
    assert api_client.get("/api/v1/connect/account/").status_code == 404
    created = api_client.post("/api/v1/connect/onboarding/", {}, format="json")
    assert created.status_code == 201 and created.json()["url"].startswith("https://connect.stripe.com/")
    assert_conforms(created, "post")
    fake.enable(created.json()["account"]["stripe_account"])
    connect.refresh_account(supplier_org_a)
    state = api_client.get("/api/v1/connect/account/")
    assert state.status_code == 200 and state.json()["can_receive_transfers"] is True and state.json()["transfers"] == "active"
    assert_conforms(state)


# account.updated -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_updated_webhook_signed_for_real_applies_once(fake, supplier_a, supplier_org_a, active, client, settings):
    connect.start_onboarding(supplier_a, supplier_org_a)
    account = ConnectedAccount.objects.get(organisation=supplier_org_a)
    enabled = fake.enable(account.stripe_account)
    # localstripe cannot send account.updated: the test signs Stripe's event with the endpoint's secret.
    payload = event("evt_account_1", "account.updated", enabled)
    first = deliver(client, payload)
    assert first.status_code == 200 and first.json()["outcome"] == WebhookEvent.Outcome.APPLIED
    account.refresh_from_db()
    assert account.can_receive_transfers
    assert deliver(client, payload).json()["outcome"] == WebhookEvent.Outcome.APPLIED  # the same row, not applied again
    assert WebhookEvent.objects.filter(event_id="evt_account_1").count() == 1
    assert AuditEvent.objects.filter(action="connect.account_updated").count() == 1
    assert deliver(client, event("evt_account_2", "account.updated", enabled)).json()["outcome"] == WebhookEvent.Outcome.NO_CHANGE
    stranger = enabled | {"id": "acct_not_ours"}
    assert deliver(client, event("evt_account_3", "account.updated", stranger)).json()["outcome"] == WebhookEvent.Outcome.UNKNOWN_OBJECT
    # Stripe turns the capability off again: that is applied too.
    restricted = enabled | {"capabilities": {"transfers": "inactive"}}
    deliver(client, event("evt_account_4", "account.updated", restricted))
    account.refresh_from_db()
    assert not account.can_receive_transfers
    # A forged or differently signed event changes nothing.
    forged = event("evt_account_5", "account.updated", enabled)
    assert deliver(client, forged, signed(forged, secret="whsec_someone_else")).status_code == 400
    account.refresh_from_db()
    assert not account.can_receive_transfers


@pytest.mark.django_db
def test_the_connect_endpoint_may_sign_with_its_own_secret(fake, supplier_a, supplier_org_a, active, client, settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_endpoint"
    connect.start_onboarding(supplier_a, supplier_org_a)
    account = ConnectedAccount.objects.get(organisation=supplier_org_a)
    payload = event("evt_connect_1", "account.updated", fake.enable(account.stripe_account))
    assert deliver(client, payload, signed(payload, secret="whsec_connect_endpoint")).json()["outcome"] == "applied"
    assert deliver(client, payload, signed(payload, secret=WEBHOOK_SECRET)).status_code == 200  # the platform endpoint's too


# Settlement through Connect ------------------------------------------------------------------


@pytest.fixture
def webhooks_to(localstripe, live_server):
    localstripe.register_webhook("connect-tests", f"{live_server.url}{WEBHOOK_URL}")
    yield
    localstripe.forget_webhooks("connect-tests")


@pytest.fixture
def active_now(officer, evaluator, deadline, firms, supplier_a):
    """As `active`, the clock then back to the real one: localstripe signs its webhooks on it."""
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    contract = signed_by_both(Contract.objects.get(award=award), officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))
    deliveries.report_delivery(supplier_a, contract.milestones.get(number=1), note="Lamps on site.")
    deliveries.accept_delivery(officer, contract.milestones.get(number=1))
    travel.stop()
    return contract


@pytest.mark.django_db(transaction=True)
def test_settlement_through_connect_end_to_end(
    fake, connected, active_now, supplier_a, finance_officer, stripe_client, webhooks_to, settings
):
    settings.PLATFORM_FEE = "2.50 EUR"
    contract = active_now
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    order = Payment.objects.get(pk=invoice.payment_id)
    assert (order.gateway, order.status, order.transfer_group) == (Gateway.STRIPE, Payment.Status.PENDING, f"contract-{contract.pk}")
    [(_headers, created)] = fake.sent("post", "/v1/payment_intents")
    assert created["transfer_group"] == f"contract-{contract.pk}" and created["amount"] == "60000"

    started = invoices.start_settlement_payment(finance_officer, invoice)
    assert started.client_secret and started.payment.pk == order.pk
    pay_with_card(stripe_client, order.gateway_reference)
    paid = wait_for(lambda: Invoice.objects.filter(pk=invoice.pk, status=Invoice.Status.PAID).first(), what="payment_intent.succeeded")
    assert paid.transfer_status == Invoice.TransferStatus.QUEUED and paid.fee == Decimal("2.50")
    queued = wait_for(lambda: DBTaskResult.objects.filter(task_path=tasks.make_transfer.module_path).first(), what="the transfer task")
    assert queued.args_kwargs["args"] == [invoice.pk] and queued.status == TaskResultStatus.READY

    tasks.make_transfer.call(invoice.pk)
    paid.refresh_from_db()
    order.refresh_from_db()
    assert paid.transfer_status == Invoice.TransferStatus.MADE and paid.transfer_reference.startswith("tr_")
    [(headers, transfer)] = fake.sent("post", "/v1/transfers")
    assert headers["Idempotency-Key"] == f"invoice:{invoice.pk}:transfer"
    assert transfer["amount"] == "59750" and transfer["currency"] == "eur"  # 600.00 less the 2.50 fee, in cents
    assert transfer["destination"] == connected.stripe_account and transfer["transfer_group"] == f"contract-{contract.pk}"
    assert transfer["source_transaction"] == order.confirmation_reference and order.confirmation_reference.startswith("ch_")
    assert transfer["metadata[invoice]"] == str(invoice.pk)

    # The process died after Stripe made the Transfer and before it was saved: the retry sends
    # the same key, Stripe answers with the first Transfer, and there is still one.
    Invoice.objects.filter(pk=invoice.pk).update(transfer_status=Invoice.TransferStatus.QUEUED, transfer_reference=None)
    tasks.make_transfer.call(invoice.pk)
    paid.refresh_from_db()
    assert [h["Idempotency-Key"] for h, _p in fake.sent("post", "/v1/transfers")] == [f"invoice:{invoice.pk}:transfer"] * 2
    assert len(fake.transfers) == 1 and paid.transfer_reference == next(iter(fake.transfers))
    tasks.make_transfer.call(invoice.pk)  # made: nothing is sent
    assert len(fake.sent("post", "/v1/transfers")) == 2

    assert ledger.unbalanced_transactions() == []
    balances = ledger.balances()
    assert balances.get((Account.CASH_AT_GATEWAY, "EUR")) == 250 and balances.get((Account.FEE_REVENUE, "EUR")) == -250
    assert balances.get((Account.SUPPLIER_PAYABLES, "EUR"), 0) == 0
    assert list(reconcile.transfer_differences()) == []
    assert contract.milestones.get(number=1).status == "paid"


@pytest.mark.django_db
def test_a_failed_transfer_is_shown_and_retried_with_the_same_key(
    fake,
    connected,
    active,
    supplier_a,
    finance_officer,
    stripe_client,
    client,
    django_capture_on_commit_callbacks,
):
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    pay_with_card(stripe_client, _intent_id(invoice))
    fake.fail_transfers(3)  # Stripe's 500 on the first try and on both of the SDK's own retries
    with django_capture_on_commit_callbacks(execute=True):
        actions.sync_payment(Payment.objects.get(pk=invoice.payment_id))  # the webhook never came
    result = tasks.make_transfer.call(invoice.pk)
    invoice.refresh_from_db()
    assert result["transfer"] == "failed" and invoice.transfer_retryable and invoice.transfer_attempts == 1
    assert DBTaskResult.objects.filter(task_path=tasks.make_transfer.module_path).count() == 2  # after commit, then the retry
    assert reconcile.transfer_differences().__next__().subject == f"invoice {invoice.pk}"

    client.force_login(finance_officer)
    desk = client.get(reverse("payments:finance")).content.decode()
    assert "not made" in desk and invoice.number in desk and "tried again automatically" in desk

    # The sweep sends it again once Stripe answers; the same key throughout, one Transfer.
    Invoice.objects.filter(pk=invoice.pk).update(paid_at=invoice.paid_at - connect.TRANSFER_QUIET - timedelta(seconds=1))
    assert connect.retry_transfers() == 1
    invoice.refresh_from_db()
    assert invoice.transfer_status == Invoice.TransferStatus.MADE and len(fake.transfers) == 1
    assert {h["Idempotency-Key"] for h, _p in fake.sent("post", "/v1/transfers")} == {f"invoice:{invoice.pk}:transfer"}
    assert len(fake.sent("post", "/v1/transfers")) == 4
    assert list(reconcile.transfer_differences()) == []


@pytest.mark.django_db
def test_a_transfer_refused_for_good_waits_for_the_finance_desk(fake, connected, active, supplier_a, finance_officer, stripe_client):
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    pay_with_card(stripe_client, _intent_id(invoice))
    actions.sync_payment(Payment.objects.get(pk=invoice.payment_id))
    fake.fail_transfers(1, status=400)
    connect.send_transfer(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.transfer_status == Invoice.TransferStatus.FAILED and not invoice.transfer_retryable
    Invoice.objects.filter(pk=invoice.pk).update(paid_at=invoice.paid_at - connect.TRANSFER_QUIET - timedelta(seconds=1))
    assert connect.retry_transfers() == 0 and len(fake.sent("post", "/v1/transfers")) == 1


@pytest.mark.django_db
def test_without_a_connected_account_the_offline_path_is_unchanged(
    fake,
    active,
    supplier_a,
    finance_officer,
    django_capture_on_commit_callbacks,
):
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    order = Payment.objects.get(pk=invoice.payment_id)
    assert order.gateway == Gateway.OFFLINE and order.gateway_reference.startswith("RF") and order.transfer_group == ""
    with pytest.raises(Conflict):
        invoices.start_settlement_payment(finance_officer, invoice)
    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm_offline_payment(finance_officer, order, bank_reference="TREASURY-1", received=order.money)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.transfer_status == Invoice.TransferStatus.NONE
    assert not DBTaskResult.objects.filter(task_path=tasks.make_transfer.module_path).exists()
    assert fake.sent("post", "/v1/payment_intents") == [] and fake.sent("post", "/v1/transfers") == []
    assert ledger.balances().get((Account.CASH_AT_BANK, "EUR"), 0) == 0


@pytest.mark.django_db
def test_an_account_not_yet_enabled_keeps_the_treasury_transfer(fake, active, supplier_a, supplier_org_a, finance_officer):
    connect.start_onboarding(supplier_a, supplier_org_a)  # onboarding not finished
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    assert Payment.objects.get(pk=invoice.payment_id).gateway == Gateway.OFFLINE


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "supplier_a", "officer", "other_finance", "finance_officer"])
def test_the_pay_page_and_endpoint_per_persona(
    fake,
    connected,
    active,
    supplier_a,
    finance_officer,
    persona,
    request,
    client,
    api_client,
    other_agency,
):
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    if persona == "other_finance":
        person = factories.make_member(other_agency, Role.FINANCE_OFFICER, "finance@elsewhere.test")
    elif persona != "anonymous":
        person = request.getfixturevalue(persona)
    if persona != "anonymous":
        client.force_login(person)
        api_client.force_authenticate(person)
    page = client.get(reverse("payments:pay-invoice", args=[invoice.pk]))
    answer = api_client.post(f"/api/v1/invoices/{invoice.pk}/pay/")
    expected_page, expected_api = {
        "anonymous": (302, 401),
        "supplier_a": (403, 403),
        "officer": (404, 404),
        "other_finance": (404, 404),
        "finance_officer": (200, 200),
    }[persona]
    assert (page.status_code, answer.status_code) == (expected_page, expected_api)
    if persona == "finance_officer":
        body = page.content.decode()
        assert 'id="payment-element"' in body and "js/deposit" in body
        config = json.loads(body.split('id="stripe-config" type="application/json">')[1].split("</script>")[0])
        assert config["clientSecret"] == answer.json()["client_secret"]
        assert "frame-src" in page.headers["Content-Security-Policy"]
        assert_conforms(answer, "post")
        desk = client.get(reverse("payments:finance")).content.decode()
        assert reverse("payments:pay-invoice", args=[invoice.pk]) in desk
    assert Payment.objects.get(pk=invoice.payment_id).status == Payment.Status.PENDING


@pytest.mark.django_db
def test_the_invoice_api_shows_the_transfer(fake, connected, active, supplier_a, finance_officer, stripe_client, api_client):
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    pay_with_card(stripe_client, _intent_id(invoice))
    actions.sync_payment(Payment.objects.get(pk=invoice.payment_id))
    connect.send_transfer(invoice.pk)
    api_client.force_authenticate(supplier_a)
    listed = api_client.get("/api/v1/invoices/")
    assert listed.json()[0]["transfer_status"] == "made" and listed.json()[0]["transfer_reference"].startswith("tr_")
    assert_conforms(listed)


@pytest.mark.django_db
def test_reconcile_compares_each_transfer_with_stripe(fake, connected, active, supplier_a, finance_officer, stripe_client):
    contract, _clock = active
    invoice = invoices.approve_invoice(finance_officer, submit(supplier_a, contract))
    pay_with_card(stripe_client, _intent_id(invoice))
    actions.sync_payment(Payment.objects.get(pk=invoice.payment_id))
    invoice = connect.send_transfer(invoice.pk)
    assert list(reconcile.transfer_differences()) == []
    made = fake.transfers[invoice.transfer_reference]
    made["reversed"], made["amount"] = True, 100
    fake.transfers["tr_stray"] = made | {"id": "tr_stray", "metadata": {"platform": "tenderhall", "invoice": "0"}}
    fake.transfers["tr_other_platform"] = made | {"id": "tr_other_platform", "metadata": {}}
    found = [str(d) for d in reconcile.transfer_differences()]
    assert found == [
        f"invoice {invoice.pk}: pays out 600.00 EUR but Stripe's {invoice.transfer_reference} is 1.00 EUR",
        f"invoice {invoice.pk}: Stripe's {invoice.transfer_reference} was reversed",
        "stripe tr_stray: Transfer of this platform (1.00 EUR) unknown to the platform",
    ]
    assert [str(d) for d in reconcile.differences() if "transfer" in str(d).lower() or "tr_" in str(d)] == found
