"""Who may bid, as other apps answer `bid_eligibility_check`: the registry and the deposit (payments)."""

import pytest

from bidding import actions
from bidding.models import Bid
from marketplace.errors import Forbidden
from tests.bidding import helpers

pytestmark = pytest.mark.django_db


def test_a_firm_owing_a_deposit_cannot_bid_and_nothing_is_stored(officer, supplier_a, supplier_org_a, supplier_record_a):
    tender = helpers.publish(helpers.make_tender(officer, deposit_amount="500.00"), officer)
    with pytest.raises(Forbidden) as refused:
        actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    assert [p.code for p in refused.value.problems] == ["deposit_required"]
    assert not Bid.objects.filter(tender=tender).exists()


def test_an_sme_bids_without_the_deposit_it_is_waived(officer, supplier_a, supplier_org_a):
    helpers.make_supplier(supplier_org_a, sme_class="small")
    tender = helpers.publish(helpers.make_tender(officer, deposit_amount="500.00", deposit_waived_for_sme=True), officer)
    assert actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a)).is_live


def test_the_bid_page_shows_the_unpaid_deposit_before_anything_is_sealed(as_user, officer, supplier_a, supplier_record_a):
    tender = helpers.publish(helpers.make_tender(officer, deposit_amount="500.00"), officer)
    response = as_user(supplier_a).get(f"/tenders/{tender.pk}/bid/")
    assert "requires a bid deposit of 500.00 EUR, which your firm has not given yet" in response.text
    assert f'href="/payments/deposits/{tender.pk}/?organisation=' in response.text and "data-seal-form" not in response.text


def test_every_reason_is_given_at_once(officer, supplier_a, supplier_org_a):
    tender = helpers.publish(helpers.make_tender(officer, deposit_amount="500.00"), officer)
    problems = actions.eligibility_problems(supplier_org_a, tender, tender.published_at)
    assert [p.code for p in problems] == ["not_eligible", "deposit_required"]
