import pytest

from tests.tenders import factories


@pytest.fixture
def draft(officer, agency):
    return factories.make_draft(officer, agency)


@pytest.fixture
def tender(officer, agency):
    """A published tender: questions until 10 days from now, bids until 20 days from now."""
    return factories.make_published(officer, agency)


@pytest.fixture
def verified_a(supplier_org_a):
    return factories.make_supplier(supplier_org_a)


@pytest.fixture
def verified_b(supplier_org_b):
    return factories.make_supplier(supplier_org_b)
