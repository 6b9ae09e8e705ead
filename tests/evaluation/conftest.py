from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Organisation, Role
from tests import factories
from tests.bidding import helpers


@pytest.fixture(autouse=True)
def short_response_times(settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    settings.MIN_RESPONSE_HOURS_RFQ = 0


@pytest.fixture
def deadline():
    return (timezone.now() + timedelta(days=7)).replace(microsecond=0)


@pytest.fixture
def evaluators(agency, evaluator):
    """Three evaluators of the agency (the first is the `evaluator` persona)."""
    return [evaluator] + [factories.make_member(agency, Role.EVALUATOR, f"evaluator{n}@mot.test") for n in (2, 3)]


@pytest.fixture
def supplier_org_c(db) -> Organisation:
    return factories.make_supplier_organisation(name="Gamma Build Ltd", code="gamma")


@pytest.fixture
def supplier_c(supplier_org_c):
    return factories.make_member(supplier_org_c, Role.SUPPLIER_ADMIN, "admin@gamma.test")


@pytest.fixture
def firms(supplier_org_a, supplier_org_b, supplier_org_c, supplier_a, supplier_b, supplier_c):
    """Three verified firms, each with its admin: [(user, organisation), …]."""
    for organisation in (supplier_org_a, supplier_org_b, supplier_org_c):
        helpers.make_supplier(organisation)
    return [(supplier_a, supplier_org_a), (supplier_b, supplier_org_b), (supplier_c, supplier_org_c)]


@pytest.fixture
def review_officer(db):
    board = factories.make_organisation(Organisation.Kind.REVIEW_BODY, name="Review Board", code="board")
    return factories.make_member(board, Role.REVIEW_OFFICER, "review@board.test")


@pytest.fixture
def api_as(api_client, token_for):
    def authenticate(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return api_client

    return authenticate
