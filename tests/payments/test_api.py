"""Bid security and the finance officers' work through the API, each answer checked against the schema."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from payments import deposits, ledger
from payments.models import Gateway, Guarantee, Payment
from tenders.demo import pdf
from tests import factories
from tests.evaluation import helpers as h
from tests.openapi import assert_conforms
from tests.processes import free_port

pytestmark = pytest.mark.django_db
PDF = pdf(["Bid guarantee BG-1", "Bank of Leinster", "EUR 2,500.00"])  # a real PDF, as a bank sends it


@pytest.fixture
def tender(officer, deadline):
    return h.published(officer, deadline, deposit_amount=Decimal("2500.00"))


def security_url(tender) -> str:
    return f"/api/v1/tenders/{tender.pk}/bid-security/"


def test_a_firm_pays_by_transfer_and_finance_confirms_it_through_the_api(tender, firms, finance_officer, api_as):
    (user, _), *_ = firms
    client = api_as(user)
    before = client.get(security_url(tender))
    assert_conforms(before)
    assert before.json()["satisfied"] is False and before.json()["deposit"] == "2500.00"

    started = client.post(security_url(tender) + "deposit/", {"gateway": "offline"}, format="json")
    assert started.status_code == 201, started.json()
    assert_conforms(started, "post")
    payment = started.json()["payment"]
    assert started.json()["reference"].startswith("RF") and payment["status"] == "pending"
    again = client.post(security_url(tender) + "deposit/", {"gateway": "offline"}, format="json")
    assert again.json()["payment"]["id"] == payment["id"]

    desk = api_as(finance_officer)
    wrong = desk.post(f"/api/v1/payments/{payment['id']}/confirm/", {"bank_reference": "B-1", "received": "250.00"}, format="json")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "amount_mismatch" and ledger.balances() == {}
    confirmed = desk.post(f"/api/v1/payments/{payment['id']}/confirm/", {"bank_reference": "B-1", "received": "2500.00"}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    assert_conforms(confirmed, "post")
    twice = desk.post(f"/api/v1/payments/{payment['id']}/confirm/", {"bank_reference": "B-1", "received": "2500.00"}, format="json")
    assert twice.status_code == 409 and twice.json()["errors"][0]["code"] == "not_pending"
    assert api_as(user).get(security_url(tender)).json()["satisfied"] is True
    paying_again = api_as(user).post(security_url(tender) + "deposit/", {"gateway": "offline"}, format="json")
    assert paying_again.status_code == 409 and paying_again.json()["errors"][0]["code"] == "already_paid"
    listed = api_as(finance_officer).get("/api/v1/payments/")
    assert_conforms(listed)
    assert [p["id"] for p in listed.json()] == [payment["id"]]


def test_a_guarantee_is_given_and_decided_through_the_api(tender, firms, finance_officer, api_as):
    (user, _), *_ = firms
    form = {
        "issuer": "Bank of Leinster",
        "number": "BG-API-1",
        "amount": "2500.00",
        "valid_until": deposits.guarantee_needed_until(tender).isoformat(),
        "document": SimpleUploadedFile("guarantee.pdf", PDF),
    }
    given = api_as(user).post(security_url(tender) + "guarantee/", form, format="multipart")
    assert given.status_code == 201, given.json()
    assert_conforms(given, "post")
    url = f"/api/v1/guarantees/{given.json()['id']}/decision/"
    by_firm = api_as(user).post(url, {"accept": True}, format="json")
    assert by_firm.status_code == 403 and Guarantee.objects.get().status == Guarantee.Status.SUBMITTED
    no_reason = api_as(finance_officer).post(url, {"accept": False}, format="json")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    accepted = api_as(finance_officer).post(url, {"accept": True}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert api_as(user).get(security_url(tender)).json()["satisfied"] is True


def test_money_is_not_readable_or_confirmable_by_others(tender, firms, officer, other_agency, api_as):
    (user_a, firm_a), (user_b, _), _ = firms
    payment = deposits.start_deposit(user_a, firm_a, tender, gateway=Gateway.OFFLINE).payment
    other_finance = factories.make_member(other_agency, "finance_officer", "finance@other.test")
    for outsider in (user_b, officer, other_finance):
        client = api_as(outsider)
        assert str(payment.pk) not in client.get("/api/v1/payments/").content.decode()
        confirm = client.post(f"/api/v1/payments/{payment.pk}/confirm/", {"bank_reference": "X", "received": "2500.00"}, format="json")
        assert confirm.status_code in (403, 404)
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert api_as(user_b).get(security_url(tender) + f"?organisation={firm_a.pk}").status_code == 404


def test_the_public_is_refused_everywhere(tender, api_client):
    for method, url in [
        ("get", security_url(tender)),
        ("post", security_url(tender) + "deposit/"),
        ("get", "/api/v1/payments/"),
    ]:
        assert getattr(api_client, method)(url).status_code in (401, 403)


def test_stripe_unreachable_is_a_503_and_the_payment_waits_to_be_retried(tender, firms, stripe_settings, api_as):
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    (user, _firm), *_ = firms
    response = api_as(user).post(security_url(tender) + "deposit/", {"gateway": "stripe"}, format="json")
    assert response.status_code == 503 and response.json()["errors"][0]["code"] == "gateway_unavailable"
    assert Payment.objects.get().status == Payment.Status.CREATED
