"""Two-step sign-in through the real pages: who must set up an app, the code step, recovery codes,
throttling, removing the app, API tokens, websockets and the demo's accounts."""

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace import twofactor
from marketplace.demo import DEMO_TOTP_SECRET
from marketplace.models import ApiToken, AuditEvent, Role
from tests import factories
from tests.factories import PASSWORD, current_code, make_authenticator

pytestmark = pytest.mark.django_db

# A fixed moment at the start of a 30-second step, so a test's codes never straddle two steps.
T0 = datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def sign_in(client, user, next_page=""):
    suffix = f"?next={next_page}" if next_page else ""
    return client.post(f"/accounts/login/{suffix}", {"username": user.email, "password": PASSWORD})


def enter(client, code, next_page="/start/"):
    return client.post("/accounts/two-factor/verify/", {"code": code, "next": next_page})


def enrol(client, user) -> tuple[TOTPDevice, list[str]]:
    """Set up an app through the page: read the secret shown, confirm with its first code."""
    page = client.get("/accounts/two-factor/enrol/")
    secret = re.search(r"data-totp-secret>([A-Z2-7 ]+)<", page.text).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert twofactor.base32_secret(device) == secret
    confirmed = client.post("/accounts/two-factor/enrol/", {"code": current_code(device), "next": "/start/"})
    assert confirmed.status_code == 302 and confirmed.url.startswith("/accounts/two-factor/recovery-codes/")
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>", client.get(confirmed.url).text)
    return TOTPDevice.objects.get(user=user, confirmed=True), codes


# Who must set one up -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "evaluator", "finance_officer", "registry_officer", "auditor"])
def test_an_officer_without_an_app_is_sent_to_set_one_up_and_reaches_nothing_else(client, persona, request):
    user = request.getfixturevalue(persona)
    assert sign_in(client, user).url == "/start/"
    stopped = client.get("/start/")
    assert stopped.status_code == 302 and stopped.url == "/accounts/two-factor/enrol/?next=%2Fstart%2F"
    for page in ["/tenders/agency/", "/accounts/profile/", "/notifications/", "/accounts/two-factor/"]:
        assert client.get(page).url.startswith("/accounts/two-factor/enrol/"), page
    assert "Your roles require a second step" in client.get("/accounts/two-factor/enrol/").text


def test_custodians_review_officers_and_staff_must_set_one_up_too(client, agency):
    board = factories.make_organisation("review_body", name="Review Board", code="board")
    for user in [
        factories.make_custodian(agency, "keeper@mot.test"),
        factories.make_member(board, Role.REVIEW_OFFICER, "review@board.test"),
        factories.make_user("staff@platform.test", is_staff=True),
    ]:
        client.logout()
        sign_in(client, user)
        assert client.get("/start/").url.startswith("/accounts/two-factor/enrol/"), user.email


def test_before_the_second_step_sign_out_static_files_and_health_still_answer(client, officer):
    sign_in(client, officer)
    assert client.get("/healthz")["Content-Type"] == "application/json"
    assert client.get("/static/css/site.css").status_code != 302  # served, or missing, but never the enrolment
    assert client.post("/accounts/logout/").status_code == 302 and "_auth_user_id" not in client.session


def test_api_calls_with_the_session_before_the_second_step_are_refused_in_the_error_shape(client, officer):
    sign_in(client, officer)
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 403
    assert response.json() == {
        "errors": [{"field": None, "code": "second_factor_required", "message": response.json()["errors"][0]["message"]}]
    }


def test_a_supplier_without_an_app_signs_in_with_the_password_alone(client, supplier_a):
    sign_in(client, supplier_a)
    assert client.get("/start/").url == "/bids/"
    assert "Set up an authenticator app" in client.get("/accounts/profile/").text


def test_a_supplier_may_set_up_an_app_from_the_profile_and_then_passes_the_code_step(client, supplier_a, clock):
    sign_in(client, supplier_a)
    device, _codes = enrol(client, supplier_a)
    assert "On: sign-in asks for a code" in client.get("/accounts/profile/").text
    client.logout()
    clock.shift(timedelta(seconds=30))
    sign_in(client, supplier_a)
    assert client.get("/bids/").url == "/accounts/two-factor/verify/?next=%2Fbids%2F"
    assert enter(client, current_code(device), "/bids/").url == "/bids/"
    assert client.get("/bids/").status_code == 200


# Setting up the app --------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_inline_and_the_secret_and_keeps_it_across_reloads(client, officer):
    sign_in(client, officer)
    first = client.get("/accounts/two-factor/enrol/")
    assert first.status_code == 200 and '<svg width="' in first.text and 'class="qr"' in first.text
    assert "<script" not in first.text.split('<main id="main"')[1]
    again = client.get("/accounts/two-factor/enrol/")
    secret = re.compile(r"data-totp-secret>([A-Z2-7 ]+)<")
    assert secret.search(first.text).group(1) == secret.search(again.text).group(1)
    assert TOTPDevice.objects.filter(user=officer).count() == 1


def test_the_app_counts_only_after_a_right_first_code(client, officer):
    sign_in(client, officer)
    client.get("/accounts/two-factor/enrol/")
    refused = client.post("/accounts/two-factor/enrol/", {"code": "000000"})
    assert refused.status_code == 400 and "That code is not right" in refused.text
    assert not twofactor.has_authenticator(officer)
    assert client.get("/tenders/agency/").url.startswith("/accounts/two-factor/enrol/")


def test_enrolling_lets_the_officer_in_and_shows_ten_recovery_codes_once(client, officer):
    sign_in(client, officer)
    _device, codes = enrol(client, officer)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/accounts/two-factor/recovery-codes/").url == "/accounts/two-factor/"
    assert client.get("/tenders/agency/").status_code == 200
    stored = set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
    assert stored == {twofactor.recovery_digest(code) for code in codes} and not stored & {c.replace("-", "") for c in codes}
    assert AuditEvent.objects.filter(action="user.second_factor_enrolled", actor=officer).count() == 1


# The code step -------------------------------------------------------------------------------


@pytest.fixture
def officer_with_app(officer):
    return officer, make_authenticator(officer)


def test_a_wrong_code_is_refused_and_the_right_one_lets_in(client, officer_with_app, clock):
    officer, device = officer_with_app
    sign_in(client, officer, "/tenders/agency/")
    assert client.get("/tenders/agency/").url == "/accounts/two-factor/verify/?next=%2Ftenders%2Fagency%2F"
    wrong = enter(client, "123456" if current_code(device) != "123456" else "654321")
    assert wrong.status_code == 400 and "That code is not right" in wrong.text
    assert client.get("/tenders/agency/").status_code == 302
    clock.shift(timedelta(seconds=1))  # the wait after one wrong code
    assert enter(client, current_code(device), "/tenders/agency/").url == "/tenders/agency/"
    assert client.get("/tenders/agency/").status_code == 200


def test_a_code_from_thirty_seconds_ago_still_works_but_not_one_from_two_minutes_ago(client, officer_with_app, clock):
    officer, device = officer_with_app
    old, older = current_code(device), None
    clock.shift(timedelta(seconds=30))
    sign_in(client, officer)
    assert enter(client, old).url == "/start/"
    client.logout()
    clock.shift(timedelta(minutes=2))
    older = current_code(device, offset_steps=-4)
    sign_in(client, officer)
    clock.shift(timedelta(seconds=2))
    assert enter(client, older).status_code in (400, 429)


def test_a_code_passes_once_only(client, officer_with_app, clock):
    officer, device = officer_with_app
    sign_in(client, officer)
    code = current_code(device)
    assert enter(client, code).status_code == 302
    client.logout()
    sign_in(client, officer)
    replay = enter(client, code)
    assert replay.status_code == 400 and "That code was used already: wait for the next one" in replay.text


def test_wrong_codes_are_throttled_and_the_page_says_how_long(client, officer_with_app, clock):
    officer, device = officer_with_app
    sign_in(client, officer)
    wrong = "111111" if current_code(device) != "111111" else "222222"
    for wait in [1, 2, 0]:  # each wrong code doubles the wait before the next may be tried
        assert enter(client, wrong).status_code == 400
        clock.shift(timedelta(seconds=wait))
    throttled = enter(client, current_code(device))
    assert throttled.status_code == 429 and "Too many wrong codes: wait 4 seconds" in throttled.text
    clock.shift(timedelta(seconds=4))
    assert enter(client, current_code(device)).url == "/start/"


def test_a_recovery_code_works_once(client, officer, clock):
    sign_in(client, officer)
    _device, codes = enrol(client, officer)
    client.logout()
    sign_in(client, officer)
    used = enter(client, codes[3].upper())
    landed = client.get("/tenders/agency/")
    assert used.url == "/start/" and landed.status_code == 200 and "Recovery code accepted; 9 left" in landed.text
    client.logout()
    clock.shift(timedelta(seconds=5))
    sign_in(client, officer)
    again = enter(client, codes[3])
    assert again.status_code == 400 and "That recovery code is not right, or was used already" in again.text
    assert AuditEvent.objects.get(action="user.recovery_code_used").payload == {"left": 9}


# Managing it ---------------------------------------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones_and_ask_the_password(client, officer):
    sign_in(client, officer)
    _device, old = enrol(client, officer)
    refused = client.post("/accounts/two-factor/recovery-codes/", {"password": "not it"}, follow=True)
    assert "The password is not correct" in refused.text
    assert client.post("/accounts/two-factor/recovery-codes/", {"password": PASSWORD}).url == "/accounts/two-factor/recovery-codes/"
    new = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", client.get("/accounts/two-factor/recovery-codes/").text)
    assert len(new) == 10 and not set(new) & set(old)
    assert twofactor.recovery_codes_left(officer) == 10
    assert AuditEvent.objects.filter(action="user.recovery_codes_regenerated").count() == 1


def test_removing_the_app_asks_the_password_and_an_officer_must_set_up_another(client, officer):
    sign_in(client, officer)
    enrol(client, officer)
    client.post("/accounts/two-factor/remove/", {"password": "not it"})
    assert twofactor.has_authenticator(officer)
    removed = client.post("/accounts/two-factor/remove/", {"password": PASSWORD})
    assert removed.url == "/accounts/two-factor/enrol/"
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists() and twofactor.recovery_codes_left(officer) == 0
    assert client.get("/tenders/agency/").url.startswith("/accounts/two-factor/enrol/")
    assert AuditEvent.objects.filter(action="user.second_factor_removed", actor=officer).count() == 1


def test_a_supplier_who_removes_the_app_signs_in_with_the_password_alone_again(client, supplier_a, clock):
    sign_in(client, supplier_a)
    enrol(client, supplier_a)
    client.post("/accounts/two-factor/remove/", {"password": PASSWORD})
    client.logout()
    sign_in(client, supplier_a)
    assert client.get("/start/").url == "/bids/"


# Tokens, websockets, the demo ----------------------------------------------------------------


def test_an_officer_makes_an_api_token_only_after_the_second_step_and_old_tokens_keep_working(
    client, api_client, officer_with_app, token_for
):
    officer, device = officer_with_app
    old_key = token_for(officer)
    sign_in(client, officer)
    assert client.post("/accounts/tokens/", {"name": "script"}).url.startswith("/accounts/two-factor/verify/")
    assert not ApiToken.objects.filter(name="script").exists()
    enter(client, current_code(device))
    assert client.post("/accounts/tokens/", {"name": "script"}).url == "/accounts/profile/"
    assert ApiToken.objects.filter(user=officer, name="script").exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {old_key}")
    assert api_client.get("/api/v1/notifications/").status_code == 200


def test_a_session_short_of_its_second_step_does_not_pass_for_websockets(client, officer_with_app):
    officer, device = officer_with_app
    sign_in(client, officer)
    assert not twofactor.session_passes(officer, client.session)
    enter(client, current_code(device))
    assert twofactor.session_passes(officer, client.session)


def test_the_demo_accounts_have_the_published_secret_and_demo_otp_prints_their_code(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert DEMO_TOTP_SECRET in out and "manage.py demo_otp officer@mpw.example" in out
    for email in ["officer@mpw.example", "custodian2@mpw.example", "staff@platform.example", "admin@lotus.example"]:
        assert twofactor.base32_secret(TOTPDevice.objects.get(user__email=email)) == DEMO_TOTP_SECRET
    assert not TOTPDevice.objects.filter(user__email="bidder@lotus.example").exists()
    call_command("demo_otp", "officer@mpw.example")
    assert capsys.readouterr().out.strip() == f"{totp(base64.b32decode(DEMO_TOTP_SECRET)):06d}"


def test_demo_otp_refuses_an_account_with_its_own_secret(officer):
    make_authenticator(officer)
    with pytest.raises(Exception, match="not a demo account"):
        call_command("demo_otp", officer.email)
