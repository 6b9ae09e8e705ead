"""What the bidding pages show."""

import json
from datetime import timedelta

import pytest
import time_machine

from bidding import actions
from marketplace.models import Role
from suppliers.models import Supplier
from tenders.models import Custody
from tests.bidding import helpers
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def sealing_config(response) -> dict:
    text = response.text
    start = text.index('<script id="sealing-config" type="application/json">') + len('<script id="sealing-config" type="application/json">')
    return json.loads(text[start : text.index("</script>", start)])


def test_bid_page_gives_the_sealing_module_the_keys_and_firm(as_user, tender, supplier_a, supplier_org_a, supplier_record_a):
    response = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/")
    config = sealing_config(response)
    assert config["tender"] == tender.pk and config["organisation"] == supplier_org_a.pk
    assert [e["kid"] for e in config["envelopes"]] == [helpers.envelope_key(tender).kid]
    assert 'src="/static/js/bid-form.js"' in response.text and "<script>" not in response.text


def test_bid_page_shows_the_live_bid_with_its_receipt(as_user, tender, supplier_a, supplier_org_a, supplier_record_a):
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    response = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/")
    assert bid.receipt in response.text and bid.envelopes.get().sha256 in response.text
    assert "Withdraw this bid" in response.text and sealing_config(response)["replaceUrl"] == f"/api/v1/bids/{bid.pk}/replace/"


def test_bid_page_flags_a_bid_sealed_before_an_amendment(as_user, tender, officer, supplier_a, supplier_org_a, supplier_record_a):
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    helpers.amend(tender, officer)
    assert "amended (amendment 1) after you sealed" in as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/").text


def test_bid_page_tells_an_ineligible_firm_why(as_user, tender, supplier_a, supplier_org_a):
    helpers.make_supplier(supplier_org_a, status=Supplier.Status.APPLIED)
    response = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/")
    assert "has not been verified" in response.text and "data-seal-form" not in response.text


def test_bid_page_after_the_deadline_shows_the_box_not_the_form(as_user, tender, supplier_a, supplier_record_a, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        response = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/")
    assert "data-seal-form" not in response.text and "the box is empty" in response.text


def test_custodian_sets_a_passphrase_and_checks_a_share_on_the_page(client, agency, officer, deadline):
    custodians = [make_member(agency, Role.CUSTODIAN, f"keeper{n}@mot.test") for n in (1, 2)]
    for person in custodians:
        client.force_login(person)
        client.post("/custody/passphrase/", {"passphrase": f"passphrase of {person.email}", "confirm": f"passphrase of {person.email}"})
    tender = helpers.publish(
        helpers.make_tender(officer, deadline=deadline, custody=Custody.COMMITTEE, custodians=custodians, threshold=2), officer
    )
    response = client.post(f"/custody/tenders/{tender.pk}/check/", {"passphrase": f"passphrase of {custodians[1].email}"}, follow=True)
    assert "Your passphrase unlocks your share of: bid" in response.text and "checked" in response.text


def test_custody_page_refuses_mismatched_passphrases(as_user, agency):
    person = make_member(agency, Role.CUSTODIAN, "keeper@mot.test")
    response = as_user(person).post("/custody/passphrase/", {"passphrase": "one long passphrase", "confirm": "another long one"})
    assert response.status_code == 400 and "The two passphrases differ" in response.text


def test_my_bids_lists_only_my_firms_bids(as_user, tender, supplier_a, supplier_org_a, supplier_record_a, supplier_b):
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    assert tender.reference in as_user(supplier_a).get("/bids/").text
    assert "has not submitted any bid" in as_user(supplier_b).get("/bids/").text


@pytest.mark.parametrize(("sme_class", "closed"), [("large", True), ("small", False)])
def test_a_lot_reserved_for_smes_is_closed_before_sealing_to_a_firm_that_is_not_one(
    as_user, officer, supplier_a, supplier_org_a, sme_class, closed
):
    helpers.make_supplier(supplier_org_a, sme_class=sme_class)
    tender = helpers.publish(helpers.make_tender(officer, lots=2, reserved_lots=(2,)), officer)
    page = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/").text
    assert 'data-lot="1"' in page
    assert ('data-lot="2"' not in page) is closed
    assert ("your firm is not registered as one" in page) is closed


def test_the_receipt_downloads_as_a_file_for_the_firm_only(as_user, tender, supplier_a, supplier_org_a, supplier_record_a, supplier_b):
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    page = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/").text
    assert f'href="/bids/{bid.pk}/receipt.jws"' in page
    answer = as_user(supplier_a).get(f"/bids/{bid.pk}/receipt.jws")
    assert answer.status_code == 200 and answer.content.decode() == bid.receipt
    assert answer["Content-Disposition"].startswith("attachment;") and answer["Content-Type"].startswith("application/jose")
    assert as_user(supplier_b).get(f"/bids/{bid.pk}/receipt.jws").status_code == 404
    assert as_user(supplier_a).get(f"/bids/{bid.pk}/receipt.jws?withdrawal=1").status_code == 404  # not withdrawn


def test_the_bid_box_says_who_sees_the_count(as_user, tender, supplier_a, supplier_record_a):
    page = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/").text
    assert "only this tender's procurement officers see how many sealed bids are in the box" in page
