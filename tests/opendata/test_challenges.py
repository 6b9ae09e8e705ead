"""An upheld challenge cancels the notice's awards in a release; the next notice is a release too."""

import pytest

from evaluation import actions
from evaluation.models import Challenge
from opendata.models import Release
from tests.evaluation import helpers as h
from tests.opendata.helpers import follow_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def upheld(officer, evaluator, deadline, firms):
    """Alpha (900) won against Beta (1000); Beta's challenge was upheld. The clock stays past the deadline."""
    tender = h.published(officer, deadline)
    winner, loser = h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in (winner, loser):
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        actions.award_tender(officer, tender)
        challenge = actions.lodge_challenge(*firms[1], tender, grounds="The winner's licence had expired at the deadline.")
        actions.answer_challenge(officer, challenge, answer="It had.", decision=Challenge.Decision.UPHOLD)
        actions.accept_answer(firms[1][0], challenge)
        yield h.refresh(tender), winner


def test_an_upheld_challenge_and_the_new_award_are_releases(upheld, officer, public):
    tender, winner = upheld
    cancelled = Release.objects.filter(tender=tender).last()
    assert cancelled.tags == ["awardCancellation"] and cancelled.release_id.endswith("-notice-1-cancelled")
    assert [a["status"] for a in cancelled.data["awards"]] == ["cancelled"] and cancelled.data["tender"]["status"] == "active"
    actions.qualify_bid(officer, tender, winner, h.fail_documents(tender, "Licence expired."), reconsider=True)
    actions.approve_report(officer, tender)
    actions.award_tender(officer, tender)
    received, _poll = follow_feed(public)
    awards = received[-1]["awards"]
    assert received[-1]["tag"] == ["award"] and [a["status"] for a in awards] == ["cancelled", "pending"]
    assert awards[1]["suppliers"][0]["name"] == "Beta Supplies Ltd"


def test_a_firm_whose_award_was_cancelled_is_a_tenderer_no_longer_a_supplier(upheld):
    tender, _winner = upheld
    roles = {p["name"]: p["roles"] for p in Release.objects.filter(tender=tender).last().data["parties"]}
    assert roles == {"Ministry of Tests": ["buyer", "procuringEntity"], "Alpha Works Ltd": ["tenderer"], "Beta Supplies Ltd": ["tenderer"]}
