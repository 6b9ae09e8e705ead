"""Sign-in lands each role on the page where its work starts."""

import pytest

from marketplace.models import Role
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "start"),
    [
        ("officer", "/tenders/agency/"),
        ("finance_officer", "/payments/finance/"),
        ("evaluator", "/tenders/evaluations/"),
        ("registry_officer", "/suppliers/registry/"),
        ("supplier_a", "/bids/"),
        ("outsider", "/"),
    ],
)
def test_signing_in_lands_on_the_roles_own_page(client, persona, start, request):
    user = request.getfixturevalue(persona)
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/start/"
    factories.pass_second_step(client, user)
    landed = client.get("/start/")
    assert landed.status_code == 302 and landed.url == start
    assert client.get(landed.url).status_code == 200


def test_a_review_officer_and_a_custodian_land_on_their_work(client, agency):
    board = factories.make_organisation("review_body", name="Review Board", code="board")
    for user, start in [
        (factories.make_member(board, Role.REVIEW_OFFICER, "review@board.test"), "/tenders/reviews/"),
        (factories.make_custodian(agency, "keeper@mot.test"), "/custody/"),
    ]:
        client.force_login(user)
        landed = client.get("/start/")
        assert landed.url == start and client.get(start).status_code == 200


def test_a_sign_in_on_the_way_to_a_page_goes_to_that_page(client, finance_officer):
    response = client.post("/accounts/login/?next=/payments/", {"username": finance_officer.email, "password": PASSWORD})
    assert response.url == "/payments/"
