import pytest
from django.core.management import call_command

from marketplace.models import ApiToken, Notification

pytestmark = pytest.mark.django_db


def test_token_authenticates_api_requests(api_client, officer, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(officer)}")
    Notification.objects.create(user=officer, kind="test", title="Hello")
    response = api_client.get("/api/v1/notifications/")
    assert response.status_code == 200
    assert [n["title"] for n in response.json()["results"]] == ["Hello"]


def test_revoked_token_is_refused(api_client, officer, token_for):
    from marketplace.actions import revoke_api_token

    key = token_for(officer)
    revoke_api_token(officer, ApiToken.objects.get(user=officer))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/v1/notifications/")
    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": None, "code": "authentication_failed", "message": "Invalid or revoked token."}]}


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token nonsense", "Token \u00e9t\u00e9"])
def test_malformed_or_unknown_tokens_are_refused(api_client, db, header):
    api_client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    response = api_client.get("/api/v1/notifications/")
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "authentication_failed"


def test_anonymous_gets_401_in_the_error_shape(api_client, db):
    response = api_client.get("/api/v1/notifications/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_validation_errors_name_the_field(api_client, officer, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(officer)}")
    response = api_client.post("/api/v1/notifications/read/", {"ids": ["x", 0]}, format="json")
    assert response.status_code == 400
    fields = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert ("ids.0", "invalid") in fields and ("ids.1", "min_value") in fields


def test_notifications_are_private(api_client, officer, supplier_a, token_for):
    Notification.objects.create(user=officer, kind="test", title="For the officer only")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(supplier_a)}")
    assert api_client.get("/api/v1/notifications/").json()["results"] == []
    api_client.post("/api/v1/notifications/read/", {}, format="json")
    assert Notification.objects.get(user=officer).read_at is None


def test_issue_token_command_prints_a_working_key(api_client, officer, capsys):
    call_command("issue_token", "officer@mot.test")
    key = capsys.readouterr().out.strip()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/notifications/").status_code == 200


def test_issue_token_for_an_unknown_user_fails_clearly(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"no active user with e-mail ghost@example\.test"):
        call_command("issue_token", "ghost@example.test")


def test_openapi_schema_is_served(api_client, db):
    response = api_client.get("/api/v1/schema/")
    assert response.status_code == 200 and b"openapi" in response.content
