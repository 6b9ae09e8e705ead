"""The sealed-bid parts of other apps' pages: the tender page and API, the licence files an
agency may read once a firm's bid is in its box past the deadline."""

from datetime import date, timedelta

import pytest
import time_machine

from bidding import actions
from bidding.keys import public_envelopes
from suppliers.actions import add_licence
from suppliers.models import LicenceType
from tests.bidding import helpers
from tests.suppliers.factories import pdf_upload

pytestmark = pytest.mark.django_db


def test_tender_api_carries_the_envelope_keys(api_client, tender):
    body = api_client.get(f"/api/v1/tenders/{tender.pk}/").json()
    assert body["envelopes"] == public_envelopes(tender)
    assert [e["name"] for e in body["envelopes"]] == ["bid"] and body["envelopes"][0]["jwk"]["crv"] == "P-256"


def test_two_envelope_tender_lists_technical_then_financial(api_client, officer):
    tender = helpers.publish(helpers.make_tender(officer, envelope_mode="two"), officer)
    assert [e["name"] for e in api_client.get(f"/api/v1/tenders/{tender.pk}/").json()["envelopes"]] == ["technical", "financial"]


@pytest.mark.parametrize(("persona", "button", "count"), [("public", False, False), ("bidder_a", True, False), ("officer", False, True)])
def test_tender_page_shows_each_visitor_their_part(client, request, tender, persona, button, count):
    if persona != "public":
        client.force_login(request.getfixturevalue(persona))
    page = client.get(f"/tenders/{tender.pk}/").text
    assert "Bid box" in page and tender.envelope_keys.get().kid in page
    assert ("Prepare and seal a bid" in page) is button
    assert ("sealed bids in the box now" in page) is count


def test_bid_box_on_the_tender_page_opens_at_the_deadline(client, tender, supplier_a, supplier_org_a, supplier_record_a):
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    digest = bid.envelopes.get().sha256
    with time_machine.travel(tender.submission_deadline - timedelta(seconds=1), tick=False):
        assert digest not in client.get(f"/tenders/{tender.pk}/").text
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1), tick=False):
        page = client.get(f"/tenders/{tender.pk}/").text
    assert digest in page and supplier_org_a.name not in page


@pytest.fixture
def licence_of_a(supplier_a, supplier_record_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    licence_type = LicenceType.objects.create(code="business", name="Business licence")
    return add_licence(
        supplier_a,
        supplier_record_a,
        licence_type=licence_type,
        number="L-1",
        issuer="Office",
        valid_from=date(2025, 1, 1),
        valid_to=None,
        upload=pdf_upload(),
    )


def test_the_buyers_officers_read_a_bidders_licence_only_after_the_deadline(
    client, officer, other_officer, tender, supplier_a, supplier_org_a, supplier_record_a, licence_of_a
):
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    url = f"/suppliers/{supplier_record_a.pk}/licences/{licence_of_a.pk}/file/"
    client.force_login(officer)
    with time_machine.travel(tender.submission_deadline - timedelta(seconds=1), tick=False):
        assert client.get(url).status_code == 404  # before the deadline even the bid's existence is sealed
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1), tick=False):
        assert client.get(url).status_code == 200
        client.force_login(other_officer)
        assert client.get(url).status_code == 404


def test_a_withdrawn_bid_opens_no_licence(client, officer, tender, supplier_a, supplier_org_a, supplier_record_a, licence_of_a):
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    actions.withdraw_bid(supplier_a, bid)
    client.force_login(officer)
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1), tick=False):
        assert client.get(f"/suppliers/{supplier_record_a.pk}/licences/{licence_of_a.pk}/file/").status_code == 404
