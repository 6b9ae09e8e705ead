from datetime import timedelta

import pytest
from django.utils import timezone

from tests.bidding import helpers


@pytest.fixture(autouse=True)
def short_response_times(settings):
    """Tests publish tenders whose deadline is near; the platform minimum would refuse them."""
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    settings.MIN_RESPONSE_HOURS_RFQ = 0


@pytest.fixture
def deadline():
    return (timezone.now() + timedelta(days=7)).replace(microsecond=0)


@pytest.fixture
def supplier_record_a(supplier_org_a):
    return helpers.make_supplier(supplier_org_a)


@pytest.fixture
def supplier_record_b(supplier_org_b):
    return helpers.make_supplier(supplier_org_b)


@pytest.fixture
def tender(officer, deadline):
    """A published single-envelope tender under platform custody."""
    return helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)


@pytest.fixture
def api_as(api_client, token_for):
    """`api_as(user)` returns the API client authenticated with the user's token."""

    def authenticate(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return api_client

    return authenticate
