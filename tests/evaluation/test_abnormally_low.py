"""Abnormally low prices: flagged, justified by the bidder, accepted or rejected before the award."""

from datetime import timedelta

import pytest

from evaluation import actions
from evaluation.models import AwardNotice, BidClarification, PriceReview
from evaluation.standing import standing
from marketplace.errors import ActionError, Conflict
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(officer, evaluator, deadline, firms):
    """1000, 1000 and 500: the mean is 833.33, 80 % of it 666.67, so 500 is abnormally low."""
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, *firm, {1: price}) for firm, price in zip(firms, ["1000.00", "1000.00", "500.00"], strict=True)]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        yield h.refresh(tender), bids, clock


def ask_low(officer, tender, bid, days: int = 3) -> PriceReview:
    return actions.request_price_justification(
        officer, tender, bid, 1, question="Explain how you reach this price.", deadline=h.now() + timedelta(days=days)
    )


def test_the_low_price_is_flagged_against_the_mean(flagged):
    tender, bids, _clock = flagged
    [lot] = standing(tender).lots
    assert [f.bid.pk for f in lot.flags] == [bids[2].pk]
    assert str(lot.check.mean) == "833.3333" and str(lot.check.threshold) == "666.6667"


def test_the_threshold_is_set_per_tender(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline, abnormally_low_percent=50)
    bids = [h.bid(tender, *firm, {1: price}) for firm, price in zip(firms, ["1000.00", "1000.00", "500.00"], strict=True)]
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        assert standing(tender).lots[0].flags == []


def test_awarding_with_an_unresolved_flag_is_refused(flagged, officer):
    tender, bids, _clock = flagged
    with pytest.raises(ActionError) as refused:
        actions.approve_report(officer, tender)
    assert "abnormally_low_unresolved" in {p.code for p in refused.value.problems}
    ask_low(officer, tender, bids[2])
    with pytest.raises(ActionError) as refused:
        actions.award_tender(officer, tender)
    assert "abnormally_low_unresolved" in {p.code for p in refused.value.problems}
    assert not AwardNotice.objects.exists()


def test_only_a_flagged_price_needs_a_justification(flagged, officer):
    tender, bids, _clock = flagged
    with pytest.raises(Conflict) as refused:
        ask_low(officer, tender, bids[0])
    assert refused.value.problems[0].code == "not_flagged" and not PriceReview.objects.exists()


def test_an_accepted_justification_lets_the_low_price_win(flagged, officer, supplier_c):
    tender, bids, _clock = flagged
    review = ask_low(officer, tender, bids[2])
    with pytest.raises(Conflict) as refused:
        actions.decide_price_justification(officer, review, accept=True, reason="Too early.")
    assert refused.value.problems[0].code == "awaiting_answer"
    actions.answer_bid_clarification(supplier_c, review.clarification, answer="We own the quarry next to the site.")
    actions.decide_price_justification(officer, review, accept=True, reason="Own materials explain the price.")
    actions.approve_report(officer, tender)
    notice = actions.award_tender(officer, tender)
    assert notice.awards.get().bid_id == bids[2].pk


def test_a_rejected_justification_takes_the_bid_out_of_the_lot(flagged, officer, clock_at=None):
    tender, bids, clock = flagged
    review = ask_low(officer, tender, bids[2], days=2)
    clock.shift(timedelta(days=2))  # the deadline passed without an answer
    actions.decide_price_justification(officer, review, accept=False, reason="No justification was given.")
    report = actions.approve_report(officer, tender)
    notice = actions.award_tender(officer, tender)
    assert notice.awards.get().bid_id == bids[0].pk
    assert notice.content["lots"][0]["abnormally_low_rejected"] == ["Gamma Build Ltd"]
    assert report.content["lots"][0]["flags"][0]["review"] == "rejected"


def test_a_decision_needs_its_reasons(flagged, officer, supplier_c):
    tender, bids, _clock = flagged
    review = ask_low(officer, tender, bids[2])
    actions.answer_bid_clarification(supplier_c, review.clarification, answer="Quarry.")
    with pytest.raises(ActionError):
        actions.decide_price_justification(officer, review, accept=True, reason=" ")
    assert h.refresh(review).status == PriceReview.Status.REQUESTED


def test_an_answer_one_second_before_the_deadline_is_taken(flagged, officer, supplier_c):
    tender, bids, clock = flagged
    review = ask_low(officer, tender, bids[2])
    clock.move_to(review.clarification.deadline - timedelta(seconds=1))
    answered = actions.answer_bid_clarification(supplier_c, review.clarification, answer="Quarry.")
    assert answered.status == BidClarification.Status.ANSWERED


def test_an_answer_one_second_after_the_deadline_is_refused(flagged, officer, supplier_c):
    tender, bids, clock = flagged
    review = ask_low(officer, tender, bids[2])
    clock.move_to(review.clarification.deadline + timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        actions.answer_bid_clarification(supplier_c, review.clarification, answer="Quarry.")
    assert refused.value.problems[0].code == "deadline_passed"
    assert h.refresh(review.clarification).answer == ""


def test_a_clarification_never_changes_the_bid(flagged, officer, supplier_a):
    from bidding import opened

    tender, bids, _clock = flagged
    before = (opened.prices(bids[0]), list(bids[0].envelopes.values_list("sha256", flat=True)))
    asked = actions.ask_bidder(officer, tender, bids[0], question="Which asphalt mix?", deadline=h.now() + timedelta(days=1))
    actions.answer_bid_clarification(supplier_a, asked, answer="SMA 11, and the price is now 900.")
    assert (opened.prices(bids[0]), list(bids[0].envelopes.values_list("sha256", flat=True))) == before
