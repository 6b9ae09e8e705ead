from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from suppliers.actions import add_licence
from suppliers.eligibility import bidding_refusal, licences_needed_by
from suppliers.models import Supplier
from tests.factories import accept_licence
from tests.suppliers.factories import make_tender, pdf_upload

pytestmark = pytest.mark.django_db


def hold(firm, admin, licence_type, valid_to):
    return accept_licence(
        add_licence(
            admin,
            firm,
            licence_type=licence_type,
            number="P-1",
            issuer="O",
            valid_from=date(2026, 1, 1),
            valid_to=valid_to,
            upload=pdf_upload(),
        )
    )


def test_a_verified_firm_with_its_licences_may_bid(agency, firm_a, supplier_a, construction_permit):
    hold(firm_a, supplier_a, construction_permit, date(2030, 1, 1))
    assert bidding_refusal(firm_a.organisation, make_tender(agency, main_category="45233000"), timezone.now()) is None


def test_an_expired_required_licence_blocks_bidding_from_the_day_after(agency, firm_a, supplier_a, construction_permit):
    hold(firm_a, supplier_a, construction_permit, date(2030, 6, 30))
    tender = make_tender(agency, main_category="45233000")
    with time_machine.travel("2030-06-30 23:59:59Z"):
        assert bidding_refusal(firm_a.organisation, tender, timezone.now()) is None
    with time_machine.travel("2030-07-01 00:00:01Z"):
        assert (
            bidding_refusal(firm_a.organisation, tender, timezone.now())
            == "Your firm has no valid licence of the required type: Construction permit. A licence counts once the registry has accepted it."
        )


def test_a_requirement_reaches_item_categories(agency, firm_a, construction_permit):
    tender = make_tender(agency, main_category="71000000", item_codes=["45233140"])
    assert "Construction permit" in bidding_refusal(firm_a.organisation, tender, timezone.now())


def test_an_unrelated_category_needs_no_permit(agency, firm_a, construction_permit):
    assert bidding_refusal(firm_a.organisation, make_tender(agency, main_category="72000000"), timezone.now()) is None


@pytest.mark.parametrize(
    ("status", "until", "reason"),
    [
        (Supplier.Status.APPLIED, None, "has not been verified yet"),
        (Supplier.Status.RETURNED, None, "has not been verified yet"),
        (Supplier.Status.SUSPENDED, None, "suspended"),
        (Supplier.Status.DEBARRED, 10, "debarred"),
    ],
)
def test_unverified_suspended_and_debarred_firms_may_not_bid(agency, firm_a, status, until, reason):
    end = timezone.localdate() + timedelta(days=until) if until else None
    Supplier.objects.filter(pk=firm_a.pk).update(status=status, restricted_until=end)
    assert reason in bidding_refusal(firm_a.organisation, make_tender(agency, main_category="72000000"), timezone.now())


def test_an_unregistered_organisation_may_not_bid(agency, supplier_org_b):
    assert "not registered" in bidding_refusal(supplier_org_b, make_tender(agency), timezone.now())


def test_the_firm_page_lists_the_licences_its_categories_call_for(as_user, supplier_a, firm_a, construction_permit):
    [needed] = licences_needed_by(firm_a, timezone.localdate())
    assert needed["type"] == construction_permit and needed["held"] is False
    assert "no: your firm cannot bid on these tenders" in as_user(supplier_a).get(f"/suppliers/{firm_a.pk}/").text


def test_a_broad_category_is_told_of_requirements_below_it(firm_b, construction_permit):
    from suppliers.models import LicenceRequirement

    LicenceRequirement.objects.create(licence_type=construction_permit, category="72200000")
    assert [n["type"].code for n in licences_needed_by(firm_b, timezone.localdate())] == ["construction-permit"]
