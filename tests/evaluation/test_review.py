"""Adversarial review of the evaluation and award: malformed input, existence oracles, deadlines.

Every refusal has the DESIGN.md error shape (or a 404) and leaves the stored data as it was.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from evaluation import actions
from evaluation.models import AwardNotice, BidClarification, Challenge, Evaluator, Score
from marketplace.errors import Conflict
from marketplace.models import AuditEvent
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluating(officer, evaluators, deadline, firms):
    """A weighted tender in evaluation: three cleared evaluators, Alpha (900) and Beta (1000) opened."""
    tender = h.published(officer, deadline, criteria=[("Quality", 40, 10)], **h.weighted_fields(60))
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, evaluators)
        h.declare_clear(*evaluators, tender=tender)
        yield h.refresh(tender), bids, clock


def evaluation_url(tender, tail: str = "") -> str:
    return f"/api/v1/tenders/{tender.pk}/evaluation/{tail}"


def test_asking_about_a_malformed_bid_id_is_refused_and_stores_nothing(api_as, officer, evaluating):
    tender, _bids, _clock = evaluating
    api = api_as(officer)
    events = AuditEvent.objects.count()
    body = {"bid": "not-a-bid", "question": "Which plant?", "deadline": (h.now() + timedelta(days=2)).isoformat()}
    response = api.post(evaluation_url(tender, "clarifications/"), body, format="json")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "bid", "code": "unknown_bid", "message": "This bid is not part of the tender."}]
    assert not BidClarification.objects.exists() and AuditEvent.objects.count() == events


def test_the_workspace_refuses_a_question_about_a_malformed_bid_id(client, officer, evaluating):
    tender, _bids, _clock = evaluating
    client.force_login(officer)
    deadline = (h.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("tenders:evaluation-ask", args=[tender.pk]), {"bid": "x", "question": "Why?", "deadline": deadline})
    assert response.status_code == 409 and "This bid is not part of the tender." in response.content.decode()
    assert not BidClarification.objects.exists()


@pytest.fixture
def opened(officer, deadline, firms):
    """A lowest-price tender opened with Alpha's bid, not yet in evaluation."""
    tender = h.published(officer, deadline)
    bid = h.bid(tender, *firms[0], {1: "900.00"})
    with h.past(deadline):
        yield h.open_at_deadline(tender), bid


def test_non_ascii_digits_for_an_evaluator_are_not_found(api_as, evaluators, evaluating):
    tender, _bids, _clock = evaluating
    response = api_as(evaluators[0]).get(evaluation_url(tender, "scores/"), {"evaluator": "²"})
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"


def test_a_lot_named_with_non_ascii_digits_is_refused_and_nothing_is_awarded(api_as, officer, evaluating):
    tender, bids, _clock = evaluating
    response = api_as(officer).post(evaluation_url(tender, "award/"), {"lots": {"²": str(bids[0].pk)}}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "lots.²", "code": "invalid", "message": "Name lots by number."}]
    assert not AwardNotice.objects.exists() and h.refresh(tender).status == "evaluating"


def test_an_evaluator_id_out_of_range_is_a_clear_error(api_as, officer, opened):
    tender, _bid = opened
    api = api_as(officer)
    events = AuditEvent.objects.count()
    response = api.post(evaluation_url(tender, "start/"), {"evaluators": [10**20]}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "evaluators.0"
    assert h.refresh(tender).status == "opened" and AuditEvent.objects.count() == events


@pytest.mark.parametrize("evaluator", ["²", "1" * 30])
def test_the_workspace_refuses_a_malformed_evaluator(client, officer, opened, evaluator):
    tender, _bid = opened
    client.force_login(officer)
    response = client.post(reverse("tenders:evaluation-start", args=[tender.pk]), {"evaluators": [evaluator]})
    assert response.status_code == 422 and "Name at least one evaluator." in response.content.decode()
    assert h.refresh(tender).status == "opened"


def test_the_workspace_refuses_a_malformed_evaluator_to_appoint(client, officer, evaluating):
    tender, _bids, _clock = evaluating
    client.force_login(officer)
    response = client.post(reverse("tenders:evaluation-appoint", args=[tender.pk]), {"evaluator": "²"})
    assert response.status_code == 422 and "Choose an evaluator." in response.content.decode()
    assert Evaluator.objects.filter(tender=tender).count() == 3


def test_the_workspace_refuses_a_price_question_on_a_malformed_lot(client, officer, evaluating):
    tender, bids, _clock = evaluating
    client.force_login(officer)
    deadline = (h.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    body = {"bid": str(bids[0].pk), "lot": "²", "question": "Justify the price.", "deadline": deadline}
    response = client.post(reverse("tenders:evaluation-ask", args=[tender.pk]), body)
    assert response.status_code == 409 and not BidClarification.objects.exists()


@pytest.fixture
def price_review(officer, evaluator, deadline, firms):
    """Gamma's 500 against 1000 and 1000 is abnormally low; the officer asked it to justify it."""
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, *firm, {1: price}) for firm, price in zip(firms, ["1000.00", "1000.00", "500.00"], strict=True)]
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        yield actions.request_price_justification(
            officer, tender, bids[2], 1, question="Explain this price.", deadline=h.now() + timedelta(days=3)
        )


@pytest.mark.parametrize("persona", ["other_officer", "supplier_a", "outsider", "evaluator"])
def test_a_price_review_is_not_found_by_those_who_may_not_decide_it(api_as, price_review, persona, request):
    """A 403 would tell that the numbered review exists, i.e. that some bid's price was flagged."""
    api = api_as(request.getfixturevalue(persona))
    response = api.post(f"/api/v1/price-reviews/{price_review.pk}/decision/", {"accept": True, "reason": "Fine."}, format="json")
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"
    assert h.refresh(price_review).status == "requested"


@pytest.fixture
def answered(officer, evaluator, deadline, firms, supplier_b, supplier_org_b):
    """Alpha won; Beta challenged; the agency answered (dismiss) at once. Answers within 5 days."""
    tender = h.published(officer, deadline, standstill_days=10, challenge_answer_days=5)
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        actions.award_tender(officer, tender)
        challenge = actions.lodge_challenge(supplier_b, supplier_org_b, tender, grounds="The winner's licence had expired.")
        yield actions.answer_challenge(officer, challenge, answer="It was valid.", decision=Challenge.Decision.DISMISS), clock


def test_the_challenger_escalates_one_second_before_the_response_period_ends(answered, supplier_b):
    challenge, clock = answered
    clock.move_to(challenge.answered_at + timedelta(days=5) - timedelta(seconds=1))
    escalated = actions.escalate_challenge(supplier_b, challenge, reason="The answer ignores the expiry date.")
    assert escalated.status == Challenge.Status.ESCALATED


def test_the_challenger_cannot_escalate_once_the_answer_stands(answered, supplier_b):
    """Silence for the response period means the answer stands (the sweep applies it); a sweep
    that has not run yet must not let a late escalation in."""
    challenge, clock = answered
    clock.move_to(challenge.answered_at + timedelta(days=5) + timedelta(seconds=1))
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        actions.escalate_challenge(supplier_b, challenge, reason="Too late, but trying.")
    assert refused.value.problems[0].code == "response_period_over"
    assert h.refresh(challenge).status == Challenge.Status.ANSWERED and AuditEvent.objects.count() == events


def test_the_public_awards_filter_names_only_firms_that_won(client, api_client, db, supplier_org_a):
    """The supplier registry is not public: a firm that never won an award is not listed, nor
    told apart from an id that is no firm at all."""
    page = client.get(reverse("awards:list"))
    assert page.status_code == 200 and supplier_org_a.name not in page.content.decode()
    unknown = api_client.get("/api/v1/awards/", {"supplier": 999999})
    registered = api_client.get("/api/v1/awards/", {"supplier": supplier_org_a.pk})
    assert registered.status_code == unknown.status_code and registered.json() == unknown.json()


def test_the_score_form_refuses_a_malformed_field_name(client, evaluators, evaluating):
    tender, bids, _clock = evaluating
    client.force_login(evaluators[0])
    body = {f"score_{bids[0].pk}_{tender.criteria.get().pk}": "5", "score_x": "5"}
    response = client.post(reverse("tenders:evaluation-score", args=[tender.pk]), body)
    assert response.status_code == 422 and "Not a criterion of this tender." in response.content.decode()
    assert not Score.objects.exists()


@pytest.mark.parametrize("typed", ["2031-02-30T10:00", "not a date", "9999-12-31T23:59:59-05:00"])
def test_the_workspace_refuses_an_impossible_answer_deadline(client, officer, evaluating, typed):
    tender, bids, _clock = evaluating
    client.force_login(officer)
    body = {"bid": str(bids[0].pk), "question": "Which plant?", "deadline": typed}
    response = client.post(reverse("tenders:evaluation-ask", args=[tender.pk]), body)
    assert response.status_code == 422 and "Give a deadline for the answer, in the future." in response.content.decode()
    assert not BidClarification.objects.exists()


@pytest.mark.parametrize("typed", ["2031-02-30T10:00:00Z", "9999-12-31T23:59:59-05:00", 12])
def test_the_api_refuses_an_impossible_answer_deadline(api_as, officer, evaluating, typed):
    tender, bids, _clock = evaluating
    body = {"bid": str(bids[0].pk), "question": "Which plant?", "deadline": typed}
    response = api_as(officer).post(evaluation_url(tender, "clarifications/"), body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "deadline"
    assert not BidClarification.objects.exists()


def test_the_workspace_refuses_a_null_character(client, officer, evaluating):
    """PostgreSQL text cannot hold NUL: the pages read their forms raw, so the refusal must come first."""
    tender, bids, _clock = evaluating
    client.force_login(officer)
    deadline = (h.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    body = {"bid": str(bids[0].pk), "question": "Which\x00plant?", "deadline": deadline}
    response = client.post(reverse("tenders:evaluation-ask", args=[tender.pk]), body)
    assert response.status_code == 422 and "Null characters are not allowed." in response.content.decode()
    assert not BidClarification.objects.exists()


def test_the_result_page_refuses_a_null_character(client, officer, evaluating, supplier_a):
    tender, bids, _clock = evaluating
    asked = actions.ask_bidder(officer, tender, bids[0], question="Which plant?", deadline=h.now() + timedelta(days=2))
    client.force_login(supplier_a)
    response = client.post(reverse("tenders:result-answer", args=[tender.pk, asked.pk]), {"answer": "Our\x00quarry."})
    assert response.status_code == 422 and "Null characters are not allowed." in response.content.decode()
    assert h.refresh(asked).answer == ""
