"""The opening over the API and its pages: the public record, releases, opened bids, downloads."""

import json
from datetime import timedelta

import pytest
import time_machine
from jwcrypto import jwk, jws

from bidding import actions, opening
from bidding.models import OpenedDocument
from marketplace.models import AuditEvent, Role
from tenders.models import Custody
from tests.bidding import helpers
from tests.factories import OPENING_PASSPHRASE, make_custodian, make_member, make_supplier_organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def bid(tender, supplier_a, supplier_org_a, supplier_record_a):
    return actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a, prices={1: "321.00"}))


@pytest.fixture
def after_deadline(deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        yield


@pytest.fixture
def opened_tender(tender, bid, after_deadline):
    opening.open_tender(tender.pk)
    return tender


@pytest.fixture
def cleared_evaluator(opened_tender, officer, evaluator):
    """An evaluator on the tender's committee who has declared no conflict of interest."""
    from evaluation.actions import declare_interests, start_evaluation

    start_evaluation(officer, opened_tender, [evaluator])
    declare_interests(evaluator, opened_tender)
    return evaluator


def record_url(tender) -> str:
    return f"/api/v1/tenders/{tender.pk}/opening-record/"


def test_the_record_is_not_found_before_the_opening(tender, bid, api_client, deadline):
    with time_machine.travel(deadline - timedelta(seconds=1)):
        assert api_client.get(record_url(tender)).status_code == 404
    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert api_client.get(record_url(tender)).status_code == 404  # closed, not yet opened


def test_the_public_reads_the_record_and_verifies_it_with_the_published_keys(opened_tender, api_client, supplier_org_a):
    body = api_client.get(record_url(opened_tender)).json()
    [round] = body["rounds"]
    assert round["round"] == "bid" and round["status"] == "complete"
    assert round["lines"][0]["supplier"]["name"] == supplier_org_a.name
    assert round["lines"][0]["lots"] == [{"lot": 1, "price": {"amount": "321.00", "currency": "EUR"}}]
    keys = jwk.JWKSet.from_json(json.dumps(api_client.get("/api/v1/signing-keys/").json()))
    token = jws.JWS()
    token.deserialize(round["signature"])
    token.verify(keys.get_key(token.jose_header["kid"]), alg="EdDSA")
    assert json.loads(token.payload) == round["record"]
    assert round["record"]["lines"] == round["lines"]


def test_a_waiting_committee_round_shows_the_custodians_present(officer, agency, deadline, api_client):
    custodians = [make_custodian(agency, f"keeper{n}@mot.test") for n in range(3)]
    tender = helpers.make_tender(officer, deadline=deadline, custody=Custody.COMMITTEE, custodians=custodians, threshold=2)
    tender = helpers.publish(tender, officer)
    firm = make_supplier_organisation()
    helpers.make_supplier(firm)
    actions.submit_bid(make_member(firm, Role.BIDDER), firm, tender, helpers.seal_bid(tender, firm))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.release_share(custodians[0], tender, "bid", OPENING_PASSPHRASE)
        [round] = api_client.get(record_url(tender)).json()["rounds"]
    assert round["status"] == "waiting" and round["custodians"] == {"round": "bid", "present": 1, "needed": 2, "of": 3}
    assert round["lines"] == [] and round["signature"] is None


def release(api, tender, passphrase: str, **extra):
    return api.post(f"/api/v1/tenders/{tender.pk}/opening/release/", {"passphrase": passphrase} | extra, format="json")


@pytest.fixture
def committee(officer, agency, deadline, supplier_a, supplier_org_a, supplier_record_a):
    custodians = [make_custodian(agency, f"keeper{n}@mot.test") for n in range(3)]
    tender = helpers.make_tender(officer, deadline=deadline, custody=Custody.COMMITTEE, custodians=custodians, threshold=2)
    tender = helpers.publish(tender, officer)
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    return tender, custodians


def test_custodians_release_their_shares_over_the_api(committee, api_as, after_deadline):
    tender, custodians = committee
    assert release(api_as(custodians[0]), tender, OPENING_PASSPHRASE).json() == {"round": "bid", "present": 1, "needed": 2, "of": 3}
    assert release(api_as(custodians[1]), tender, OPENING_PASSPHRASE).json()["present"] == 2
    tender.refresh_from_db()
    assert tender.status == "opened"


def test_a_wrong_passphrase_is_a_clear_422(committee, api_as, after_deadline):
    tender, custodians = committee
    response = release(api_as(custodians[0]), tender, "a guess that is wrong")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "passphrase" and error["code"] == "wrong_passphrase" and "4 tries left" in error["message"]


def test_a_release_before_the_deadline_is_a_409(committee, api_as, deadline):
    tender, custodians = committee
    with time_machine.travel(deadline - timedelta(seconds=1)):
        response = release(api_as(custodians[0]), tender, OPENING_PASSPHRASE)
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "before_deadline"


def test_only_the_tenders_custodians_may_release(committee, api_as, agency, officer, api_client, after_deadline):
    tender, _custodians = committee
    stranger = make_custodian(agency, "stranger@mot.test")
    assert release(api_as(stranger), tender, OPENING_PASSPHRASE).status_code == 403
    assert release(api_as(officer), tender, OPENING_PASSPHRASE).status_code == 403


def test_the_officer_may_start_the_opening_once(tender, bid, api_as, officer, supplier_a, deadline):
    url = f"/api/v1/tenders/{tender.pk}/opening/"
    with time_machine.travel(deadline - timedelta(seconds=1)):
        early = api_as(officer).post(url)
    assert early.status_code == 409 and early.json()["errors"][0]["code"] == "before_deadline"
    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert api_as(supplier_a).post(url).status_code == 403
        assert api_as(officer).post(url).json()["rounds"][0]["status"] == "complete"
        again = api_as(officer).post(url)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "already_started"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("officer", 200),
        ("cleared_evaluator", 200),
        ("evaluator", 404),
        ("auditor", 200),
        ("supplier_a", 404),
        ("supplier_b", 404),
        ("other_officer", 404),
    ],
)
def test_who_reads_the_opened_bids(opened_tender, api_as, persona, status, request):
    response = api_as(request.getfixturevalue(persona)).get(f"/api/v1/tenders/{opened_tender.pk}/opened-bids/")
    assert response.status_code == status
    if status == 200:
        [entry] = response.json()
        assert entry["prices"] == {"1": "321.00"} and entry["documents"][0]["name"] == "offer.txt"


def test_opened_bids_are_not_listed_before_the_opening(tender, bid, api_as, officer):
    assert api_as(officer).get(f"/api/v1/tenders/{tender.pk}/opened-bids/").status_code == 404


def test_a_document_download_is_audited(opened_tender, api_as, officer):
    document = OpenedDocument.objects.get()
    response = api_as(officer).get(f"/api/v1/opened-documents/{document.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"We offer the works as specified."
    assert AuditEvent.objects.filter(action="opened_document.downloaded", actor=officer).count() == 1


@pytest.mark.parametrize(("persona", "status"), [("supplier_a", 200), ("supplier_b", 404), ("outsider", 404), ("other_officer", 404)])
def test_who_downloads_a_document(opened_tender, api_as, persona, status, request):
    document = OpenedDocument.objects.get()
    assert api_as(request.getfixturevalue(persona)).get(f"/api/v1/opened-documents/{document.pk}/").status_code == status


# Pages -------------------------------------------------------------------------------------


def test_the_officer_page_lists_opened_bids_with_their_documents(opened_tender, as_user, officer, supplier_org_a):
    page = as_user(officer).get(f"/tenders/{opened_tender.pk}/opened-bids/")
    assert page.status_code == 200
    assert supplier_org_a.name in page.text and "321.00" in page.text and "offer.txt" in page.text


def test_suppliers_do_not_see_the_officer_page(opened_tender, as_user, supplier_b):
    assert as_user(supplier_b).get(f"/tenders/{opened_tender.pk}/opened-bids/").status_code == 404


def test_the_page_download_is_audited(opened_tender, as_user, cleared_evaluator):
    document = OpenedDocument.objects.get()
    response = as_user(cleared_evaluator).get(f"/tenders/{opened_tender.pk}/opened-bids/documents/{document.pk}/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="opened_document.downloaded", actor=cleared_evaluator).count() == 1


def test_a_custodian_releases_a_share_on_the_page(committee, as_user, after_deadline):
    tender, custodians = committee
    url = f"/tenders/{tender.pk}/opening/release/"
    client = as_user(custodians[0])
    assert "0 of 2 custodians present" in client.get(url).text
    wrong = client.post(url, {"passphrase": "a guess that is wrong"})
    assert wrong.status_code == 400 and "4 tries left" in wrong.text
    assert client.post(url, {"passphrase": OPENING_PASSPHRASE}).status_code == 302
    assert "1 of 2 custodians present" in client.get(url).text


def test_the_release_page_is_only_for_the_tenders_custodians(committee, as_user, officer):
    tender, _custodians = committee
    assert as_user(officer).get(f"/tenders/{tender.pk}/opening/release/").status_code == 403


def test_a_supplier_reads_what_the_opening_found_in_its_own_bid(opened_tender, bid, api_as, supplier_a):
    body = api_as(supplier_a).get(f"/api/v1/bids/{bid.pk}/").json()
    assert body["status"] == "opened" and body["opening"] == [{"round": "bid", "result": "opened", "reason_code": "", "reason": ""}]
