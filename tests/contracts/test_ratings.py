"""Performance ratings (业绩评价): the buyer's officer rates a completed or terminated contract
once beside the facts the platform recorded, the firm answers once, and the firm's public
profile shows the ratings with the average and count of each score."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from contracts import closing, deliveries, performance
from contracts.forms import RatingForm
from contracts.models import Contract, Milestone, PerformanceRating
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import AuditEvent, Notification
from suppliers.models import Supplier
from tests import factories
from tests.contracts.helpers import confirm_award, confirm_awards_of_lots, milestone_plans, paid, signed_by_both
from tests.openapi import assert_conforms

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_documents")]

SCORES = {"quality": 5, "timeliness": 4, "compliance": 3}
PERSONAS = ["public", "officer", "finance_officer", "other_officer", "supplier_a", "bidder_a", "supplier_b", "auditor"]


@pytest.fixture
def confirmed(officer, evaluator, deadline, firms):
    _tender, award, travel, clock = confirm_award(officer, evaluator, deadline, firms)
    yield Contract.objects.get(award=award), clock
    travel.stop()


@pytest.fixture
def active(confirmed, officer, supplier_a):
    return signed_by_both(confirmed[0], officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))


def deliver_and_accept(contract, number: int, supplier, officer) -> None:
    deliveries.report_delivery(supplier, Milestone.objects.get(contract=contract, number=number), note="Delivered.")
    deliveries.accept_delivery(officer, Milestone.objects.get(contract=contract, number=number))


@pytest.fixture
def completed(active, officer, supplier_a, finance_officer):
    """Both milestones delivered, accepted and paid: the contract is completed."""
    for number in (1, 2):
        deliver_and_accept(active, number, supplier_a, officer)
        paid(Milestone.objects.get(contract=active, number=number), supplier_a, finance_officer)
    active.refresh_from_db()
    assert active.status == Contract.Status.COMPLETED
    return active


@pytest.fixture
def terminated(active, officer):
    return closing.terminate_contract(officer, active, reason="The supplier stopped work.", amount_paid=Decimal("0.00"))


@pytest.fixture
def rated(completed, officer):
    performance.rate_performance(officer, completed, **SCORES, comment="Good lamps, a little late.")
    return completed


@pytest.fixture
def client_as(api_client, api_as, request):
    def client(persona: str):
        if persona == "public":
            api_client.credentials()
            return api_client
        return api_as(request.getfixturevalue(persona))

    return client


@pytest.fixture
def page_as(client, request):
    def page(persona: str, path: str, data=None):
        client.logout()
        if persona != "public":
            client.force_login(request.getfixturevalue(persona))
        return client.post(path, data) if data is not None else client.get(path)

    return page


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


# Rating ---------------------------------------------------------------------------------


def test_the_officer_rates_a_completed_contract(completed, officer, supplier_a):
    rating = performance.rate_performance(officer, completed, **SCORES, comment="  Good lamps.  ")
    stored = PerformanceRating.objects.get(contract=completed)
    assert (stored.quality, stored.timeliness, stored.compliance, stored.comment, stored.rated_by) == (5, 4, 3, "Good lamps.", officer)
    assert rating.rated_at and not stored.is_answered
    assert AuditEvent.objects.filter(action="contract.rated", object_id=str(completed.pk)).count() == 1
    notice = Notification.objects.get(user=supplier_a, kind="contract.rated")
    assert notice.url == f"/contracts/{completed.pk}/#rating"


def test_the_officer_rates_a_terminated_contract(terminated, officer):
    performance.rate_performance(officer, terminated, quality=2, timeliness=1, compliance=2, comment="Stopped work.")
    assert PerformanceRating.objects.get(contract=terminated).timeliness == 1


def test_an_active_contract_cannot_be_rated(active, officer):
    with pytest.raises(Conflict) as refused:
        performance.rate_performance(officer, active, **SCORES)
    assert refused.value.problems[0].code == "not_finished" and not PerformanceRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, None, True])
def test_a_score_outside_one_to_five_is_refused(completed, officer, score):
    with pytest.raises(ActionError) as refused:
        performance.rate_performance(officer, completed, **(SCORES | {"timeliness": score}))
    assert [(p.field, p.code) for p in refused.value.problems] == [("timeliness", "invalid_score")]
    assert not PerformanceRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6])
def test_the_rating_form_refuses_a_score_outside_one_to_five(score):
    form = RatingForm({**SCORES, "quality": score, "comment": ""})
    assert not form.is_valid() and list(form.errors) == ["quality"]


@pytest.mark.parametrize("score", [0, 6])
def test_the_database_refuses_a_score_outside_one_to_five(rated, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        PerformanceRating.objects.filter(contract=rated).update(compliance=score)
    assert PerformanceRating.objects.get(contract=rated).compliance == 3


def test_rating_twice_is_refused(rated, officer):
    with pytest.raises(Conflict) as refused:
        performance.rate_performance(officer, rated, quality=1, timeliness=1, compliance=1)
    assert refused.value.problems[0].code == "already_rated"
    assert PerformanceRating.objects.get(contract=rated).quality == 5
    assert AuditEvent.objects.filter(action="contract.rated").count() == 1


@pytest.mark.parametrize("persona", ["finance_officer", "other_officer", "supplier_a", "auditor"])
def test_only_the_buyers_officer_rates(completed, persona, request):
    with pytest.raises(Forbidden) as refused:
        performance.rate_performance(request.getfixturevalue(persona), completed, **SCORES)
    assert refused.value.problems[0].code == "not_the_buyer" and not PerformanceRating.objects.exists()


# Answer ---------------------------------------------------------------------------------


def test_the_firm_answers_once(rated, supplier_a, officer):
    performance.answer_rating(supplier_a, rated, answer="The delay was the buyer's site access.")
    rating = PerformanceRating.objects.get(contract=rated)
    assert (rating.answer, rating.answered_by) == ("The delay was the buyer's site access.", supplier_a) and rating.answered_at
    assert Notification.objects.get(user=officer, kind="contract.rating_answered").url == f"/contracts/{rated.pk}/#rating"
    with pytest.raises(Conflict) as refused:
        performance.answer_rating(supplier_a, rated, answer="And another thing.")
    assert refused.value.problems[0].code == "already_answered"
    assert PerformanceRating.objects.get(contract=rated).answer == "The delay was the buyer's site access."
    assert AuditEvent.objects.filter(action="contract.rating_answered").count() == 1


def test_a_bidder_of_the_firm_may_answer(rated, bidder_a):
    performance.answer_rating(bidder_a, rated, answer="Noted.")
    assert PerformanceRating.objects.get(contract=rated).answered_by == bidder_a


@pytest.mark.parametrize("persona", ["supplier_b", "officer"])
def test_another_firm_or_the_buyer_cannot_answer(rated, persona, request):
    with pytest.raises(Forbidden) as refused:
        performance.answer_rating(request.getfixturevalue(persona), rated, answer="Not mine to say.")
    assert refused.value.problems[0].code == "not_the_supplier" and not PerformanceRating.objects.get(contract=rated).is_answered


def test_an_unrated_contract_cannot_be_answered(completed, supplier_a):
    with pytest.raises(Conflict) as refused:
        performance.answer_rating(supplier_a, completed, answer="Early.")
    assert refused.value.problems[0].code == "not_rated"


# Facts ----------------------------------------------------------------------------------


def test_a_milestone_delivered_three_days_after_its_due_date_is_three_days_late(active, confirmed, officer, supplier_a):
    confirmed[1].move_to(datetime(2027, 3, 4, 10, 0, tzinfo=UTC))  # milestone 1 is due on 1 March 2027
    deliveries.report_delivery(supplier_a, Milestone.objects.get(contract=active, number=1), note="Lamps.")
    deliveries.reject_delivery(officer, Milestone.objects.get(contract=active, number=1), reason="Broken.")
    deliveries.report_delivery(supplier_a, Milestone.objects.get(contract=active, number=1), note="Lamps again.")
    deliveries.accept_delivery(officer, Milestone.objects.get(contract=active, number=1))
    found = performance.facts(active)
    first, second = found.milestones
    assert (first.delivered_on, first.days_late, first.rejected_deliveries) == (datetime(2027, 3, 4).date(), 3, 1)
    assert (second.undelivered, second.days_late, second.rejected_deliveries) == (True, 0, 0)
    assert (found.late_milestones, found.days_late, found.rejected_deliveries) == (1, 3, 1)


def test_a_milestone_undelivered_at_termination_is_late_until_then(active, confirmed, officer):
    confirmed[1].move_to(datetime(2027, 3, 11, 9, 0, tzinfo=UTC))
    terminated = closing.terminate_contract(officer, active, reason="Nothing delivered.", amount_paid=Decimal("0.00"))
    confirmed[1].move_to(datetime(2027, 12, 1, tzinfo=UTC))
    assert [(m.undelivered, m.days_late) for m in performance.facts(terminated).milestones] == [(True, 10), (True, 0)]


def test_milestones_delivered_in_time_are_not_late(completed):
    found = performance.facts(completed)
    assert [m.days_late for m in found.milestones] == [0, 0] and found.rejected_deliveries == 0


# Pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_buyers_officer_sees_the_rating_form(completed, page_as, persona):
    page = page_as(persona, f"/contracts/{completed.pk}/").content.decode()
    assert ('name="quality"' in page) == (persona == "officer")
    assert ("Days late" in page) == (persona == "officer")


@pytest.mark.parametrize("persona, status", [("officer", 302), ("supplier_a", 403), ("finance_officer", 403), ("public", 302)])
def test_rating_through_the_page(completed, page_as, persona, status):
    response = page_as(persona, f"/contracts/{completed.pk}/rating/", {**SCORES, "comment": "Fine."})
    assert response.status_code == status
    assert PerformanceRating.objects.filter(contract=completed).exists() == (persona == "officer")


def test_the_page_refuses_a_score_of_six_beside_the_field(completed, page_as):
    response = page_as("officer", f"/contracts/{completed.pk}/rating/", {**SCORES, "quality": 6})
    assert response.status_code == 400 and not PerformanceRating.objects.exists()
    assert 'name="quality"' in response.content.decode()


def test_rating_twice_through_the_page_is_a_conflict(rated, page_as):
    assert page_as("officer", f"/contracts/{rated.pk}/rating/", SCORES).status_code == 409


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_reads_the_rating_and_only_the_firm_sees_the_answer_form(rated, page_as, persona):
    page = page_as(persona, f"/contracts/{rated.pk}/").content.decode()
    assert "Good lamps, a little late." in page and "Days late" in page
    assert ('name="answer"' in page) == (persona in ("supplier_a", "bidder_a"))


@pytest.mark.parametrize("persona, status", [("supplier_a", 302), ("bidder_a", 302), ("supplier_b", 403), ("officer", 403)])
def test_answering_through_the_page(rated, page_as, persona, status):
    assert page_as(persona, f"/contracts/{rated.pk}/rating/answer/", {"answer": "Thanks."}).status_code == status
    assert PerformanceRating.objects.get(contract=rated).is_answered == (status == 302)


def test_answering_twice_through_the_page_is_a_conflict(rated, page_as):
    page_as("supplier_a", f"/contracts/{rated.pk}/rating/answer/", {"answer": "Thanks."})
    assert page_as("supplier_a", f"/contracts/{rated.pk}/rating/answer/", {"answer": "Again."}).status_code == 409
    assert PerformanceRating.objects.get(contract=rated).answer == "Thanks."


# API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, status",
    [
        ("officer", 201),
        ("finance_officer", 403),
        ("other_officer", 403),
        ("supplier_a", 403),
        ("bidder_a", 403),
        ("supplier_b", 403),
        ("auditor", 403),
        ("public", 401),
    ],
)
def test_who_rates_through_the_api(completed, client_as, persona, status):
    response = client_as(persona).post(f"/api/v1/contracts/{completed.pk}/rating/", SCORES, format="json")
    assert response.status_code == status
    assert PerformanceRating.objects.filter(contract=completed).exists() == (status == 201)
    if status == 201:
        assert response.json()["quality"] == 5 and len(response.json()["facts"]["milestones"]) == 2
        assert_conforms(response, "post")


@pytest.mark.parametrize("score", [0, 6])
def test_the_api_refuses_a_score_outside_one_to_five(completed, client_as, score):
    response = client_as("officer").post(f"/api/v1/contracts/{completed.pk}/rating/", SCORES | {"compliance": score}, format="json")
    assert response.status_code == 400 and [e["field"] for e in response.json()["errors"]] == ["compliance"]
    assert not PerformanceRating.objects.exists()


def test_the_api_refuses_rating_twice(rated, client_as):
    response = client_as("officer").post(f"/api/v1/contracts/{rated.pk}/rating/", SCORES, format="json")
    assert response.status_code == 409 and codes(response) == ["already_rated"]


def test_the_api_refuses_rating_an_active_contract(active, client_as):
    response = client_as("officer").post(f"/api/v1/contracts/{active.pk}/rating/", SCORES, format="json")
    assert response.status_code == 409 and codes(response) == ["not_finished"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_reads_the_rating_through_the_api(rated, client_as, persona):
    response = client_as(persona).get(f"/api/v1/contracts/{rated.pk}/rating/")
    assert response.status_code == 200
    body = response.json()
    assert (body["quality"], body["comment"], body["facts"]["days_late"]) == (5, "Good lamps, a little late.", 0)
    assert_conforms(response)


def test_an_unrated_contract_has_no_rating_in_the_api(completed, client_as):
    assert client_as("public").get(f"/api/v1/contracts/{completed.pk}/rating/").status_code == 404


@pytest.mark.parametrize(
    "persona, status",
    [
        ("supplier_a", 200),
        ("bidder_a", 200),
        ("supplier_b", 403),
        ("officer", 403),
        ("finance_officer", 403),
        ("other_officer", 403),
        ("auditor", 403),
        ("public", 401),
    ],
)
def test_who_answers_through_the_api(rated, client_as, persona, status):
    response = client_as(persona).post(f"/api/v1/contracts/{rated.pk}/rating/answer/", {"answer": "Thanks."}, format="json")
    assert response.status_code == status
    assert PerformanceRating.objects.get(contract=rated).is_answered == (status == 200)
    if status == 200:
        assert_conforms(response, "post")


def test_answering_twice_through_the_api_is_a_conflict(rated, client_as):
    url = f"/api/v1/contracts/{rated.pk}/rating/answer/"
    assert client_as("supplier_a").post(url, {"answer": "Thanks."}, format="json").status_code == 200
    response = client_as("supplier_a").post(url, {"answer": "Again."}, format="json")
    assert response.status_code == 409 and codes(response) == ["already_answered"]


# The firm's profile ---------------------------------------------------------------------


@pytest.fixture
def two_rated(officer, evaluator, deadline, firms, supplier_a, supplier_org_a, finance_officer):
    """Two contracts of supplier A, both completed and rated: (5, 4, 3) and (4, 4, 2)."""
    _tender, awards, travel, _clock = confirm_awards_of_lots(officer, evaluator, deadline, firms, lots=2)
    contracts = [signed_by_both(Contract.objects.get(award=award), officer, supplier_a) for award in awards]
    for contract, scores in zip(contracts, [SCORES, {"quality": 4, "timeliness": 4, "compliance": 2}], strict=True):
        deliver_and_accept(contract, 1, supplier_a, officer)
        paid(Milestone.objects.get(contract=contract, number=1), supplier_a, finance_officer, number=f"INV-{contract.number}")
        performance.rate_performance(officer, contract, **scores, comment=f"Rating of {contract.number}.")
    performance.answer_rating(supplier_a, contracts[1], answer="We disagree on compliance.")
    yield Supplier.objects.get(organisation=supplier_org_a), contracts
    travel.stop()


def test_the_record_averages_each_score(two_rated):
    supplier, _contracts = two_rated
    scores = performance.supplier_record(supplier.organisation_id)["scores"]
    assert [(s.name, s.average, s.count) for s in scores] == [
        ("quality", Decimal("4.50"), 2),
        ("timeliness", Decimal("4.00"), 2),
        ("compliance", Decimal("2.50"), 2),
    ]


@pytest.mark.parametrize("persona", ["public", "supplier_a", "supplier_b", "officer"])
def test_the_public_profile_shows_the_ratings_averages_and_counts(two_rated, page_as, persona):
    supplier, contracts = two_rated
    response = page_as(persona, f"/suppliers/{supplier.pk}/profile/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Performance" in page and "4.50" in page and "2.50" in page
    for contract in contracts:
        assert f'href="/contracts/{contract.pk}/#rating">{contract.number}</a>' in page and f"Rating of {contract.number}." in page
    assert "We disagree on compliance." in page


def test_the_firms_own_record_shows_the_performance_too(two_rated, page_as):
    supplier, _contracts = two_rated
    page = page_as("supplier_a", f"/suppliers/{supplier.pk}/").content.decode()
    assert "Performance" in page and "4.50" in page


def test_a_firm_without_ratings_says_so(supplier_org_b, page_as):
    supplier = factories.make_supplier(supplier_org_b)
    assert "No contract of this firm has been rated yet." in page_as("public", f"/suppliers/{supplier.pk}/profile/").content.decode()


def test_an_unverified_firm_has_no_public_profile(supplier_org_b, page_as, client_as):
    supplier = factories.make_supplier(supplier_org_b, status="applied")
    assert page_as("public", f"/suppliers/{supplier.pk}/profile/").status_code == 404
    assert client_as("public").get(f"/api/v1/suppliers/{supplier.pk}/performance/").status_code == 404
    assert page_as("supplier_b", f"/suppliers/{supplier.pk}/profile/").status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_reads_the_performance_record_through_the_api(two_rated, client_as, persona):
    supplier, contracts = two_rated
    response = client_as(persona).get(f"/api/v1/suppliers/{supplier.pk}/performance/")
    assert response.status_code == 200
    body = response.json()
    assert body["scores"] == [
        {"name": "quality", "average": "4.50", "count": 2},
        {"name": "timeliness", "average": "4.00", "count": 2},
        {"name": "compliance", "average": "2.50", "count": 2},
    ]
    assert [r["contract"]["number"] for r in body["ratings"]] == [contracts[1].number, contracts[0].number]
    assert body["ratings"][0]["answer"] == "We disagree on compliance."
    assert_conforms(response)
