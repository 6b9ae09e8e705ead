"""API throttles per client address and per token, token expiry, and who sees a token's last use."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db

HEAD = "/api/v1/audit/head"


def test_anonymous_calls_past_the_rate_are_answered_429_in_the_error_shape(api_client, settings):
    settings.API_ANONYMOUS_PER_MINUTE = 3
    answers = [api_client.get(HEAD, REMOTE_ADDR="198.51.100.7") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    [problem] = answers[-1].json()["errors"]
    assert problem["field"] is None and problem["code"] == "throttled" and problem["message"]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60


def test_the_anonymous_rate_is_per_client_address(api_client, settings):
    settings.API_ANONYMOUS_PER_MINUTE = 1
    assert api_client.get(HEAD, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert api_client.get(HEAD, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert api_client.get(HEAD, REMOTE_ADDR="198.51.100.8").status_code == 200


def test_a_forwarded_for_header_does_not_buy_a_new_allowance(api_client, settings):
    settings.API_ANONYMOUS_PER_MINUTE = 1
    api_client.get(HEAD, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert api_client.get(HEAD, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429


def test_the_allowance_comes_back_after_a_minute(api_client, settings):
    settings.API_ANONYMOUS_PER_MINUTE = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        api_client.get(HEAD)
        clock.move_to(start + timedelta(seconds=59))
        assert api_client.get(HEAD).status_code == 429
        clock.move_to(start + timedelta(seconds=61))
        assert api_client.get(HEAD).status_code == 200


def test_each_token_has_its_own_allowance(api_client, officer, token_for, settings):
    settings.API_TOKEN_PER_MINUTE = 2
    first, second = token_for(officer), token_for(officer)
    calls = [api_client.get(HEAD, HTTP_AUTHORIZATION=f"Token {first}").status_code for _ in range(3)]
    assert calls == [200, 200, 429]
    assert api_client.get(HEAD, HTTP_AUTHORIZATION=f"Token {second}").status_code == 200


def test_a_token_is_not_limited_by_the_anonymous_rate(api_client, officer, token_for, settings):
    settings.API_ANONYMOUS_PER_MINUTE = 1
    key = token_for(officer)
    assert {api_client.get(HEAD, HTTP_AUTHORIZATION=f"Token {key}").status_code for _ in range(3)} == {200}


def test_default_rates_let_a_firm_submit_its_bid_calls_at_the_deadline(settings):
    # A bid is a handful of calls (keys, documents, envelope, receipt); a national platform's
    # busiest firm sends a few bids in the last minute.
    assert settings.API_TOKEN_PER_MINUTE >= 600 and settings.API_ANONYMOUS_PER_MINUTE >= 120


# Token expiry -------------------------------------------------------------------------


def test_a_token_works_until_its_expiry_and_then_answers_401(api_client, officer, token_for, settings):
    settings.API_TOKEN_DAYS = 90
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        key = token_for(officer)
        clock.move_to(start + timedelta(days=90, seconds=-1))
        assert api_client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
        clock.move_to(start + timedelta(days=90, seconds=1))
        response = api_client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    [problem] = response.json()["errors"]
    assert problem["field"] is None and problem["code"] == "token_expired" and "expired" in problem["message"]


def test_the_profile_shows_the_owner_each_token_expiry_and_last_use(client, officer, token_for, api_client):
    key = token_for(officer)
    api_client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {key}")
    token = ApiToken.objects.get(user=officer)
    client.force_login(officer)
    page = client.get("/accounts/profile/").text
    assert "Expires" in page and "Last used" in page and "90 days" in page
    row = re.search(r"<tr>\s*<td>tests</td>.*?</tr>", page, re.S).group(0)
    assert row.count("<td>") == 6 and "<td>—</td>" not in row and token.last_used_at is not None


def test_staff_do_not_see_when_a_bidder_last_used_a_token(client, bidder_a, token_for, api_client):
    key = token_for(bidder_a)
    api_client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {key}")
    token = ApiToken.objects.get(user=bidder_a)
    client.force_login(factories.make_user("staff@platform.test", is_staff=True, is_superuser=True))
    listing = client.get("/admin/marketplace/apitoken/")
    detail = client.get(f"/admin/marketplace/apitoken/{token.pk}/change/")
    assert listing.status_code == detail.status_code == 200 and token.last_used_at is not None
    for page in (listing.text, detail.text):
        assert "last used" not in page.lower() and "last_used" not in page
