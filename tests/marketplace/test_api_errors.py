"""Bad requests to the API are answered in the error shape, never a server error or an HTML page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.rest import MAX_JSON_DEPTH
from tests.bidding import helpers

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_error_shape(response, status: int, code: str | None = None) -> list[dict]:
    assert response.status_code == status and response["Content-Type"] == "application/json", (response.status_code, response.content[:200])
    errors = response.json()["errors"]
    assert errors and all(set(error) == {"field", "code", "message"} and error["message"] for error in errors)
    if code is not None:
        assert [error["code"] for error in errors] == [code]
    return errors


@pytest.fixture
def as_officer(api_client, officer, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(officer)}")
    return api_client


def test_deeply_nested_json_to_the_receipt_check_is_a_400_for_anyone(api_client):
    response = api_client.post("/api/v1/receipts/verify", nested(1000), content_type="application/json")
    assert assert_error_shape(response, 400, "too_deep") == [
        {"field": None, "code": "too_deep", "message": f"The JSON document nests deeper than {MAX_JSON_DEPTH} levels."}
    ]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 200_000])
def test_any_depth_past_the_limit_is_refused(api_client, depth):
    response = api_client.post("/api/v1/receipts/verify", nested(depth), content_type="application/json")
    assert_error_shape(response, 400, "too_deep")


def test_objects_count_as_levels_too(api_client):
    body = '{"receipt": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)
    assert_error_shape(api_client.post("/api/v1/receipts/verify", body, content_type="application/json"), 400, "too_deep")


def test_a_document_at_the_limit_is_parsed_and_judged_by_its_fields(api_client):
    response = api_client.post(
        "/api/v1/receipts/verify", '{"receipt": ' + nested(MAX_JSON_DEPTH - 1) + "}", content_type="application/json"
    )
    assert assert_error_shape(response, 400)[0]["field"] == "receipt"


def test_deeply_nested_json_is_refused_on_tender_create_patch_and_bids(
    as_officer, officer, api_client, supplier_a, supplier_org_a, token_for
):
    draft = helpers.make_tender(officer)
    body = '{"title": ' + nested(1000) + "}"
    assert_error_shape(as_officer.post("/api/v1/tenders/", body, content_type="application/json"), 400, "too_deep")
    assert_error_shape(as_officer.patch(f"/api/v1/tenders/{draft.pk}/", body, content_type="application/json"), 400, "too_deep")
    published = helpers.publish(helpers.make_tender(officer, deadline=timezone.now() + timedelta(days=30)), officer)
    helpers.make_supplier(supplier_org_a)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(supplier_a)}")
    envelopes = '{"envelopes": ' + nested(1000) + ', "lots": [1]}'
    assert_error_shape(
        api_client.post(f"/api/v1/tenders/{published.pk}/bids/", envelopes, content_type="application/json"), 400, "too_deep"
    )
    draft.refresh_from_db()
    assert draft.title == "Road resurfacing" and not published.bids.exists()
