"""`/api/v1/contracts/`: who sees and does what, per persona, and the error shape."""

import pytest

from contracts import actions, signatures
from contracts.models import Contract
from tests.contracts.helpers import PERIOD, confirm_award
from tests.factories import PASSWORD
from tests.openapi import assert_conforms

pytestmark = pytest.mark.django_db

PERSONAS = ["public", "officer", "other_officer", "supplier_a", "bidder_a", "supplier_b", "auditor"]
PARTIES = {"officer", "supplier_a", "bidder_a", "auditor"}


@pytest.fixture
def contract(officer, evaluator, deadline, firms):
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    yield Contract.objects.get(award=award)
    travel.stop()


@pytest.fixture
def sent(contract, officer):
    actions.edit_draft(officer, contract, PERIOD)
    return actions.send_for_signature(officer, contract)


@pytest.fixture
def active(sent, officer, supplier_a):
    actions.sign_contract(supplier_a, sent, password=PASSWORD)
    return actions.sign_contract(officer, sent, password=PASSWORD)


@pytest.fixture
def client_as(api_client, api_as, request):
    def client(persona: str):
        if persona == "public":
            api_client.credentials()
            return api_client
        return api_as(request.getfixturevalue(persona))

    return client


def test_a_draft_is_seen_only_by_its_parties_and_auditors(contract, client_as):
    for persona in PERSONAS:
        response = client_as(persona).get(f"/api/v1/contracts/{contract.pk}/")
        assert response.status_code == (200 if persona in PARTIES else 404), persona
        listing = client_as(persona).get("/api/v1/contracts/")
        assert_conforms(listing)
        listed = [c["number"] for c in listing.json()["results"]]
        assert listed == ([contract.number] if persona in PARTIES else []), persona


def test_an_active_contract_and_its_signed_pdf_are_public(active, client_as):
    for persona in PERSONAS:
        detail = client_as(persona).get(f"/api/v1/contracts/{active.pk}/")
        assert detail.status_code == 200, persona
        assert_conforms(detail)
        assert [s["party"] for s in detail.json()["signatures"]] == ["supplier", "buyer"]
        document = client_as(persona).get(f"/api/v1/contracts/{active.pk}/document/")
        assert document.status_code == 200 and document["Content-Type"] == "application/pdf", persona
    checked = signatures.verify_pdf(document.content)
    assert len(checked.signatures) == 2 and checked.all_valid and checked.sha256 == detail.json()["document"]["signed_sha256"]


def test_the_list_filters_by_status_value_and_signing_date(active, client_as):
    api = client_as("public")
    day = active.signed_at.date().isoformat()
    assert api.get("/api/v1/contracts/", {"status": "active", "value_min": "900", "value_max": "900"}).json()["count"] == 1
    assert api.get("/api/v1/contracts/", {"value_min": "900.01"}).json()["count"] == 0
    assert api.get("/api/v1/contracts/", {"signed_after": day, "signed_before": day, "supplier": active.supplier_id}).json()["count"] == 1
    assert api.get("/api/v1/contracts/", {"buyer": active.supplier_id}).status_code == 400
    assert api.get("/api/v1/contracts/", {"category": "4523", "sme": "true"}).json()["count"] == 1  # a small firm
    assert api.get("/api/v1/contracts/", {"sme": "false"}).json()["count"] == 0
    assert api.get("/api/v1/contracts/", {"category": "03"}).json()["count"] == 0


@pytest.mark.parametrize("persona, status", [("officer", 200), ("supplier_a", 403), ("other_officer", 404), ("public", 404)])
def test_only_the_buyers_officer_edits_the_draft(contract, client_as, persona, status):
    response = client_as(persona).patch(f"/api/v1/contracts/{contract.pk}/", {"special_terms": "Warranty of five years."}, format="json")
    assert response.status_code == status
    contract.refresh_from_db()
    assert (contract.special_terms == "Warranty of five years.") == (status == 200)


def test_value_items_and_supplier_are_refused_with_every_reason(contract, client_as):
    body = {"value": "1.00", "items": [], "supplier": 1, "special_terms": "x"}
    response = client_as("officer").patch(f"/api/v1/contracts/{contract.pk}/", body, format="json")
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("value", "fixed_by_award"),
        ("items", "fixed_by_award"),
        ("supplier", "fixed_by_award"),
    }
    contract.refresh_from_db()
    assert contract.special_terms == "" and contract.version == 1


def test_a_reversed_period_is_refused(contract, client_as):
    body = {"period_start": "2027-06-30", "period_end": "2027-01-04"}
    response = client_as("officer").patch(f"/api/v1/contracts/{contract.pk}/", body, format="json")
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "period_reversed"


def test_sending_renders_the_document_for_the_parties(contract, officer, client_as):
    actions.edit_draft(officer, contract, PERIOD)
    assert client_as("supplier_a").post(f"/api/v1/contracts/{contract.pk}/send/").status_code == 403
    response = client_as("officer").post(f"/api/v1/contracts/{contract.pk}/send/")
    assert response.status_code == 200 and response.json()["status"] == "awaiting_signatures"
    assert len(response.json()["document"]["sha256"]) == 64
    assert client_as("supplier_b").get(f"/api/v1/contracts/{contract.pk}/document/").status_code == 404
    assert client_as("bidder_a").get(f"/api/v1/contracts/{contract.pk}/document/").content[:5] == b"%PDF-"
    again = client_as("officer").post(f"/api/v1/contracts/{contract.pk}/send/")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "not_draft"


def test_signing_through_the_api_and_its_refusals(sent, client_as):
    url = f"/api/v1/contracts/{sent.pk}/sign/"
    wrong = client_as("supplier_a").post(url, {"password": "guess"}, format="json")
    assert wrong.status_code == 403 and wrong.json()["errors"] == [
        {"field": "password", "code": "wrong_password", "message": "The password is not correct: the contract was not signed."}
    ]
    assert client_as("bidder_a").post(url, {"password": PASSWORD}, format="json").json()["errors"][0]["code"] == "not_a_signatory"
    assert client_as("supplier_b").post(url, {"password": PASSWORD}, format="json").status_code == 404
    assert client_as("officer").post(url, {"password": PASSWORD}, format="json").status_code == 409
    assert client_as("supplier_a").post(url, {}, format="json").status_code == 400
    signed = client_as("supplier_a").post(url, {"password": PASSWORD}, format="json")
    assert signed.status_code == 200 and [s["party"] for s in signed.json()["signatures"]] == ["supplier"]
    assert client_as("supplier_a").post(url, {"password": PASSWORD}, format="json").json()["errors"][0]["code"] == "already_signed"
    active = client_as("officer").post(url, {"password": PASSWORD}, format="json")
    assert active.status_code == 200 and active.json()["status"] == "active"


def test_declining_through_the_api(sent, client_as):
    url = f"/api/v1/contracts/{sent.pk}/decline/"
    assert client_as("officer").post(url, {"reason": "No."}, format="json").status_code == 403
    assert client_as("supplier_a").post(url, {"reason": ""}, format="json").status_code == 400
    response = client_as("supplier_a").post(url, {"reason": "Our plant burned down."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert response.json()["cancellation_reason"] == "Our plant burned down."
    signing = client_as("supplier_a").post(f"/api/v1/contracts/{sent.pk}/sign/", {"password": PASSWORD}, format="json")
    assert signing.status_code == 409 and signing.json()["errors"][0]["code"] == "not_awaiting_signatures"
