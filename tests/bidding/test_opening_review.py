"""Adversarial review of the public opening: malformed sealed content, wrong states, sealed material.

Every refusal is clear and leaves the stored data (rows, the audit chain) as it was.
"""

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from bidding import actions, opening, sealing
from bidding.keys import public_envelopes
from bidding.models import Bid, OpenedDocument, Opening, OpeningLine
from marketplace.models import AuditEvent, Role
from tenders.models import Tender
from tests.bidding import helpers
from tests.factories import make_member
from tests.tenders.test_concurrency import at_once

pytestmark = pytest.mark.django_db

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def open_with_document(tender, deadline, user, organisation, document: sealing.Document) -> Bid:
    sealed = helpers.seal_bid(tender, organisation, documents=[document])
    bid = actions.submit_bid(user, organisation, tender, sealed)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
    bid.refresh_from_db()
    return bid


@pytest.mark.parametrize("media_type", ["text/plain\r\nX-Injected: 1", "text/plain\n", "text/\x00plain"])
def test_a_media_type_with_control_characters_is_rejected_at_the_opening(
    tender, deadline, supplier_a, supplier_org_a, supplier_record_a, media_type
):
    """Such a type could never be sent as a Content-Type: every download of the document would fail."""
    bid = open_with_document(tender, deadline, supplier_a, supplier_org_a, sealing.Document("offer.txt", media_type, b"We offer."))
    assert bid.status == Bid.Status.REJECTED
    assert OpeningLine.objects.get(bid=bid).reason_code == OpeningLine.Reason.INVALID_CONTENT
    assert not OpenedDocument.objects.exists()


def test_a_media_type_with_parameters_is_kept_and_downloads(
    tender, deadline, supplier_a, supplier_org_a, supplier_record_a, api_as, officer
):
    document = sealing.Document("offer.txt", "text/plain; charset=utf-8", b"We offer.")
    bid = open_with_document(tender, deadline, supplier_a, supplier_org_a, document)
    assert bid.status == Bid.Status.OPENED
    kept = OpenedDocument.objects.get()
    response = api_as(officer).get(f"/api/v1/opened-documents/{kept.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"


def test_a_deeply_nested_plaintext_is_rejected_and_the_opening_completes(
    tender, deadline, supplier_a, supplier_org_a, supplier_record_a, supplier_b, supplier_org_b, supplier_record_b
):
    """Python's JSON parser raises RecursionError (not ValueError) past ~1000 levels: such an
    envelope must be one rejected line, not an exception that stops the opening at that bid forever."""
    [envelope] = public_envelopes(tender)
    nested = b"[" * 50_000 + b"]" * 50_000
    sealed = sealing.seal(nested, envelope["jwk"], kid=envelope["kid"], organisation_id=supplier_org_a.pk, tender_id=tender.pk)
    bomb = actions.submit_bid(supplier_a, supplier_org_a, tender, {"bid": sealed})
    honest = actions.submit_bid(supplier_b, supplier_org_b, tender, helpers.seal_bid(tender, supplier_org_b))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
    assert OpeningLine.objects.get(bid=bomb).reason_code == OpeningLine.Reason.INVALID_CONTENT
    assert Bid.objects.get(pk=honest.pk).status == Bid.Status.OPENED
    assert Opening.objects.get(tender=tender).status == Opening.Status.COMPLETE


def seal_raw(tender, organisation, body: dict) -> dict[str, str]:
    """A bid whose plaintext is `body` as ASCII JSON (escapes kept as the client sent them)."""
    [envelope] = public_envelopes(tender)
    content = json.dumps(body).encode("ascii")
    return {"bid": sealing.seal(content, envelope["jwk"], kid=envelope["kid"], organisation_id=organisation.pk, tender_id=tender.pk)}


def plaintext_body(sealed_for, organisation, **changes) -> dict:
    return json.loads(helpers_plaintext(sealed_for, organisation)) | changes


def helpers_plaintext(tender, organisation) -> bytes:
    return sealing.plaintext(
        tender_id=tender.pk,
        envelope="bid",
        organisation_id=organisation.pk,
        prices={1: Decimal("10.00")},
        currency=tender.currency,
        documents=[sealing.Document("offer.txt", "text/plain", b"We offer.")],
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"envelope": "\ud800"},
        {"envelope": "bid\u0000"},
        {"documents": [{"name": "offer\ud800.txt", "media_type": "text/plain", "sha256": EMPTY_SHA256, "content": ""}]},
        {"documents": [{"name": "offer.txt", "media_type": "text/\udfffplain", "sha256": EMPTY_SHA256, "content": ""}]},
    ],
    ids=["surrogate-envelope", "nul-envelope", "surrogate-name", "surrogate-media-type"],
)
def test_text_the_database_cannot_store_is_rejected_and_the_opening_completes(
    tender, deadline, supplier_a, supplier_org_a, supplier_record_a, supplier_b, supplier_org_b, supplier_record_b, changes
):
    """A lone surrogate or a NUL cannot be stored (PostgreSQL refuses both): such an envelope is
    one rejected line, not an exception that stops the opening at that bid on every run."""
    odd = actions.submit_bid(
        supplier_a, supplier_org_a, tender, seal_raw(tender, supplier_org_a, plaintext_body(tender, supplier_org_a, **changes))
    )
    honest = actions.submit_bid(supplier_b, supplier_org_b, tender, helpers.seal_bid(tender, supplier_org_b))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
    assert OpeningLine.objects.get(bid=odd).result == OpeningLine.Result.REJECTED
    assert Bid.objects.get(pk=honest.pk).status == Bid.Status.OPENED
    assert Opening.objects.get(tender=tender).status == Opening.Status.COMPLETE


@pytest.mark.django_db(transaction=True)
def test_two_officers_starting_the_opening_at_once_start_it_once(officer, agency, deadline, supplier_a, supplier_org_a):
    """The second officer is told the opening already started (409), as when it comes later, and
    only one start is on the audit chain: the check is made under the tender's row lock."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (DATABASE_URL): they run in CI")
    helpers.make_supplier(supplier_org_a)
    second = make_member(agency, Role.PROCUREMENT_OFFICER, "officer2@mot.test")
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        results = at_once(4, lambda i: opening.start_opening([officer, second][i % 2], Tender.objects.get(pk=tender.pk)))
    assert sum(isinstance(result, Opening) for result in results) == 1
    assert all(result.problems[0].code == "already_started" for result in results if not isinstance(result, Opening))
    [started] = AuditEvent.objects.filter(action="tender.opening_started")
    assert started.actor in (officer, second)


def test_the_public_record_does_not_name_the_other_tender_an_envelope_was_sealed_for(
    tender, officer, deadline, supplier_a, supplier_org_a, supplier_record_a, api_client
):
    """Naming it would tell everyone that this firm prepares a bid in that tender, perhaps before its deadline."""
    other = helpers.publish(helpers.make_tender(officer, deadline=deadline + timedelta(days=30), title="Bridge repair"), officer)
    body = plaintext_body(tender, supplier_org_a, tender=other.pk)
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, seal_raw(tender, supplier_org_a, body))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        [line] = api_client.get(f"/api/v1/tenders/{tender.pk}/opening-record/").json()["rounds"][0]["lines"]
    assert line["bid"] == str(bid.pk) and line["reason_code"] == "wrong_tender"
    assert line["reason"] == "The envelope was sealed for another tender."
