"""Signed webhook deliveries built by the tests, and a recorded fake of Stripe's idempotency layer."""

import hashlib
import hmac
import json
import time
import urllib.parse

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


class ConnectRecordedFake(stripe.RequestsClient):
    """RECORDED FAKE of Stripe Connect at the HTTP boundary, in front of the real localstripe.

    localstripe has no Accounts, AccountLinks or Transfers, and refuses a PaymentIntent's
    `transfer_group`. This client answers `/v1/accounts`, `/v1/account_links` and `/v1/transfers`
    itself with the JSON shapes of Stripe's API reference (the objects' fields the platform reads,
    as Stripe returns them), replays the first answer per idempotency key as Stripe does, takes
    `transfer_group` off a PaymentIntent's creation before passing it to localstripe (and puts it
    back in the answer), and passes every other call to localstripe unchanged. It records each
    request (method, path, headers, form parameters) so a test can assert what the platform sent.
    `enable(account)` plays the firm finishing Stripe's onboarding; `fail_transfers(n, status)`
    makes the next n Transfer creations fail as Stripe does.
    """

    def __init__(self):
        super().__init__()
        self.recorded: list[tuple[str, str, dict, dict]] = []
        self.responses: dict[str, tuple] = {}
        self.accounts: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.failures: list[int] = []
        self._sequence = 0

    # What the tests use ------------------------------------------------------------------

    def sent(self, method: str, path: str) -> list[tuple[dict, dict]]:
        """(headers, params) of each request to `path` (exactly, without the query)."""
        return [(headers, params) for m, p, headers, params in self.recorded if m == method and p == path]

    def enable(self, account_id: str) -> dict:
        account = self.accounts[account_id]
        account.update(details_submitted=True, payouts_enabled=True, charges_enabled=False)
        account["capabilities"] = {"transfers": "active"}
        account["requirements"] = account["requirements"] | {"currently_due": [], "disabled_reason": None}
        return account

    def fail_transfers(self, times: int, status: int = 500) -> None:
        self.failures = [status] * times

    # The HTTP boundary -------------------------------------------------------------------

    def request(self, method, url, headers, post_data=None):
        headers = dict(headers or {})
        parts = urllib.parse.urlsplit(url)
        params = dict(urllib.parse.parse_qsl(post_data.decode() if isinstance(post_data, bytes) else post_data or ""))
        self.recorded.append((method, parts.path, headers, params))
        key = headers.get("Idempotency-Key")
        if key and key in self.responses:
            return self.responses[key]
        answer = self._answer(method, parts.path, params, url, headers, post_data)
        if key and answer[1] < 500:
            self.responses[key] = answer
        return answer

    def _answer(self, method, path, params, url, headers, post_data):
        if path == "/v1/payment_intents" and method == "post" and "transfer_group" in params:
            passed = {k: v for k, v in params.items() if k != "transfer_group"}
            content, status, response_headers = super().request(method, url, headers, urllib.parse.urlencode(passed))
            if status == 200:
                content = json.dumps(json.loads(content) | {"transfer_group": params["transfer_group"]})
            return content, status, response_headers
        if path.startswith("/v1/accounts"):
            return self._accounts(method, path, params)
        if path == "/v1/account_links" and method == "post":
            return self._json(
                {
                    "object": "account_link",
                    "created": int(time.time()),
                    "expires_at": int(time.time()) + 300,
                    "url": f"https://connect.stripe.com/setup/e/{params['account']}/{self._id('')}",
                }
            )
        if path.startswith("/v1/transfers"):
            return self._transfers(method, path, params)
        return super().request(method, url, headers, post_data)

    def _id(self, prefix: str) -> str:
        self._sequence += 1
        return f"{prefix}{self._sequence:016d}"

    def _json(self, body: dict, status: int = 200):
        return json.dumps(body), status, {"request-id": self._id("req_")}

    def _error(self, status: int, kind: str, code: str, message: str):
        return self._json({"error": {"type": kind, "code": code, "message": message}}, status)

    def _accounts(self, method, path, params):
        if method == "post" and path == "/v1/accounts":
            account_id = self._id("acct_")
            self.accounts[account_id] = {
                "id": account_id,
                "object": "account",
                "business_profile": {"name": params.get("business_profile[name]")},
                "business_type": None,
                "capabilities": {"transfers": "inactive"},
                "charges_enabled": False,
                "country": params["country"],
                "created": int(time.time()),
                "default_currency": "eur",
                "details_submitted": False,
                "email": params.get("email"),
                "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
                "payouts_enabled": False,
                "requirements": {
                    "currently_due": ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"],
                    "disabled_reason": "requirements.past_due",
                },
                "type": params.get("type"),
            }
            return self._json(self.accounts[account_id])
        account = self.accounts.get(path.rsplit("/", 1)[1])
        if method == "get" and account is not None:
            return self._json(account)
        return self._error(404, "invalid_request_error", "resource_missing", f"No such account: '{path.rsplit('/', 1)[1]}'")

    def _transfers(self, method, path, params):
        if method == "post" and path == "/v1/transfers":
            if self.failures:
                status = self.failures.pop(0)
                return self._error(status, "api_error", "", "An error occurred with our connection to Stripe.")
            if params["destination"] not in self.accounts:
                return self._error(400, "invalid_request_error", "resource_missing", f"No such destination: '{params['destination']}'")
            transfer_id = self._id("tr_")
            self.transfers[transfer_id] = {
                "id": transfer_id,
                "object": "transfer",
                "amount": int(params["amount"]),
                "amount_reversed": 0,
                "balance_transaction": self._id("txn_"),
                "created": int(time.time()),
                "currency": params["currency"],
                "description": params.get("description"),
                "destination": params["destination"],
                "destination_payment": self._id("py_"),
                "livemode": False,
                "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
                "reversals": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "total_count": 0,
                    "url": f"/v1/transfers/{transfer_id}/reversals",
                },
                "reversed": False,
                "source_transaction": params.get("source_transaction"),
                "source_type": "card",
                "transfer_group": params.get("transfer_group"),
            }
            return self._json(self.transfers[transfer_id])
        if method == "get" and path == "/v1/transfers":
            return self._json({"object": "list", "data": list(self.transfers.values()), "has_more": False, "url": "/v1/transfers"})
        transfer = self.transfers.get(path.rsplit("/", 1)[1])
        if method == "get" and transfer is not None:
            return self._json(transfer)
        return self._error(404, "invalid_request_error", "resource_missing", f"No such transfer: '{path.rsplit('/', 1)[1]}'")
