"""A custodian with an authenticator app releases an opening share only with a fresh code from it,
on the page and over the API; a refusal releases nothing."""

from datetime import timedelta

import pytest
import time_machine

from bidding import actions
from bidding.models import ShareRelease
from marketplace.models import AuditEvent
from tenders.models import Custody
from tests.bidding import helpers
from tests.factories import OPENING_PASSPHRASE, current_code, make_authenticator, make_custodian

pytestmark = pytest.mark.django_db


@pytest.fixture
def committee(officer, agency, deadline, supplier_a, supplier_org_a, supplier_record_a):
    custodians = [make_custodian(agency, f"keeper{n}@mot.test") for n in range(3)]
    tender = helpers.make_tender(officer, deadline=deadline, custody=Custody.COMMITTEE, custodians=custodians, threshold=2)
    tender = helpers.publish(tender, officer)
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    return tender, custodians


@pytest.fixture
def clock(deadline):
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False) as traveller:
        yield traveller


def release(api, tender, **body):
    return api.post(f"/api/v1/tenders/{tender.pk}/opening/release/", {"passphrase": OPENING_PASSPHRASE} | body, format="json")


def test_without_the_code_the_api_refuses_and_releases_nothing(committee, api_as, clock):
    tender, custodians = committee
    make_authenticator(custodians[0])
    missing = release(api_as(custodians[0]), tender)
    assert missing.status_code == 403 and missing.json()["errors"][0] | {"message": ""} == {
        "field": "otp",
        "code": "otp_required",
        "message": "",
    }
    wrong = release(api_as(custodians[0]), tender, otp="000000")
    assert wrong.status_code == 403 and wrong.json()["errors"][0]["code"] == "wrong_otp"
    assert not ShareRelease.objects.filter(released_at__isnull=False).exists()
    refusals = AuditEvent.objects.filter(action="user.second_factor_refused", actor=custodians[0])
    assert [e.payload for e in refusals] == [{"purpose": "custodian_share.release", "code": "wrong_otp"}]


def test_with_a_fresh_code_the_share_is_released_and_the_same_code_does_not_pass_twice(committee, api_as, clock):
    tender, custodians = committee
    device = make_authenticator(custodians[0])
    released = release(api_as(custodians[0]), tender, otp=current_code(device))
    assert released.status_code == 200 and released.json()["present"] == 1
    again = release(api_as(custodians[0]), tender, otp=current_code(device))
    assert again.status_code == 403 and again.json()["errors"][0]["code"] == "otp_used"


def test_wrong_codes_are_throttled_with_retry_after(committee, api_as, clock):
    tender, custodians = committee
    device = make_authenticator(custodians[0])
    release(api_as(custodians[0]), tender, otp="000000" if current_code(device) != "000000" else "111111")
    throttled = release(api_as(custodians[0]), tender, otp=current_code(device))
    assert throttled.status_code == 429 and throttled["Retry-After"] == "1"
    assert throttled.json()["errors"][0]["code"] == "otp_throttled"
    clock.shift(timedelta(seconds=1))
    assert release(api_as(custodians[0]), tender, otp=current_code(device)).status_code == 200


def test_the_release_page_asks_for_the_code_of_a_custodian_with_an_app(committee, as_user, clock):
    tender, custodians = committee
    page = f"/tenders/{tender.pk}/opening/release/"
    assert 'name="otp"' not in as_user(custodians[1]).get(page).text
    device = make_authenticator(custodians[0])
    client = as_user(custodians[0])
    assert 'name="otp"' in client.get(page).text
    refused = client.post(page, {"passphrase": OPENING_PASSPHRASE})
    assert refused.status_code == 400 and "Enter the code from your authenticator app" in refused.text
    assert client.post(page, {"passphrase": OPENING_PASSPHRASE, "otp": current_code(device)}).status_code == 302
    assert ShareRelease.objects.filter(custodian=custodians[0], released_at__isnull=False).count() == 1


def test_a_custodian_without_an_app_releases_with_the_passphrase_alone(committee, api_as, clock):
    tender, custodians = committee
    assert release(api_as(custodians[1]), tender).json()["present"] == 1
