import pytest


@pytest.fixture(autouse=True)
def short_response_times(settings):
    """Browser tests publish tenders whose deadline is near; the platform minimum would refuse them."""
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    settings.MIN_RESPONSE_HOURS_RFQ = 0
