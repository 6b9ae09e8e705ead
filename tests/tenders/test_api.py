from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from tenders import extensions
from tenders.models import Clarification, Tender
from tests import factories as people
from tests.tenders.test_documents import EXE, PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api_client, token_for):
    def as_person(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return api_client

    return as_person


def draft_body(**overrides) -> dict:
    now = timezone.now()
    body = {
        "title": "Laptops for schools",
        "description": "Thirty laptops with three years of warranty.",
        "main_category": "30213100",
        "estimated_value": "45000.00",
        "currency": "EUR",
        "clarification_deadline": (now + timedelta(days=10)).isoformat(),
        "submission_deadline": (now + timedelta(days=20)).isoformat(),
        "items": [{"description": "Laptop, 14 inch", "quantity": "30", "unit": "piece", "cpv": "30213100"}],
    }
    return body | overrides


def errors(response) -> set[tuple]:
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


def test_officer_creates_a_draft_with_lots_criteria_and_custodians(signed_in, officer, agency):
    custodians = [people.make_custodian(agency, f"c{n}@mot.test") for n in (1, 2, 3)]
    body = draft_body(
        divided_into_lots=True,
        award_method="weighted",
        price_weight=70,
        criteria=[{"name": "Warranty", "weight": 20}, {"name": "Delivery time", "weight": 10}],
        custody="committee",
        custody_threshold=2,
        custodians=[c.email for c in custodians],
        lots=[
            {
                "title": "Primary schools",
                "estimated_value": "30000",
                "items": [{"description": "Laptop", "quantity": "20", "unit": "piece", "cpv": "30213100"}],
            },
            {
                "title": "Secondary schools",
                "estimated_value": "15000",
                "sme_reserved": True,
                "items": [{"description": "Laptop", "quantity": "10", "unit": "piece", "cpv": "30213100"}],
            },
        ],
    )
    body.pop("items")
    response = signed_in(officer).post("/api/v1/tenders/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["reference"], data["estimated_value"]) == ("draft", None, "45000.00")
    assert [lot["title"] for lot in data["lots"]] == ["Primary schools", "Secondary schools"]
    assert data["custodians"] == ["c1@mot.test", "c2@mot.test", "c3@mot.test"]
    assert data["custody"] == {"mode": "committee", "custodians": 3, "threshold": 2}
    assert signed_in(officer).post(f"/api/v1/tenders/{data['id']}/publish/").status_code == 200


def test_an_unknown_cpv_is_refused_with_422_naming_the_item(signed_in, officer):
    body = draft_body(items=[{"description": "Laptop", "quantity": "30", "unit": "piece", "cpv": "99999999"}])
    response = signed_in(officer).post("/api/v1/tenders/", body, format="json")
    assert response.status_code == 422 and errors(response) == {("lots.0.items.0.cpv", "unknown_cpv")}
    assert not Tender.objects.exists()


def test_malformed_input_is_a_400(signed_in, officer):
    response = signed_in(officer).post("/api/v1/tenders/", draft_body(estimated_value="lots", items="none"), format="json")
    assert response.status_code == 400 and {"estimated_value", "items"} <= {e["field"] for e in response.json()["errors"]}


def test_an_unknown_custodian_is_named(signed_in, officer):
    response = signed_in(officer).post(
        "/api/v1/tenders/", draft_body(custody="committee", custodians=["nobody@example.test"]), format="json"
    )
    assert response.status_code == 422 and errors(response) == {("custodians.0", "unknown_person")}


def test_drafting_needs_a_sign_in_and_an_officer(api_client, signed_in, supplier_a, db):
    assert api_client.post("/api/v1/tenders/", draft_body(), format="json").status_code == 401
    assert signed_in(supplier_a).post("/api/v1/tenders/", draft_body(), format="json").status_code == 403


def test_an_officer_drafts_only_for_their_agency(signed_in, officer, other_agency):
    assert signed_in(officer).post("/api/v1/tenders/", draft_body(buyer=other_agency.pk), format="json").status_code == 403


def test_patch_edits_a_draft(signed_in, officer, draft):
    response = signed_in(officer).patch(f"/api/v1/tenders/{draft.pk}/", {"title": "Road resurfacing, N7"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Road resurfacing, N7"
    assert Tender.objects.get(pk=draft.pk).items.count() == 1  # items not given: kept


def test_patch_of_a_published_tender_is_a_conflict(signed_in, officer, tender):
    response = signed_in(officer).patch(f"/api/v1/tenders/{tender.pk}/", {"title": "Changed"}, format="json")
    assert response.status_code == 409 and errors(response) == {(None, "not_draft")}


def test_another_agency_cannot_see_a_draft_or_edit_a_tender(signed_in, other_officer, draft, tender):
    client = signed_in(other_officer)
    assert client.patch(f"/api/v1/tenders/{draft.pk}/", {"title": "Mine"}, format="json").status_code == 404
    assert client.patch(f"/api/v1/tenders/{tender.pk}/", {"title": "Mine"}, format="json").status_code == 403
    assert (
        client.post(f"/api/v1/tenders/{tender.pk}/amend/", {"reason": "x", "changes": {"title": "Mine"}}, format="json").status_code == 403
    )
    assert Tender.objects.get(pk=tender.pk).title != "Mine"


def test_publish_lists_every_problem_with_422_and_changes_nothing(signed_in, officer, agency):
    draft = signed_in(officer).post("/api/v1/tenders/", {"title": "Chairs"}, format="json").json()
    response = signed_in(officer).post(f"/api/v1/tenders/{draft['id']}/publish/")
    assert response.status_code == 422
    assert {"description", "main_category", "estimated_value", "items", "submission_deadline", "clarification_deadline"} <= {
        e["field"] for e in response.json()["errors"]
    }
    assert Tender.objects.get(pk=draft["id"]).status == "draft"


def test_published_tender_is_public_with_everything(api_client, tender):
    data = api_client.get(f"/api/v1/tenders/{tender.pk}/").json()
    assert data["reference"] == tender.reference and data["status"] == "published"
    assert data["lots"][0]["items"][0]["category"] == {"code": "45233140", "name": "Roadworks"}
    assert "custodians" not in data and data["deposit"] is None


def test_a_draft_is_not_found_by_the_public(api_client, signed_in, draft, supplier_a):
    assert api_client.get(f"/api/v1/tenders/{draft.pk}/").status_code == 404
    assert signed_in(supplier_a).get(f"/api/v1/tenders/{draft.pk}/").status_code == 404


def test_amend_through_the_api(signed_in, officer, tender):
    body = {"reason": "Budget revised.", "changes": {"estimated_value": "1300000"}}
    response = signed_in(officer).post(f"/api/v1/tenders/{tender.pk}/amend/", body, format="json")
    assert response.status_code == 201 and response.json()["changes"] == [
        {"field": "estimated_value", "old": "1200000.00", "new": "1300000.00"}
    ]


def test_amending_a_field_fixed_at_publication_is_a_422(signed_in, officer, tender):
    response = signed_in(officer).post(
        f"/api/v1/tenders/{tender.pk}/amend/", {"reason": "x", "changes": {"currency": "USD"}}, format="json"
    )
    assert response.status_code == 422 and errors(response) == {("changes.currency", "not_amendable")}


def test_amending_a_closed_tender_is_a_409(signed_in, officer, tender):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        response = signed_in(officer).post(
            f"/api/v1/tenders/{tender.pk}/amend/", {"reason": "x", "changes": {"title": "Late"}}, format="json"
        )
    assert response.status_code == 409 and errors(response) == {(None, "deadline_passed")}


def test_cancel_through_the_api(signed_in, officer, tender, api_client):
    response = signed_in(officer).post(f"/api/v1/tenders/{tender.pk}/cancel/", {"reason": "Budget withdrawn."}, format="json")
    assert response.status_code == 200 and response.json()["cancellation"]["reason"] == "Budget withdrawn."


def test_cancel_without_a_reason_is_a_422(signed_in, officer, tender):
    response = signed_in(officer).post(f"/api/v1/tenders/{tender.pk}/cancel/", {"reason": ""}, format="json")
    assert response.status_code == 422 and errors(response) == {("reason", "required")}


def test_questions_and_answers_through_the_api(signed_in, api_client, tender, supplier_a, verified_a, officer):
    asked = signed_in(supplier_a).post(f"/api/v1/tenders/{tender.pk}/questions/", {"question": "Night work?"}, format="json")
    assert asked.status_code == 201
    assert [q["question"] for q in signed_in(supplier_a).get(f"/api/v1/tenders/{tender.pk}/questions/").json()] == ["Night work?"]
    assert [q["question"] for q in signed_in(officer).get(f"/api/v1/tenders/{tender.pk}/questions/").json()] == ["Night work?"]
    answer = signed_in(officer).post(f"/api/v1/clarifications/{asked.json()['id']}/answer/", {"answer": "Yes."}, format="json")
    assert answer.status_code == 200 and answer.json()["number"] == 1
    api_client.credentials()
    assert api_client.get(f"/api/v1/tenders/{tender.pk}/").json()["clarifications"][0]["answer"] == "Yes."


def test_other_suppliers_do_not_see_a_question(signed_in, tender, supplier_a, verified_a, supplier_b, other_officer):
    asked = signed_in(supplier_a).post(f"/api/v1/tenders/{tender.pk}/questions/", {"question": "Night work?"}, format="json").json()
    assert signed_in(supplier_b).get(f"/api/v1/tenders/{tender.pk}/questions/").json() == []
    assert (
        signed_in(other_officer).post(f"/api/v1/clarifications/{asked['id']}/answer/", {"answer": "No."}, format="json").status_code == 404
    )
    assert Clarification.objects.get().status == "asked"


def test_a_late_question_is_a_409(signed_in, tender, supplier_a, verified_a):
    with time_machine.travel(tender.clarification_deadline + timedelta(seconds=1)):
        response = signed_in(supplier_a).post(f"/api/v1/tenders/{tender.pk}/questions/", {"question": "Late?"}, format="json")
    assert response.status_code == 409


def test_an_unverified_supplier_gets_a_403_with_the_reason(signed_in, tender, supplier_a):
    response = signed_in(supplier_a).post(f"/api/v1/tenders/{tender.pk}/questions/", {"question": "May I?"}, format="json")
    assert response.status_code == 403 and "not registered as a supplier" in response.json()["errors"][0]["message"]


def test_officers_publish_their_own_clarification(signed_in, officer, tender):
    response = signed_in(officer).post(
        f"/api/v1/tenders/{tender.pk}/clarifications/", {"question": "Site visit", "answer": "Monday."}, format="json"
    )
    assert response.status_code == 201 and response.json()["number"] == 1


def test_documents_through_the_api(signed_in, api_client, officer, draft, settings):
    client = signed_in(officer)
    created = client.post(f"/api/v1/tenders/{draft.pk}/documents/", {"file": SimpleUploadedFile("spec.pdf", PDF), "title": "Specification"})
    assert created.status_code == 201 and created.json()["version"] == 1
    refused = client.post(f"/api/v1/tenders/{draft.pk}/documents/", {"file": SimpleUploadedFile("spec.pdf", EXE), "title": "Specification"})
    assert refused.status_code == 422 and errors(refused) == {("file", "file_content")}
    settings.TENDER_DOCUMENT_MAX_BYTES = 100
    too_big = client.post(f"/api/v1/tenders/{draft.pk}/documents/", {"file": SimpleUploadedFile("spec.pdf", PDF), "title": "Again"})
    assert too_big.status_code == 413
    download = client.get(created.json()["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    api_client.credentials()
    assert api_client.get(created.json()["url"]).status_code == 404


def test_follow_through_the_api(signed_in, tender, supplier_b, verified_b):
    client = signed_in(supplier_b)
    assert client.post(f"/api/v1/tenders/{tender.pk}/follow/").json() == {"following": True}
    assert client.delete(f"/api/v1/tenders/{tender.pk}/follow/").json() == {"following": False}


def test_discard_a_draft(signed_in, officer, draft, tender):
    assert signed_in(officer).delete(f"/api/v1/tenders/{draft.pk}/").status_code == 204
    assert signed_in(officer).delete(f"/api/v1/tenders/{tender.pk}/").status_code == 409


def test_other_apps_add_fields_to_the_detail(api_client, tender, monkeypatch):
    from rest_framework import serializers

    from tenders.serializers import TenderDetailSerializer

    # A test extension, beside the real ones; monkeypatch puts the registry back as it was.
    monkeypatch.setitem(extensions.api_fields, "envelope_names", lambda: serializers.SerializerMethodField())
    monkeypatch.setattr(TenderDetailSerializer, "get_envelope_names", lambda self, obj: obj.envelope_names(), raising=False)
    data = api_client.get(f"/api/v1/tenders/{tender.pk}/").json()
    assert data["envelope_names"] == ["bid"]


def test_the_schema_has_no_warnings():
    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")
