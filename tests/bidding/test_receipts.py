"""Receipts are verifiable by anyone: the API, the page, and any Ed25519 library."""

import base64
import html
import json
import re

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bidding import actions
from marketplace import signing
from tests.bidding import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(tender, supplier_a, supplier_org_a, supplier_record_a) -> str:
    return actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a)).receipt


def unpadded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(unpadded(payload)) | {"received_at": "2000-01-01T00:00:00.000000Z"}
    return ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), signature])


def test_receipt_verifies_with_a_plain_ed25519_library(receipt, client):
    [key] = client.get("/api/v1/signing-keys/").json()["keys"]
    header, payload, signature = receipt.split(".")
    public = Ed25519PublicKey.from_public_bytes(unpadded(key["x"]))
    public.verify(unpadded(signature), f"{header}.{payload}".encode())
    assert json.loads(unpadded(header))["kid"] == key["kid"] and key["crv"] == "Ed25519"


def test_tampered_receipt_fails_a_plain_ed25519_check(receipt, client):
    [key] = client.get("/api/v1/signing-keys/").json()["keys"]
    header, payload, signature = tampered(receipt).split(".")
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(unpadded(key["x"])).verify(unpadded(signature), f"{header}.{payload}".encode())


def test_api_says_a_receipt_is_valid_and_what_it_says(receipt, client, tender):
    body = client.post("/api/v1/receipts/verify", {"receipt": receipt}, content_type="application/json").json()
    assert body["valid"] is True and body["payload"]["tender"] == tender.pk and body["kid"]


@pytest.mark.parametrize("mangle", [tampered, lambda r: r[:-4] + "AAAA", lambda r: "garbage", lambda r: "a.b.c"])
def test_api_says_a_bad_receipt_is_not_valid(receipt, client, mangle):
    body = client.post("/api/v1/receipts/verify", {"receipt": mangle(receipt)}, content_type="application/json").json()
    assert body["valid"] is False and body["payload"] is None and body["reason"]


def test_receipt_signed_by_another_key_is_not_valid(receipt, client, settings):
    genuine_key = settings.SIGNING_KEY
    settings.SIGNING_KEY = b"\x09" * 32
    foreign = signing.sign({"type": "bid"})
    settings.SIGNING_KEY = genuine_key
    body = client.post("/api/v1/receipts/verify", {"receipt": foreign}, content_type="application/json").json()
    assert body == {"valid": False, "kid": body["kid"], "payload": None, "reason": "Not signed with a key of this platform."}


def test_verification_page_for_the_public(receipt, client):
    valid = client.post("/receipts/verify/", {"receipt": receipt})
    invalid = client.post("/receipts/verify/", {"receipt": tampered(receipt)})
    assert "data-receipt-valid" in valid.text and "received_at" in valid.text
    assert "data-receipt-invalid" in invalid.text and "does not match" in invalid.text


def test_the_verification_page_writes_what_the_receipt_says_as_json(receipt, client):
    text = client.post("/receipts/verify/", {"receipt": receipt}).content.decode()
    envelopes = re.search(r"<dt>envelopes</dt><dd><code[^>]*>([^<]*)</code>", text).group(1)
    assert json.loads(html.unescape(envelopes)) and "{&#x27;" not in text  # JSON, not a Python dict


def test_signing_keys_are_a_jwk_set_without_private_parts(client):
    [key] = client.get("/api/v1/signing-keys/").json()["keys"]
    assert key["kty"] == "OKP" and key["alg"] == "EdDSA" and "d" not in key


def test_receipts_stay_valid_after_a_key_rotation_that_lists_the_retired_key(receipt, client, settings):
    old_public = signing.public_key_base64()
    old_kid = signing.signing_key()["kid"]
    settings.SIGNING_KEY = b"\x07" * 32  # rotated

    # Without the retired key the old receipt can no longer be checked ...
    assert client.post("/api/v1/receipts/verify", {"receipt": receipt}, content_type="application/json").json()["valid"] is False

    # ... with it, it can, and the key set publishes it after the current one.
    settings.SIGNING_KEYS_RETIRED = [base64.b64decode(old_public)]
    body = client.post("/api/v1/receipts/verify", {"receipt": receipt}, content_type="application/json").json()
    assert body["valid"] is True and body["kid"] == old_kid
    kids = [key["kid"] for key in client.get("/api/v1/signing-keys/").json()["keys"]]
    assert kids == [signing.signing_key()["kid"], old_kid]
    # New signatures use the current key only.
    assert signing.verify(signing.sign({"type": "test"})).kid == kids[0]


def test_signing_key_command_prints_the_public_half(capsys):
    from django.core.management import call_command

    call_command("signing_key")
    out = capsys.readouterr().out
    assert signing.signing_key()["kid"] in out and signing.public_key_base64() in out


@pytest.mark.parametrize("mangle", [lambda r: r, tampered, lambda r: "garbage", lambda r: "a.b.c"])
def test_the_receipt_check_answers_what_the_openapi_schema_declares(receipt, client, mangle):
    from tests.openapi import assert_conforms

    assert_conforms(client.post("/api/v1/receipts/verify", {"receipt": mangle(receipt)}, content_type="application/json"), "post")
