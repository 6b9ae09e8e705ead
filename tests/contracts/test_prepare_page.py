"""The draft's page: the buyer's officer writes the period, the signatories, the special terms and
the milestones, then sends the contract for signature; bad input leaves the draft as it was."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract
from marketplace.models import AuditEvent
from tests.contracts.helpers import confirm_award

pytestmark = pytest.mark.django_db

PERSONAS = ["public", "other_officer", "supplier_a", "bidder_a", "supplier_b", "auditor"]


@pytest.fixture
def draft(officer, evaluator, deadline, firms):
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    yield Contract.objects.get(award=award)
    travel.stop()


@pytest.fixture
def page_as(client, request):
    def page(persona: str, path: str, data=None):
        client.logout()
        if persona != "public":
            client.force_login(request.getfixturevalue(persona))
        return client.post(path, data) if data is not None else client.get(path)

    return page


def draft_data(contract, milestones=(("Delivery", "2027-03-01", "500.00"), ("Acceptance", "2027-06-30", "400.00")), **changes) -> dict:
    data = {
        "period_start": "2027-01-04",
        "period_end": "2027-06-30",
        "special_terms": "Warranty of two years.",
        "buyer_0_name": "Olive Officer",
        "buyer_0_title": "Head of procurement",
        "supplier_0_name": "Ada Admin",
        "supplier_0_title": "Director",
        "milestones-TOTAL_FORMS": str(len(milestones) + 1),
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "50",
    }
    for index, (description, due, amount) in enumerate(milestones):
        data |= {f"milestones-{index}-description": description, f"milestones-{index}-due_date": due, f"milestones-{index}-amount": amount}
    return data | changes


def stored(contract) -> dict:
    contract.refresh_from_db()
    return {
        "version": contract.version,
        "period": (contract.period_start, contract.period_end),
        "terms": contract.special_terms,
        "milestones": list(contract.milestones.values_list("description", "amount")),
    }


def test_the_officer_writes_the_draft_and_sends_it(draft, page_as):
    url = reverse("contracts:prepare", args=[draft.pk])
    assert (
        reverse("contracts:prepare", args=[draft.pk]) in page_as("officer", reverse("contracts:detail", args=[draft.pk])).content.decode()
    )
    page = page_as("officer", url)
    assert page.status_code == 200 and 'name="milestones-0-amount"' in page.content.decode()

    assert page_as("officer", url, draft_data(draft)).status_code == 302
    assert stored(draft) == {
        "version": 3,
        "period": (date(2027, 1, 4), date(2027, 6, 30)),
        "terms": "Warranty of two years.",
        "milestones": [("Delivery", Decimal("500.00")), ("Acceptance", Decimal("400.00"))],
    }
    assert draft.supplier_details["signatories"][0] | {"email": ""} == {"name": "Ada Admin", "title": "Director", "email": ""}
    assert AuditEvent.objects.filter(action="contract.milestones_set").count() == 1

    send = reverse("contracts:send", args=[draft.pk])
    asked = page_as("officer", send, {})
    assert asked.status_code == 200 and draft.__class__.objects.get(pk=draft.pk).status == Contract.Status.DRAFT
    assert page_as("officer", send, {"confirmed": "yes"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Contract.Status.AWAITING_SIGNATURES and draft.document_sha256
    assert page_as("officer", url).status_code == 200  # the page says it is no longer a draft
    assert 'name="milestones-0-amount"' not in page_as("officer", url).content.decode()


def test_milestones_that_do_not_add_up_leave_the_draft_as_it_was(draft, page_as):
    before = stored(draft)
    answer = page_as(
        "officer", reverse("contracts:prepare", args=[draft.pk]), draft_data(draft, milestones=(("Delivery", "2027-03-01", "500.00"),))
    )
    assert answer.status_code == 422 and "the contract value is 900.00" in answer.content.decode()
    assert stored(draft) == before  # the period and terms were not saved either


def test_an_incomplete_milestone_row_is_refused_beside_the_form(draft, page_as):
    before = stored(draft)
    answer = page_as("officer", reverse("contracts:prepare", args=[draft.pk]), draft_data(draft, milestones=(("Delivery", "", "900.00"),)))
    assert answer.status_code == 400 and "needs a description, a due date and an amount" in answer.content.decode()
    assert stored(draft) == before


def test_a_period_ending_before_it_starts_is_refused(draft, page_as):
    before = stored(draft)
    answer = page_as("officer", reverse("contracts:prepare", args=[draft.pk]), draft_data(draft, period_end="2026-12-31"))
    assert answer.status_code == 422 and stored(draft) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_buyers_officer_prepares(draft, page_as, persona):
    before = stored(draft)
    for path, data in (
        (reverse("contracts:prepare", args=[draft.pk]), None),
        (reverse("contracts:prepare", args=[draft.pk]), draft_data(draft)),
    ):
        answer = page_as(persona, path, data)
        assert answer.status_code in (302, 403, 404)
        if persona == "public":
            assert "/accounts/" in answer["Location"] or "login" in answer["Location"]
    assert page_as(persona, reverse("contracts:send", args=[draft.pk]), {"confirmed": "yes"}).status_code in (302, 403, 404)
    draft.refresh_from_db()
    assert draft.status == Contract.Status.DRAFT and stored(draft) == before
