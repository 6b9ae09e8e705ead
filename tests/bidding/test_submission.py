"""Submitting, replacing and withdrawing sealed bids; every refusal leaves stored data as it was."""

import json
from datetime import timedelta

import pytest
import time_machine
from jwcrypto import jwk, jws

from bidding.models import Bid, Envelope
from bidding.sealing import b64url, digest
from marketplace.models import AuditEvent, Notification
from suppliers.models import Licence, LicenceType, Supplier
from tenders.models import EnvelopeMode
from tests.bidding import helpers

pytestmark = pytest.mark.django_db


def submit(client, tender, envelopes, **extra):
    return client.post(f"/api/v1/tenders/{tender.pk}/bids/", {"envelopes": envelopes, **extra}, format="json")


def stored() -> tuple:
    return (
        list(Bid.objects.order_by("id").values_list("id", "status")),
        list(Envelope.objects.order_by("sha256").values_list("sha256", flat=True)),
    )


def test_sealed_bid_is_received_with_a_signed_receipt(tender, supplier_a, supplier_org_a, supplier_record_a, api_as):
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    response = submit(api_as(supplier_a), tender, envelopes)
    assert response.status_code == 201
    bid = Bid.objects.get(pk=response.json()["id"])
    assert bid.status == Bid.Status.SUBMITTED and bid.envelopes.get().jwe == envelopes["bid"]
    assert set(response.json()) == {"id", "received_at", "receipt"}


def test_receipt_verifies_with_jwcrypto_against_the_published_key_set(tender, supplier_a, supplier_org_a, supplier_record_a, api_as):
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    client = api_as(supplier_a)
    body = submit(client, tender, envelopes).json()
    key_set = jwk.JWKSet.from_json(json.dumps(client.get("/api/v1/signing-keys/").json()))
    token = jws.JWS()
    token.deserialize(body["receipt"])
    token.verify(key_set.get_key(token.jose_header["kid"]), alg="EdDSA")
    payload = json.loads(token.payload)
    assert payload["tender"] == tender.pk and payload["bid"] == body["id"] and payload["supplier"] == supplier_org_a.pk
    assert payload["envelopes"] == {"bid": digest(envelopes["bid"])} and payload["received_at"] == body["received_at"]


def test_bid_one_second_before_the_deadline_is_accepted(tender, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline):
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        response = submit(api_as(supplier_a), tender, envelopes)
    assert response.status_code == 201
    assert Bid.objects.get().received_at == deadline - timedelta(seconds=1)


def test_bid_one_second_after_the_deadline_is_refused(tender, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline):
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        response = submit(api_as(supplier_a), tender, envelopes)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "deadline_passed"
    assert not Bid.objects.exists()


def test_deadline_holds_whatever_the_stored_state(tender, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline):
    """The closing task has not run: the tender is still `published`, yet the deadline decides."""
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    with time_machine.travel(deadline, tick=False):
        response = submit(api_as(supplier_a), tender, envelopes)
    tender.refresh_from_db()
    assert response.status_code == 409 and tender.status == "published"


@pytest.mark.parametrize(
    ("corrupt", "code"),
    [
        (lambda jwe: "not a jwe at all", "not_jwe"),
        (lambda jwe: jwe.replace(".", "!", 1), "not_jwe"),
        (lambda jwe: jwe + ".extra", "not_jwe"),
        (lambda jwe: jwe[:-40] + "*" + jwe[-39:], "not_jwe"),
    ],
)
def test_malformed_envelope_is_refused(tender, supplier_a, supplier_org_a, supplier_record_a, api_as, corrupt, code):
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    response = submit(api_as(supplier_a), tender, {"bid": corrupt(envelopes["bid"])})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "envelopes.bid", "code": code, "message": response.json()["errors"][0]["message"]}]
    assert not Bid.objects.exists()


def with_header(jwe: str, **changes) -> str:
    from bidding.sealing import b64url_decode

    header_part, *rest = jwe.split(".")
    header = json.loads(b64url_decode(header_part)) | changes
    return ".".join([b64url(json.dumps(header).encode()), *rest])


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"alg": "RSA-OAEP"}, "wrong_algorithm"),
        ({"enc": "A128CBC-HS256"}, "wrong_algorithm"),
        ({"kid": "unknown-key"}, "wrong_kid"),
        ({"zip": "DEF"}, "bad_header"),
        ({"epk": {"kty": "EC", "crv": "P-256", "x": b64url(b"\x01" * 32), "y": b64url(b"\x02" * 32)}}, "bad_epk"),
        ({"apv": b64url(b"999")}, "wrong_tender"),
    ],
)
def test_envelope_with_a_wrong_header_is_refused(tender, supplier_a, supplier_org_a, supplier_record_a, api_as, changes, code):
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    response = submit(api_as(supplier_a), tender, {"bid": with_header(envelopes["bid"], **changes)})
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == code
    assert not Bid.objects.exists()


def test_envelope_sealed_to_another_tenders_key_is_refused(tender, officer, supplier_a, supplier_org_a, supplier_record_a, api_as):
    other = helpers.publish(helpers.make_tender(officer), officer)
    response = submit(api_as(supplier_a), tender, helpers.seal_bid(other, supplier_org_a))
    assert response.status_code == 422
    assert response.json()["errors"][0] | {"message": ""} == {"field": "envelopes.bid", "code": "wrong_kid", "message": ""}


def test_missing_and_extra_envelopes_are_refused(officer, supplier_a, supplier_org_a, supplier_record_a, api_as):
    tender = helpers.publish(helpers.make_tender(officer, envelope_mode=EnvelopeMode.TWO), officer)
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    response = submit(api_as(supplier_a), tender, {"technical": envelopes["technical"], "prices": envelopes["financial"]})
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("envelopes.financial", "missing_envelope"),
        ("envelopes.prices", "unexpected_envelope"),
    }
    assert not Bid.objects.exists()


def test_oversized_envelope_is_refused_with_413(officer, supplier_a, supplier_org_a, supplier_record_a, api_as):
    tender = helpers.publish(helpers.make_tender(officer, max_envelope_bytes=2000), officer)
    big = helpers.seal_bid(tender, supplier_org_a, documents=[helpers.sealing.Document("big.bin", "application/octet-stream", b"x" * 4000)])
    response = submit(api_as(supplier_a), tender, big)
    assert response.status_code == 413 and response.json()["errors"][0]["code"] == "too_large"
    assert not Bid.objects.exists()


def test_oversized_request_body_is_refused_before_it_is_read(officer, supplier_a, supplier_record_a, api_as):
    tender = helpers.publish(helpers.make_tender(officer, max_envelope_bytes=1000), officer)
    response = submit(api_as(supplier_a), tender, {"bid": "x" * 200_000})
    assert response.status_code == 413


def test_envelope_replayed_by_another_supplier_is_refused(
    tender, supplier_a, supplier_org_a, supplier_record_a, supplier_b, supplier_record_b, api_as
):
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    assert submit(api_as(supplier_a), tender, envelopes).status_code == 201
    before = stored()
    response = submit(api_as(supplier_b), tender, envelopes)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "wrong_sealer"
    assert stored() == before


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (Supplier.Status.APPLIED, "has not been verified"),
        (Supplier.Status.SUSPENDED, "suspended"),
        (Supplier.Status.DEBARRED, "debarred"),
    ],
)
def test_supplier_that_may_not_bid_gets_403_with_the_reason(tender, supplier_a, supplier_org_a, api_as, status, says):
    helpers.make_supplier(supplier_org_a, status=status)
    response = submit(api_as(supplier_a), tender, helpers.seal_bid(tender, supplier_org_a))
    assert response.status_code == 403 and says in response.json()["errors"][0]["message"]
    assert not Bid.objects.exists()


def test_supplier_without_a_valid_required_licence_gets_403(officer, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline):
    works = LicenceType.objects.create(code="works", name="Works licence")
    tender = helpers.make_tender(officer, deadline=deadline)
    tender.required_licence_types.add(works)
    helpers.publish(tender, officer)
    Licence.objects.create(
        supplier=supplier_record_a,
        licence_type=works,
        number="W-1",
        issuer="Board",
        valid_from="2020-01-01",
        valid_to="2021-01-01",
        status=Licence.Status.ACCEPTED,
    )
    response = submit(api_as(supplier_a), tender, helpers.seal_bid(tender, supplier_org_a))
    assert response.status_code == 403 and "Works licence" in response.json()["errors"][0]["message"]


def test_unpaid_deposit_gets_403(officer, supplier_a, supplier_org_a, supplier_record_a, api_as):
    tender = helpers.publish(helpers.make_tender(officer, deposit_amount="500.00"), officer)
    response = submit(api_as(supplier_a), tender, helpers.seal_bid(tender, supplier_org_a))
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "deposit_required"


def test_sme_reserved_lot_is_refused_to_a_large_firm(officer, supplier_a, supplier_org_a, api_as):
    helpers.make_supplier(supplier_org_a, sme_class="large")
    tender = helpers.publish(helpers.make_tender(officer, lots=2, reserved_lots=(2,)), officer)
    response = submit(api_as(supplier_a), tender, helpers.seal_bid(tender, supplier_org_a), lots=[1, 2])
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "sme_reserved"


def test_lots_default_to_those_the_firm_may_bid_for(officer, supplier_a, supplier_org_a, api_as):
    helpers.make_supplier(supplier_org_a, sme_class="large")
    tender = helpers.publish(helpers.make_tender(officer, lots=3, reserved_lots=(2,)), officer)
    assert submit(api_as(supplier_a), tender, helpers.seal_bid(tender, supplier_org_a)).status_code == 201
    assert Bid.objects.get().lots == [1, 3]


def test_second_bid_of_the_same_firm_is_refused(tender, supplier_a, bidder_a, supplier_org_a, supplier_record_a, api_as):
    assert submit(api_as(supplier_a), tender, helpers.seal_bid(tender, supplier_org_a)).status_code == 201
    response = submit(api_as(bidder_a), tender, helpers.seal_bid(tender, supplier_org_a))
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "already_submitted"
    assert Bid.objects.count() == 1


def test_replacement_supersedes_the_old_bid_with_a_new_receipt(tender, supplier_a, supplier_org_a, supplier_record_a, api_as):
    client = api_as(supplier_a)
    first = submit(client, tender, helpers.seal_bid(tender, supplier_org_a)).json()
    response = client.post(f"/api/v1/bids/{first['id']}/replace/", {"envelopes": helpers.seal_bid(tender, supplier_org_a)}, format="json")
    assert response.status_code == 201
    old, new = Bid.objects.get(pk=first["id"]), Bid.objects.get(pk=response.json()["id"])
    assert (old.status, new.status, new.replaces_id) == (Bid.Status.REPLACED, Bid.Status.SUBMITTED, old.pk)
    assert AuditEvent.objects.filter(action="bid.replaced", object_id=str(old.pk)).exists()


def test_replaying_your_own_envelope_is_refused(tender, supplier_a, supplier_org_a, supplier_record_a, api_as):
    client = api_as(supplier_a)
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    first = submit(client, tender, envelopes).json()
    response = client.post(f"/api/v1/bids/{first['id']}/replace/", {"envelopes": envelopes}, format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "duplicate"
    assert Bid.objects.get().status == Bid.Status.SUBMITTED


def test_withdrawn_bid_gets_a_receipt_and_leaves_the_box(tender, supplier_a, supplier_org_a, supplier_record_a, api_as):
    client = api_as(supplier_a)
    first = submit(client, tender, helpers.seal_bid(tender, supplier_org_a)).json()
    response = client.post(f"/api/v1/bids/{first['id']}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    payload = client.post("/api/v1/receipts/verify", {"receipt": response.json()["receipt"]}, format="json").json()["payload"]
    assert payload["type"] == "withdrawal" and payload["bid"] == first["id"]
    assert not Bid.objects.live().exists()


def test_withdrawal_one_second_after_the_deadline_is_refused(tender, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline):
    client = api_as(supplier_a)
    first = submit(client, tender, helpers.seal_bid(tender, supplier_org_a)).json()
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        response = client.post(f"/api/v1/bids/{first['id']}/withdraw/")
    assert response.status_code == 409
    assert Bid.objects.get().status == Bid.Status.SUBMITTED


def test_replacement_one_second_after_the_deadline_is_refused(tender, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline):
    client = api_as(supplier_a)
    first = submit(client, tender, helpers.seal_bid(tender, supplier_org_a)).json()
    envelopes = helpers.seal_bid(tender, supplier_org_a)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        response = client.post(f"/api/v1/bids/{first['id']}/replace/", {"envelopes": envelopes}, format="json")
    assert response.status_code == 409
    assert list(Bid.objects.values_list("status", flat=True)) == [Bid.Status.SUBMITTED]


def test_bid_sealed_before_an_amendment_is_flagged_to_its_owner(tender, officer, supplier_a, supplier_org_a, supplier_record_a, api_as):
    submit(api_as(supplier_a), tender, helpers.seal_bid(tender, supplier_org_a))
    helpers.amend(tender, officer)
    assert Bid.objects.get().sealed_before_amendment == 1
    [notice] = Notification.objects.filter(kind="bid.sealed_before_amendment")
    assert notice.user == supplier_a and tender.reference in notice.title


def test_submission_and_withdrawal_are_audited(tender, supplier_a, supplier_org_a, supplier_record_a, api_as):
    client = api_as(supplier_a)
    bid_id = submit(client, tender, helpers.seal_bid(tender, supplier_org_a)).json()["id"]
    client.post(f"/api/v1/bids/{bid_id}/withdraw/")
    actions = list(AuditEvent.objects.filter(object_id=bid_id).values_list("action", flat=True))
    assert actions == ["bid.submitted", "bid.withdrawn"]


@pytest.mark.parametrize("envelopes", ["eyJ...", {"bid": 5}, ["bid"]])
def test_envelopes_that_are_not_an_object_of_strings_are_refused(tender, supplier_a, supplier_record_a, api_as, envelopes):
    response = submit(api_as(supplier_a), tender, envelopes)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "envelopes"
