import pytest
from django.core import mail

from marketplace.models import ApiToken, AuditEvent, Notification
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PERSONAS = ["public", "outsider", "officer", "supplier_a", "auditor"]


@pytest.fixture
def visit(client, request):
    """`visit(persona)` returns a client acting as that persona."""

    def as_persona(name):
        if name != "public":
            client.force_login(request.getfixturevalue(name))
        return client

    return as_persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_home_is_open_to_everyone(visit, persona):
    response = visit(persona).get("/")
    assert response.status_code == 200
    assert "Public procurement, sealed and open" in response.text


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("path", ["/accounts/profile/", "/notifications/"])
def test_personal_pages_need_a_sign_in(visit, persona, path):
    response = visit(persona).get(path)
    if persona == "public":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    else:
        assert response.status_code == 200


def test_profile_lists_the_roles_held(visit):
    response = visit("officer").get("/accounts/profile/")
    assert "Ministry of Tests" in response.text and "Procurement officer" in response.text


def test_sign_in_by_email_is_audited(client, officer):
    response = client.post("/accounts/login/", {"username": "OFFICER@mot.test", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.login", actor=officer).exists()


def test_failed_sign_in_is_audited_without_the_password(client, officer):
    response = client.post("/accounts/login/", {"username": "officer@mot.test", "password": "wrong-guess"})
    assert response.status_code == 200 and "Please enter a correct" in response.text
    event = AuditEvent.objects.get(action="user.login_failed")
    assert event.payload == {"email": "officer@mot.test"} and "wrong-guess" not in str(event.payload)


def test_password_reset_mails_a_link_to_the_configured_site(client, officer, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["*"]  # even where any Host is accepted, links use SITE_URL
    response = client.post("/accounts/password-reset/", {"email": "officer@mot.test"}, HTTP_HOST="evil.example")
    assert response.status_code == 302
    [message] = mail.outbox
    assert "http://127.0.0.1:8000/accounts/reset/" in message.body and "evil.example" not in message.body


def test_password_reset_does_not_reveal_unknown_addresses(client, db):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302 and mail.outbox == []


def test_token_created_on_the_profile_is_shown_once_and_stored_hashed(visit, officer):
    client = visit("officer")
    response = client.post("/accounts/tokens/", {"name": "reporting script"}, follow=True)
    token = ApiToken.objects.get(user=officer)
    key = response.context["new_key"]
    assert key in response.text and token.digest == ApiToken.digest_of(key) and key not in token.hint + token.digest
    assert key not in client.get("/accounts/profile/").text


def test_token_without_a_name_is_refused_beside_the_field(visit, officer):
    response = visit("officer").post("/accounts/tokens/", {"name": ""})
    assert response.status_code == 400 and "This field is required." in response.text
    assert not ApiToken.objects.exists()


def test_a_user_cannot_revoke_someone_elses_token(visit, officer, supplier_a, token_for):
    token_for(officer)
    token = ApiToken.objects.get(user=officer)
    response = visit("supplier_a").post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_notifications_page_marks_all_read(visit, officer):
    Notification.objects.create(user=officer, kind="test", title="Question asked")
    client = visit("officer")
    assert "Question asked" in client.get("/notifications/").text
    client.post("/notifications/read/")
    assert not Notification.objects.filter(user=officer, read_at__isnull=True).exists()


def test_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(("persona", "status"), [("public", 302), ("officer", 302), ("staff", 200)])
def test_admin_is_for_platform_staff(client, request, persona, status):
    from tests.factories import make_user

    if persona == "officer":
        client.force_login(request.getfixturevalue("officer"))
    elif persona == "staff":
        client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == status


def test_every_page_names_an_icon_the_platform_serves(client, db):
    from django.contrib.staticfiles import finders

    page = client.get("/").text
    assert '<link rel="icon" href="/static/favicon' in page
    assert finders.find("favicon.svg")


def test_error_pages_speak_to_people_and_keep_the_site_around_them(client, db, outsider):
    missing = client.get("/tenders/999999/")
    assert missing.status_code == 404 and "Page not found" in missing.text and 'href="/tenders/"' in missing.text
    client.force_login(outsider)
    refused = client.get("/payments/finance/")
    assert refused.status_code == 403 and "Not allowed" in refused.text and 'href="/start/"' in refused.text
