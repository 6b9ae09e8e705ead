"""Small things a reader notices: amounts grouped on Chinese pages, no "at least 0 days", a
verified firm's profile that says it is listed."""

import pytest
from django.test import override_settings
from django.utils import translation

from tenders.templatetags.tenders import money
from tests.factories import make_member, make_supplier, make_supplier_organisation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_amounts_are_grouped_by_three_in_every_language(language):
    with translation.override(language):
        assert money("1234567.5", "CNY") == "1,234,567.50 CNY"


def test_a_tender_without_a_minimum_response_time_does_not_ask_for_0_days(as_user, officer, draft):
    with override_settings(MIN_RESPONSE_DAYS_OPEN=0, MIN_RESPONSE_HOURS_RFQ=0):
        text = as_user(officer).get(f"/tenders/agency/{draft.pk}/").text
    assert "Ready to publish. The submission deadline must still be in the future." in text and "at least 0" not in text


def test_a_tender_with_a_minimum_says_how_long(as_user, officer, draft, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    draft.min_response_days = 15
    draft.save(update_fields=["min_response_days"])
    assert "must stay at least 15 days away" in as_user(officer).get(f"/tenders/agency/{draft.pk}/").text


def test_a_verified_listed_firm_says_listed(as_user):
    organisation = make_supplier_organisation(name="Listed Ltd", code="listed")
    admin = make_member(organisation, "supplier_admin", "admin@listed.test")
    make_supplier(organisation, listed_in_directory=True)
    text = as_user(admin).get(f"/suppliers/{organisation.supplier.pk}/").text
    assert "listed once verified" not in text and ">listed<" in text
