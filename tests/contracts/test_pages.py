"""The contract pages: who sees them, and the sign and decline forms."""

import pytest

from contracts import actions
from contracts.models import Contract
from tests.contracts.helpers import PERIOD, confirm_award
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PERSONAS = ["public", "officer", "other_officer", "supplier_a", "bidder_a", "supplier_b", "auditor"]
PARTIES = {"officer", "supplier_a", "bidder_a", "auditor"}


@pytest.fixture
def sent(officer, evaluator, deadline, firms):
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    contract = Contract.objects.get(award=award)
    actions.edit_draft(officer, contract, PERIOD)
    yield actions.send_for_signature(officer, contract)
    travel.stop()


@pytest.fixture
def page_as(client, request):
    def page(persona: str, path: str, data=None):
        client.logout()
        if persona != "public":
            client.force_login(request.getfixturevalue(persona))
        return client.post(path, data) if data is not None else client.get(path)

    return page


def test_a_contract_awaiting_signatures_is_shown_only_to_its_parties(sent, page_as):
    for persona in PERSONAS:
        response = page_as(persona, f"/contracts/{sent.pk}/")
        assert response.status_code == (200 if persona in PARTIES else 404), persona
        # The lists are the parties' own work; an auditor reads each contract's page.
        assert (sent.number in page_as(persona, "/contracts/").text) == (persona in PARTIES - {"auditor"}), persona
    assert "Sign the contract" in page_as("supplier_a", f"/contracts/{sent.pk}/").text
    assert "Decline the contract" not in page_as("officer", f"/contracts/{sent.pk}/").text


def test_signing_with_the_form_and_a_wrong_password(sent, page_as):
    wrong = page_as("supplier_a", f"/contracts/{sent.pk}/sign/", {"password": "guess"})
    assert wrong.status_code == 403 and "The password is not correct" in wrong.text
    assert not sent.signatures.exists()
    assert page_as("supplier_a", f"/contracts/{sent.pk}/sign/", {"password": PASSWORD}).status_code == 302
    assert page_as("officer", f"/contracts/{sent.pk}/sign/", {"password": PASSWORD}).status_code == 302
    for persona in PERSONAS:
        page = page_as(persona, f"/contracts/{sent.pk}/")
        assert page.status_code == 200 and "Active" in page.text, persona
    assert sent.number in page_as("public", "/contracts/").text


def test_declining_with_the_form(sent, page_as):
    assert page_as("supplier_b", f"/contracts/{sent.pk}/decline/", {"reason": "Not ours."}).status_code == 404
    assert page_as("supplier_a", f"/contracts/{sent.pk}/decline/", {"reason": ""}).status_code == 400
    assert page_as("supplier_a", f"/contracts/{sent.pk}/decline/", {"reason": "No capacity left."}).status_code == 302
    sent.refresh_from_db()
    assert sent.status == Contract.Status.CANCELLED and sent.cancellation_reason == "No capacity left."


def test_the_tender_page_links_the_contract_for_those_who_may_see_it(sent, page_as):
    for persona in ("public", "supplier_b", "supplier_a", "officer"):
        page = page_as(persona, f"/tenders/{sent.tender_id}/")
        assert (f"/contracts/{sent.pk}/" in page.text) == (persona in PARTIES), persona


def test_the_finance_officer_reads_every_contract_of_the_agency_with_its_milestones(sent, page_as):
    page = page_as("finance_officer", "/contracts/").content.decode()
    assert "Your agency&#x27;s contracts and their milestones" in page or "Your agency's contracts and their milestones" in page
    assert f'href="/contracts/{sent.pk}/"' in page and "Awaiting signatures" in page
    for persona in ("supplier_a", "other_officer", "public"):
        assert "contracts and their milestones" not in page_as(persona, "/contracts/").content.decode()
