"""Signed webhook deliveries built by the tests, and a recorded fake of Stripe's idempotency layer."""

import hashlib
import hmac
import json
import time

import stripe

from tests.payments.conftest import WEBHOOK_SECRET

WEBHOOK_URL = "/payments/stripe/webhook/"


def signed(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe (and localstripe) sends: HMAC-SHA256 of `t.payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event(event_id: str, kind: str, obj: dict, created: int | None = None) -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created or int(time.time()),
        "api_version": "2017-08-15",
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def deliver(client, payload: bytes, signature: str | None = None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature if signature is not None else signed(payload)}
    return client.post(WEBHOOK_URL, data=payload, content_type="application/json", **headers)


class IdempotencyReplayingClient(stripe.RequestsClient):
    """RECORDED FAKE of Stripe's idempotency layer, in front of the real localstripe.

    Stripe answers a second request carrying an idempotency key it has seen with the first
    answer (for 24 hours); localstripe has no such layer and would create a second object. This
    client records every request's headers and replays the first response per key, so a test can
    show that the platform sends the same key on a retry and what Stripe then does.
    """

    def __init__(self):
        super().__init__()
        self.recorded: list[tuple[str, str, dict]] = []
        self.responses: dict[str, tuple] = {}

    def request(self, method, url, headers, post_data=None):
        headers = dict(headers or {})
        self.recorded.append((method, url, headers))
        key = headers.get("Idempotency-Key")
        if key and key in self.responses:
            return self.responses[key]
        response = super().request(method, url, headers, post_data)
        if key:
            self.responses[key] = response
        return response
