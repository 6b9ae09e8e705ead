"""Sign-in lock-out, password-reset limits, password changes ending tokens and sessions, and
officers' idle sessions, all through the real pages."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from marketplace.models import ApiToken, AuditEvent, Role
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5
NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def staff(db):
    return factories.make_user("staff@platform.test", is_staff=True)


@pytest.fixture
def custodian(agency):
    return factories.make_member(agency, Role.CUSTODIAN, "custodian@mot.test")


@pytest.fixture(autouse=True)
def lockout_settings(settings):
    settings.SIGN_IN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = LIMIT
    settings.SIGN_IN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(client, email, password, address="198.51.100.7", **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address, **extra)


def fail(client, email, times, address="198.51.100.7"):
    for _ in range(times):
        sign_in(client, email, "wrong-guess", address)


def test_the_right_password_works_one_failure_below_the_limit(client, officer):
    fail(client, "officer@mot.test", LIMIT - 1)
    assert sign_in(client, "officer@mot.test", PASSWORD).status_code == 302


def test_at_the_limit_even_the_right_password_is_refused(client, officer):
    fail(client, "officer@mot.test", LIMIT)
    response = sign_in(client, "officer@mot.test", PASSWORD)
    assert response.status_code == 429 and "Sign-in is paused for 15 minutes" in response.text
    assert "_auth_user_id" not in client.session


def test_forty_guesses_then_the_right_password_do_not_get_in(client, officer):
    answers = [sign_in(client, "officer@mot.test", f"guess-{n}").status_code for n in range(40)]
    # The failure that reaches the limit is itself answered with the lock-out.
    assert answers[: LIMIT - 1] == [200] * (LIMIT - 1) and set(answers[LIMIT - 1 :]) == {429}
    assert sign_in(client, "officer@mot.test", PASSWORD).status_code == 429


def test_the_account_is_locked_from_every_address(client, officer):
    for n in range(LIMIT):
        sign_in(client, "officer@mot.test", "wrong-guess", address=f"203.0.113.{n}")
    assert sign_in(Client(), "officer@mot.test", PASSWORD, address="192.0.2.200").status_code == 429


def test_case_does_not_make_a_new_account_to_guess(client, officer):
    for n in range(LIMIT):
        sign_in(client, "OFFICER@mot.test" if n % 2 else "officer@MOT.test", "wrong-guess", address=f"203.0.113.{n}")
    assert sign_in(client, "officer@mot.test", PASSWORD, address="192.0.2.200").status_code == 429


def test_an_address_guessing_many_accounts_is_locked(client, officer):
    for n in range(LIMIT):
        sign_in(client, f"someone{n}@mot.test", "wrong-guess")
    assert sign_in(client, "officer@mot.test", PASSWORD).status_code == 429
    assert sign_in(Client(), "officer@mot.test", PASSWORD, address="192.0.2.200").status_code == 302


def test_the_lockout_page_is_the_same_for_an_unknown_account(officer):
    known, unknown = Client(), Client()
    fail(known, "officer@mot.test", LIMIT, address="198.51.100.1")
    fail(unknown, "nobody@mot.test", LIMIT, address="198.51.100.2")
    a = sign_in(known, "officer@mot.test", "x", address="198.51.100.1")
    b = sign_in(unknown, "nobody@mot.test", "x", address="198.51.100.2")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert (a.status_code, strip.sub("", a.text)) == (b.status_code, strip.sub("", b.text))


def test_the_lockout_is_said_in_chinese(client, officer):
    fail(client, "officer@mot.test", LIMIT)
    response = sign_in(client, "officer@mot.test", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    with override("zh-hans"):
        assert response.status_code == 429 and "登录已暂停 15 分钟" in response.text


def test_the_lockout_is_audited_once(client, officer):
    fail(client, "officer@mot.test", LIMIT + 3)
    [event] = AuditEvent.objects.filter(action="user.locked_out")
    assert event.actor == officer and event.payload == {"email": "officer@mot.test"} and event.ip == "198.51.100.7"


def test_the_cool_off_ends(client, officer):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail(client, "officer@mot.test", LIMIT)
        clock.move_to(start + timedelta(minutes=15, seconds=-1))
        assert sign_in(client, "officer@mot.test", PASSWORD).status_code == 429
        clock.move_to(start + timedelta(minutes=15, seconds=1))
        assert sign_in(client, "officer@mot.test", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_locked_too(client, staff):
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": staff.email, "password": "wrong-guess"}, REMOTE_ADDR="198.51.100.9")
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429


# Password resets ------------------------------------------------------------------------


def ask_reset(client, email, address="198.51.100.7"):
    return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=address)


def test_fifteen_reset_requests_send_only_the_hourly_allowance(client, officer, settings):
    settings.PASSWORD_RESETS_PER_EMAIL_HOUR = 3
    answers = {ask_reset(client, "officer@mot.test", address=f"203.0.113.{n}").status_code for n in range(15)}
    assert answers == {302} and len(mail.outbox) == 3


def test_one_client_address_cannot_mail_many_accounts(client, officer, supplier_a, evaluator, settings):
    settings.PASSWORD_RESETS_PER_CLIENT_HOUR = 2
    for email in ["officer@mot.test", "admin@alpha.test", "evaluator@mot.test"]:
        assert ask_reset(client, email).status_code == 302
    assert len(mail.outbox) == 2


def test_the_reset_allowance_comes_back_the_next_hour(client, officer, settings):
    settings.PASSWORD_RESETS_PER_EMAIL_HOUR = 1
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(hour - timedelta(minutes=30), tick=False) as clock:
        ask_reset(client, "officer@mot.test")
        clock.move_to(hour - timedelta(seconds=1))
        ask_reset(client, "officer@mot.test")
        assert len(mail.outbox) == 1
        clock.move_to(hour + timedelta(seconds=1))
        ask_reset(client, "officer@mot.test")
    assert len(mail.outbox) == 2


def test_a_throttled_reset_answers_as_an_unknown_address_does(client, officer, settings):
    settings.PASSWORD_RESETS_PER_EMAIL_HOUR = 1
    ask_reset(client, "officer@mot.test")
    throttled, unknown = ask_reset(client, "officer@mot.test"), ask_reset(client, "nobody@mot.test")
    assert (throttled.status_code, throttled.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1


# A new password ends tokens and other sessions ------------------------------------------


def reset_password(client, email):
    ask_reset(client, email)
    link = re.search(r"http://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    return client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_a_password_reset_revokes_tokens_and_ends_sessions(client, officer, token_for, api_client):
    key = token_for(officer)
    other_session = Client()
    other_session.force_login(officer)
    assert reset_password(client, "officer@mot.test").status_code == 302
    assert api_client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert other_session.get("/accounts/profile/").status_code == 302
    assert ApiToken.objects.get(user=officer).revoked_at is not None
    assert AuditEvent.objects.get(action="user.password_changed").payload == {"reason": "reset", "tokens_revoked": 1}


def test_a_password_change_revokes_tokens_and_ends_other_sessions(client, officer, token_for, api_client):
    key = token_for(officer)
    other_session = Client()
    other_session.force_login(officer)
    client.force_login(officer)
    form = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post("/accounts/password/", form).status_code == 302
    assert api_client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert other_session.get("/accounts/profile/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


# Officers' idle sessions ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "evaluator", "custodian", "auditor", "staff"])
def test_an_officer_session_ends_after_the_idle_period(client, persona, request, settings):
    settings.OFFICER_IDLE_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(request.getfixturevalue(persona))
        clock.move_to(start + timedelta(minutes=30, seconds=-1))
        assert client.get("/accounts/profile/").status_code == 200  # and the idle clock restarts
        clock.move_to(start + timedelta(minutes=60, seconds=-2))
        assert client.get("/accounts/profile/").status_code == 200
        clock.move_to(start + timedelta(minutes=90, seconds=-1))
        assert client.get("/accounts/profile/").status_code == 302


def test_a_supplier_session_outlasts_the_officer_idle_period(client, supplier_a, settings):
    settings.OFFICER_IDLE_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(supplier_a)
        clock.move_to(start + timedelta(days=3))
        assert client.get("/accounts/profile/").status_code == 200
