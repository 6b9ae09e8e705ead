"""What a sealer can check before the deadline: the plaintext's published schema, and its own
envelopes opened with the ephemeral keys it kept (`manage.py seal_bid --keep-keys / --check`).

A bid whose plaintext has the wrong fields, or that is sealed to another key under the right
`kid`, is received (the server cannot look inside) and rejected only at the opening: these are
the checks that let its sealer find out first.
"""

import json
import os
from datetime import timedelta
from decimal import Decimal

import jsonschema
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto import jwk

from bidding import keys, reading, sealing, selfcheck
from bidding.plaintext_schema import plaintext_schema
from tests.bidding import helpers

pytestmark = pytest.mark.django_db

RECIPIENT = jwk.JWK.generate(kty="EC", crv="P-256")
RECIPIENT_PUBLIC = json.loads(RECIPIENT.export_public())


@settings(max_examples=40, deadline=None)
@given(content=st.binary(min_size=1, max_size=4096), organisation=st.integers(1, 10**12), tender=st.integers(1, 10**12))
def test_an_envelope_sealed_keeping_its_key_opens_alike_with_jwcrypto_and_with_the_kept_key(content, organisation, tender):
    # jwcrypto opens no envelope of empty content, its own included; a plaintext is never empty.
    compact, kept = selfcheck.seal_keeping(content, RECIPIENT_PUBLIC, kid="k", organisation_id=organisation, tender_id=tender)
    assert sealing.open_envelope(compact, RECIPIENT) == content  # jwcrypto, the independent reference
    assert selfcheck.open_as_sealer(compact, kept, RECIPIENT_PUBLIC) == content
    sealing.inspect("bid", compact, kid="k", organisation_id=organisation, tender_id=tender, max_bytes=10**7)


@settings(max_examples=25, deadline=None)
@given(position=st.integers(0, 10**6), content=st.binary(min_size=1, max_size=512))
def test_a_changed_character_does_not_open_with_the_kept_key(position, content):
    compact, kept = selfcheck.seal_keeping(content, RECIPIENT_PUBLIC, kid="k", organisation_id=1, tender_id=2)
    position %= len(compact)
    replacement = "A" if compact[position] != "A" else "B"
    changed = compact[:position] + replacement + compact[position + 1 :]
    try:
        opened = selfcheck.open_as_sealer(changed, kept, RECIPIENT_PUBLIC)
    except selfcheck.NotOpened:
        return
    # Base64url's last character may carry unused bits: a change there leaves the bytes as they were.
    assert opened == content


def test_an_envelope_sealed_by_another_key_is_not_opened_by_the_kept_one():
    compact = sealing.seal(b"{}", RECIPIENT_PUBLIC, kid="k", organisation_id=1, tender_id=2)
    _, kept = selfcheck.seal_keeping(b"{}", RECIPIENT_PUBLIC, kid="k", organisation_id=1, tender_id=2)
    with pytest.raises(selfcheck.NotOpened, match="another ephemeral key"):
        selfcheck.open_as_sealer(compact, kept, RECIPIENT_PUBLIC)


def check(tender, organisation, body_path, keys_path):
    return call_command("seal_bid", tender=tender.pk, organisation=organisation.pk, check=body_path, keys=keys_path)


def test_the_cli_keeps_the_keys_checks_the_bid_and_the_opening_agrees(
    tender, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline, tmp_path, capsys
):
    offer = tmp_path / "offer.txt"
    offer.write_text("We offer the works.")
    body_path, keys_path = tmp_path / "bid.json", tmp_path / "bid.keys"
    call_command(
        "seal_bid",
        tender=tender.pk,
        organisation=supplier_org_a.pk,
        price=["1=777.5"],
        document=[str(offer)],
        output=body_path,
        keep_keys=keys_path,
    )
    assert os.stat(keys_path).st_mode & 0o777 == 0o600
    check(tender, supplier_org_a, body_path, keys_path)
    assert "Every envelope opens" in capsys.readouterr().out
    assert (
        api_as(supplier_a).post(f"/api/v1/tenders/{tender.pk}/bids/", json.loads(body_path.read_text()), format="json").status_code == 201
    )
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        helpers.close(tender)
        key = keys.unwrap_platform_key(helpers.envelope_key(tender), now=timezone.now())
    opened = sealing.open_envelope(json.loads(body_path.read_text())["envelopes"]["bid"], key)
    assert reading.check(
        opened, tender_id=tender.pk, organisation_id=supplier_org_a.pk, name="bid", currency="EUR", lot_numbers={1}
    ).lots == [{"lot": 1, "price": {"amount": "777.50", "currency": "EUR"}}]


def sealed_body(tender, organisation, plaintext: bytes, public_jwk: dict, tmp_path):
    envelope = keys.public_envelopes(tender)[0]
    compact, kept = selfcheck.seal_keeping(plaintext, public_jwk, kid=envelope["kid"], organisation_id=organisation.pk, tender_id=tender.pk)
    body_path, keys_path = tmp_path / "bid.json", tmp_path / "bid.keys"
    body_path.write_text(json.dumps({"envelopes": {"bid": compact}, "lots": [1], "organisation": organisation.pk}))
    keys_path.write_text(json.dumps({"ephemeral_keys": {"bid": kept}}))
    return body_path, keys_path


def test_the_check_finds_a_plaintext_with_the_wrong_fields(tender, supplier_org_a, tmp_path):
    wrong = json.dumps({"tender": tender.pk, "envelope": "bid", "organisation": supplier_org_a.pk, "prices": {"1": "10"}}).encode()
    body_path, keys_path = sealed_body(tender, supplier_org_a, wrong, keys.public_envelopes(tender)[0]["jwk"], tmp_path)
    with pytest.raises(CommandError, match="must hold exactly"):
        check(tender, supplier_org_a, body_path, keys_path)


def test_the_check_finds_an_envelope_sealed_to_another_key_under_the_right_kid(tender, supplier_org_a, tmp_path):
    content = sealing.plaintext(
        tender_id=tender.pk, envelope="bid", organisation_id=supplier_org_a.pk, prices={1: Decimal("10")}, currency="EUR", documents=[]
    )
    body_path, keys_path = sealed_body(tender, supplier_org_a, content, RECIPIENT_PUBLIC, tmp_path)
    with pytest.raises(CommandError, match="does not decrypt"):
        check(tender, supplier_org_a, body_path, keys_path)


def test_the_check_finds_a_bid_sealed_as_another_firm(tender, supplier_org_a, supplier_org_b, tmp_path):
    body_path, keys_path = tmp_path / "bid.json", tmp_path / "bid.keys"
    call_command("seal_bid", tender=tender.pk, organisation=supplier_org_b.pk, price=["1=10"], output=body_path, keep_keys=keys_path)
    with pytest.raises(CommandError, match="rejected at the opening"):
        check(tender, supplier_org_a, body_path, keys_path)


def test_the_check_asks_for_the_keys(tender, supplier_org_a, tmp_path):
    with pytest.raises(CommandError, match="--keys"):
        call_command("seal_bid", tender=tender.pk, organisation=supplier_org_a.pk, check=tmp_path / "bid.json")


documents = st.lists(
    st.builds(
        sealing.Document,
        name=st.text(st.characters(blacklist_categories=["Cc", "Cs", "Zs"], blacklist_characters="/\\"), min_size=1, max_size=40),
        media_type=st.sampled_from(["application/pdf", "text/plain", "image/png"]),
        content=st.binary(max_size=200),
    ),
    max_size=3,
)
prices = st.dictionaries(st.integers(1, 5), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999"), places=2), min_size=1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prices=prices, documents=documents, envelope=st.sampled_from(["bid", "financial", "technical"]))
def test_every_plaintext_the_platform_builds_meets_the_schema_and_the_opening(prices, documents, envelope):
    prices = {} if envelope == "technical" else prices
    content = sealing.plaintext(tender_id=3, envelope=envelope, organisation_id=4, prices=prices, currency="EUR", documents=documents)
    jsonschema.Draft202012Validator(plaintext_schema()).validate(json.loads(content))
    found = reading.check(content, tender_id=3, organisation_id=4, name=envelope, currency="EUR", lot_numbers=set(prices))
    assert found.reason_code == ""


def good() -> dict:
    return {
        "tender": 3,
        "envelope": "bid",
        "organisation": 4,
        "lots": [{"lot": 1, "price": {"amount": "10.00", "currency": "EUR"}}],
        "documents": [{"name": "a.pdf", "media_type": "application/pdf", "sha256": "0" * 64, "content": ""}],
    }


MALFORMED = {
    "an extra field": lambda b: b | {"note": "x"},
    "a missing field": lambda b: {k: v for k, v in b.items() if k != "documents"},
    "prices as a mapping": lambda b: b | {"lots": {"1": "10"}},
    "a zero price": lambda b: b | {"lots": [{"lot": 1, "price": {"amount": "0.00", "currency": "EUR"}}]},
    "three decimals": lambda b: b | {"lots": [{"lot": 1, "price": {"amount": "1.005", "currency": "EUR"}}]},
    "a number for the amount": lambda b: b | {"lots": [{"lot": 1, "price": {"amount": 10, "currency": "EUR"}}]},
    "no price": lambda b: b | {"lots": []},
    "a price in the technical envelope": lambda b: b | {"envelope": "technical"},
    "a path in a document name": lambda b: b | {"documents": [b["documents"][0] | {"name": "../a.pdf"}]},
    "a document without its content": lambda b: b | {"documents": [{k: v for k, v in b["documents"][0].items() if k != "content"}]},
    "the tender as text": lambda b: b | {"tender": "3"},
}


@pytest.mark.parametrize("change", MALFORMED.values(), ids=MALFORMED.keys())
def test_what_the_schema_refuses_the_opening_refuses(change):
    body = change(good())
    assert not jsonschema.Draft202012Validator(plaintext_schema()).is_valid(body)
    found = reading.check(
        json.dumps(body).encode(), tender_id=3, organisation_id=4, name=body.get("envelope", "bid"), currency="EUR", lot_numbers={1}
    )
    assert found.reason_code == reading.Reason.INVALID_CONTENT


def test_the_tender_schema_pins_its_id_envelopes_currency_and_lots(tender, client):
    answer = client.get(f"/api/v1/bids/plaintext-schema?tender={tender.pk}")
    assert answer.status_code == 200
    validator = jsonschema.Draft202012Validator(answer.json())
    body = good() | {"tender": tender.pk}
    assert validator.is_valid(body)
    for other in [
        {"tender": tender.pk + 1},
        {"envelope": "financial"},
        {"lots": [{"lot": 2, "price": {"amount": "1", "currency": "EUR"}}]},
    ]:
        assert not validator.is_valid(body | other), other
    assert not validator.is_valid(body | {"lots": [{"lot": 1, "price": {"amount": "1", "currency": "USD"}}]})


def test_the_schema_is_public_and_a_hidden_tender_is_not_found(officer, client):
    answer = client.get("/api/v1/bids/plaintext-schema")
    assert answer.status_code == 200 and answer.json()["$schema"].endswith("2020-12/schema")
    jsonschema.Draft202012Validator.check_schema(answer.json())
    draft = helpers.make_tender(officer)
    for query in [f"?tender={draft.pk}", "?tender=abc", "?tender=99999999999999999999"]:
        missing = client.get(f"/api/v1/bids/plaintext-schema{query}")
        assert missing.status_code == 404 and missing.json()["errors"][0]["code"], query
