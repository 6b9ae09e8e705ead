"""Who may use each bidding page and endpoint."""

import pytest

from bidding import actions
from bidding.models import Bid
from marketplace.models import Role
from tests.bidding import helpers
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PERSONAS = ["public", "outsider", "officer", "supplier_a", "bidder_a", "supplier_b"]


@pytest.fixture
def custodian(agency):
    return make_member(agency, Role.CUSTODIAN, "custodian@mot.test")


@pytest.fixture
def visit(client, request):
    def as_persona(name):
        if name != "public":
            client.force_login(request.getfixturevalue(name))
        return client

    return as_persona


@pytest.fixture
def bid_of_a(tender, supplier_a, supplier_org_a, supplier_record_a) -> Bid:
    return actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("public", 302), ("outsider", 403), ("officer", 403), ("supplier_a", 200), ("bidder_a", 200), ("supplier_b", 200), ("custodian", 403)],
)
def test_bid_page(visit, tender, persona, status):
    assert visit(persona).get(f"/tenders/{tender.pk}/bid/").status_code == status


def test_bid_page_of_a_draft_is_not_found(visit, officer):
    draft = helpers.make_tender(officer)
    assert visit("supplier_a").get(f"/tenders/{draft.pk}/bid/").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_bid_box_page_is_public(visit, tender, persona):
    assert visit(persona).get(f"/tenders/{tender.pk}/bid-box/").status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"), [("public", 302), ("outsider", 404), ("officer", 404), ("supplier_a", 200), ("bidder_a", 200)]
)
def test_my_bids_page(visit, persona, status):
    assert visit(persona).get("/bids/").status_code == status


@pytest.mark.parametrize("persona", PERSONAS)
def test_receipt_verification_page_is_public(visit, persona):
    assert visit(persona).get("/receipts/verify/").status_code == 200


@pytest.mark.parametrize(("persona", "status"), [("public", 302), ("outsider", 403), ("supplier_a", 403), ("custodian", 200)])
def test_custody_page(visit, persona, status):
    assert visit(persona).get("/custody/").status_code == status


@pytest.mark.parametrize(("persona", "status"), [("outsider", 403), ("supplier_a", 403), ("custodian", 302)])
def test_setting_an_opening_passphrase(visit, persona, status):
    data = {"passphrase": "a long opening passphrase", "confirm": "a long opening passphrase"}
    assert visit(persona).post("/custody/passphrase/", data).status_code == status


def test_only_seated_custodians_may_check_a_share(visit, tender):
    assert visit("custodian").post(f"/custody/tenders/{tender.pk}/check/", {"passphrase": "x" * 20}).status_code == 403


@pytest.mark.parametrize(
    ("persona", "status"), [("public", 401), ("outsider", 403), ("officer", 403), ("supplier_a", 201), ("bidder_a", 201)]
)
def test_submission_endpoint(persona, status, request, tender, supplier_org_a, supplier_record_a, api_client, token_for):
    if persona != "public":
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(request.getfixturevalue(persona))}")
    response = api_client.post(f"/api/v1/tenders/{tender.pk}/bids/", {"envelopes": helpers.seal_bid(tender, supplier_org_a)}, format="json")
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("public", 401), ("officer", 404), ("supplier_b", 404), ("supplier_a", 200), ("bidder_a", 200)]
)
def test_bid_detail_endpoint(persona, status, request, bid_of_a, api_client, token_for):
    if persona != "public":
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(request.getfixturevalue(persona))}")
    assert api_client.get(f"/api/v1/bids/{bid_of_a.pk}/").status_code == status


@pytest.mark.parametrize(("persona", "status"), [("supplier_b", 404), ("officer", 404), ("bidder_a", 200)])
def test_withdraw_endpoint(persona, status, request, bid_of_a, api_client, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(request.getfixturevalue(persona))}")
    assert api_client.post(f"/api/v1/bids/{bid_of_a.pk}/withdraw/").status_code == status
    assert Bid.objects.get(pk=bid_of_a.pk).is_live == (status != 200)


@pytest.mark.parametrize(("persona", "withdrawn"), [("supplier_b", False), ("supplier_a", True)])
def test_withdraw_page(visit, persona, withdrawn, bid_of_a, tender):
    response = visit(persona).post(f"/tenders/{tender.pk}/bid/withdraw/", {"bid": str(bid_of_a.pk), "confirmed": "yes"})
    assert response.status_code == (302 if withdrawn else 404)
    assert Bid.objects.get(pk=bid_of_a.pk).status == (Bid.Status.WITHDRAWN if withdrawn else Bid.Status.SUBMITTED)


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_keys_and_signing_keys_are_public(visit, tender, persona):
    assert visit(persona).get(f"/api/v1/tenders/{tender.pk}/envelopes/").status_code == 200
    assert visit(persona).get("/api/v1/signing-keys/").status_code == 200


def test_envelopes_of_a_draft_are_not_found(client, officer):
    assert client.get(f"/api/v1/tenders/{helpers.make_tender(officer).pk}/envelopes/").status_code == 404
