"""Adversarial review of the evaluation and award: malformed input, existence oracles, deadlines.

Every refusal has the DESIGN.md error shape (or a 404) and leaves the stored data as it was.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from marketplace.models import AuditEvent
from tenders.evaluation import actions
from tenders.evaluation.models import BidClarification
from tests.tenders.evaluation import helpers as h

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
