"""Bad requests to the API are answered in the error shape, never a server error or an HTML page."""

import json
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


def test_an_unknown_api_route_is_a_json_404(api_client):
    assert assert_error_shape(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")[0]["field"] is None


def test_an_unknown_page_keeps_its_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_60_mb_body_is_a_json_413(api_client):
    body = b'{"receipt": "' + b"a" * (60 * 1024 * 1024) + b'"}'
    assert_error_shape(api_client.post("/api/v1/receipts/verify", body, content_type="application/json"), 413, "too_large")


def test_a_body_over_the_limit_is_413_on_a_signed_in_json_endpoint(as_officer, officer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    draft = helpers.make_tender(officer)
    body = '{"title": "' + "x" * (2 * 1024 * 1024) + '"}'
    assert_error_shape(as_officer.patch(f"/api/v1/tenders/{draft.pk}/", body, content_type="application/json"), 413, "too_large")
    draft.refresh_from_db()
    assert draft.title == "Road resurfacing"


def test_more_than_a_thousand_form_fields_is_a_json_400(api_client):
    body = "&".join(f"field{n}=1" for n in range(1001))
    response = api_client.post("/api/v1/receipts/verify", body, content_type="application/x-www-form-urlencoded")
    assert_error_shape(response, 400, "too_many_fields")


def test_too_many_form_fields_on_a_page_keep_the_html_400(client):
    body = "&".join(f"field{n}=1" for n in range(1001))
    response = client.post("/accounts/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("number", [2**63, 2**64, 10**40])
def test_a_notification_id_past_the_databases_integers_is_a_400(as_officer, number):
    errors = assert_error_shape(as_officer.post("/api/v1/notifications/read/", {"ids": [1, number]}, format="json"), 400)
    assert errors[0]["field"] == "ids.1" or errors[0]["field"] == "ids"


def test_the_largest_id_the_database_holds_is_answered(as_officer):
    response = as_officer.post("/api/v1/notifications/read/", {"ids": [2**63 - 1]}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 0}


BAD_REQUESTS = [
    ("get", "/api/v1/nowhere", None, None),
    ("get", "/api/v1/tenders/99999999999999999999999/", None, None),
    ("get", "/api/v1/bids/not-a-uuid/", None, None),
    ("post", "/api/v1/receipts/verify", "{not json", "application/json"),
    ("post", "/api/v1/receipts/verify", nested(100), "application/json"),
    ("post", "/api/v1/receipts/verify", '{"receipt": ["a"]}', "application/json"),
    ("post", "/api/v1/receipts/verify", "\xff\xfe", "application/json"),
    ("post", "/api/v1/receipts/verify", "<xml/>", "application/xml"),
    ("post", "/api/v1/receipts/verify", "&".join(f"f{n}=1" for n in range(1500)), "application/x-www-form-urlencoded"),
    ("delete", "/api/v1/receipts/verify", None, None),
    ("post", "/api/v1/notifications/read/", '{"ids": [18446744073709551616]}', "application/json"),
    ("post", "/api/v1/notifications/read/", '{"ids": "all"}', "application/json"),
    ("post", "/api/v1/tenders/", '{"buyer": 18446744073709551616, "title": "Roads"}', "application/json"),
    ("post", "/api/v1/tenders/", '{"title": ' + nested(500) + "}", "application/json"),
    ("patch", "/api/v1/tenders/1/", "[]", "application/json"),
    ("get", "/api/v1/tenders/", {"page": "99999999999999999999"}, None),
    ("get", "/api/v1/awards/", {"buyer": "18446744073709551616"}, None),
    ("post", "/api/v1/tenders/1/bids/", '{"envelopes": {"bid": 1}, "lots": [18446744073709551616]}', "application/json"),
]


@pytest.mark.parametrize("method, path, body, content_type", BAD_REQUESTS)
@pytest.mark.parametrize("signed_in", [False, True])
def test_every_bad_api_request_is_answered_in_the_error_shape(api_client, officer, token_for, method, path, body, content_type, signed_in):
    helpers.make_tender(officer)
    if signed_in:
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(officer)}")
    send = getattr(api_client, method)
    response = send(path, body) if content_type is None else send(path, body, content_type=content_type)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert_error_shape(response, response.status_code)


def test_a_server_error_under_the_api_is_json_and_html_elsewhere(rf):
    from marketplace import rest

    answer = rest.server_error(rf.get("/api/v1/tenders/"))
    assert answer.status_code == 500 and json.loads(answer.content)["errors"][0]["code"] == "server_error"
    page = rest.server_error(rf.get("/tenders/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


SCHEMA_ERRORS = [
    # (method, path, body or query, content type, token, status): answers of the shared plumbing
    # that the schema once did not declare for these operations.
    ("get", "/api/v1/audit/checkpoints/", {"page": "0"}, None, None, 404),
    ("get", "/api/v1/audit/head", None, None, "th_unknown", 401),
    ("get", "/api/v1/tenders/", {"page": "99999999999999999999"}, None, None, 404),
    ("get", "/api/v1/awards/", {"buyer": "18446744073709551616"}, None, None, 400),
    ("post", "/api/v1/receipts/verify", "{not json", "application/json", None, 400),
    ("post", "/api/v1/tenders/1/bids/", "{}", "application/json", None, 401),
    ("post", "/api/v1/contracts/verify", "<xml/>", "application/xml", None, 415),
]


@pytest.mark.parametrize("method, path, body, content_type, token, status", SCHEMA_ERRORS)
def test_the_schema_declares_the_error_answers_of_every_operation_in_the_error_shape(
    api_client, method, path, body, content_type, token, status
):
    from tests.openapi import assert_conforms

    if token:
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    send = getattr(api_client, method)
    response = send(path, body) if content_type is None else send(path, body, content_type=content_type)
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert_conforms(response, method)


def test_every_operation_of_the_schema_declares_the_answers_any_call_can_get():
    from tests.openapi import schema

    for path, operations in schema()["paths"].items():
        for method, operation in operations.items():
            declared = operation["responses"]
            assert {"401", "403", "404", "429"} <= set(declared), (method, path)
            for code, response in declared.items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Errors"}, (
                        method,
                        path,
                        code,
                    )
