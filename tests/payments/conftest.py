"""Payments fixtures: a real localstripe server, started once per test session.

localstripe is a stateful fake of Stripe's API (`requirements-dev.txt`); it runs here on
127.0.0.1 with `--from-scratch`, the SDK talks to it through `STRIPE_API_BASE`, and it signs
webhooks with the secret registered through its `/_config/webhooks/<id>` route, as Stripe does.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
import stripe

from payments.gateway import gateway_for
from payments.models import Gateway, Purpose
from payments.money import Money
from tests.processes import free_port

SECRET_KEY = "sk_test_tenderhall"
PUBLISHABLE_KEY = "pk_test_tenderhall"
WEBHOOK_SECRET = "whsec_tenderhall_tests"


class LocalStripe:
    def __init__(self, url: str, process: subprocess.Popen, log_path: str):
        self.url = url
        self.process = process
        self.log_path = log_path

    def register_webhook(self, name: str, url: str, secret: str = WEBHOOK_SECRET) -> None:
        data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{self.url}/_config/webhooks/{name}", data=data), timeout=10):
            pass

    def forget_webhooks(self, name: str) -> None:
        # localstripe cannot delete a webhook; pointing it at a closed port makes deliveries fail quietly.
        self.register_webhook(name, f"http://127.0.0.1:{free_port()}/gone/")

    def log(self) -> str:
        return Path(self.log_path).read_text()[-4000:]


@pytest.fixture(scope="session")
def localstripe():
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="localstripe-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = LocalStripe(f"http://127.0.0.1:{port}", process, log.name)
    give_up_at = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/js.stripe.com/v3/", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > give_up_at:
                raise RuntimeError(f"localstripe did not start:\n{server.log()}") from None
            time.sleep(0.1)
    yield server
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    Path(log.name).unlink(missing_ok=True)


@pytest.fixture
def stripe_settings(settings, localstripe):
    """The platform configured for Stripe, talking to localstripe."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.PAYMENT_GATEWAY = Gateway.STRIPE
    return settings


@pytest.fixture
def stripe_client(stripe_settings) -> stripe.StripeClient:
    """The SDK pointed at localstripe, playing what the payer's browser does with Stripe.js."""
    return gateway_for(Gateway.STRIPE).client


def pay_with_card(client: stripe.StripeClient, intent_id: str, number: str = "4242424242424242") -> None:
    """What the Payment Element does when the payer submits a card: attach it, confirm."""
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    with contextlib.suppress(stripe.CardError):  # a declined card: the payment_failed webhook tells
        client.v1.payment_intents.confirm(intent_id)


def wait_for(predicate, timeout: float = 15.0, what: str = "the webhook"):
    """Poll until `predicate()` is truthy (webhooks arrive about a second after the event)."""
    give_up_at = time.monotonic() + timeout
    while time.monotonic() < give_up_at:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what} did not arrive within {timeout} s")


@pytest.fixture
def deposit_request(supplier_org_a, agency):
    """Arguments for `create_payment`: supplier A's bid deposit of EUR 2,500.00 to the agency."""

    def build(key: str = "deposit:1", amount: str = "2500.00", currency: str = "EUR", **extra) -> dict:
        return {
            "payer": supplier_org_a,
            "payee": agency,
            "purpose": Purpose.BID_DEPOSIT,
            "amount": Money(Decimal(amount), currency),
            "idempotency_key": key,
        } | extra

    return build


# Deposits secure real tenders: the evaluation tests' path from sealed bids to the award.
from tests.evaluation.conftest import (  # noqa: E402, F401
    api_as,
    deadline,
    firms,
    short_response_times,
    supplier_c,
    supplier_org_c,
)
