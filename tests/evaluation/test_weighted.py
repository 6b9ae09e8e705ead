"""Weighted scoring on a two-envelope tender with lots, end to end with real sealed bids."""

from decimal import Decimal

import pytest

from bidding import opened
from bidding.models import Bid
from evaluation import actions
from evaluation.actions import ScoreSpec
from evaluation.models import Score
from evaluation.standing import standing
from marketplace import signing
from marketplace.errors import ActionError, Forbidden
from marketplace.models import AuditEvent
from tenders.models import EnvelopeMode, Tender
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db

CRITERIA = [("Quality plan", 25, 10), ("Delivery schedule", 15, 5)]
# Per bidder: (quality by evaluator 1, 2, 3), (delivery by each)
MARKS = {"a": ((7, 8, 9), (4, 4, 4)), "b": ((5, 6, 7), (3, 3, 3))}


@pytest.fixture
def opened_two_envelopes(officer, deadline, firms):
    tender = h.published(
        officer,
        deadline,
        envelope_mode=EnvelopeMode.TWO,
        lots=2,
        evaluation_committee_required=True,
        criteria=CRITERIA,
        **h.weighted_fields(60),
    )
    (ua, oa), (ub, ob), (uc, oc) = firms
    bids = {
        "a": h.bid(tender, ua, oa, {1: "1000.00", 2: "600.00"}),
        "b": h.bid(tender, ub, ob, {1: "800.00", 2: "520.00"}),
        "c": h.bid(tender, uc, oc, {1: "100.00", 2: "100.00"}),
    }
    with h.past(deadline) as clock:
        yield h.open_at_deadline(tender), bids, clock


@pytest.fixture
def committee(opened_two_envelopes, officer, evaluators):
    tender, bids, _clock = opened_two_envelopes
    actions.start_evaluation(officer, tender, evaluators)
    h.declare_clear(*evaluators, tender=tender)
    actions.qualify_bid(officer, tender, bids["a"], h.pass_all(tender))
    actions.qualify_bid(officer, tender, bids["b"], h.pass_all(tender))
    actions.qualify_bid(officer, tender, bids["c"], h.fail_documents(tender, "No quality plan."))
    return h.refresh(tender), bids


def score_all(tender, bids, evaluators, *, submit=True):
    quality, delivery = tender.criteria.order_by("position")
    for index, evaluator in enumerate(evaluators):
        specs = []
        for key in ("a", "b"):
            q, d = MARKS[key]
            specs += [ScoreSpec(str(bids[key].pk), quality.pk, q[index]), ScoreSpec(str(bids[key].pk), delivery.pk, d[index])]
        actions.record_scores(evaluator, tender, specs)
        if submit:
            actions.submit_scores(evaluator, tender)


def test_the_committee_must_be_odd_and_three_or_more(opened_two_envelopes, officer, evaluators):
    tender, _bids, _clock = opened_two_envelopes
    with pytest.raises(ActionError) as refused:
        actions.start_evaluation(officer, tender, evaluators[:2])
    assert refused.value.problems[0].code == "committee"
    assert h.refresh(tender).status == Tender.Status.OPENED


def test_only_the_qualified_bids_financial_envelopes_are_opened(committee, officer, evaluators):
    tender, bids = committee
    score_all(tender, bids, evaluators)
    actions.open_financial_round(officer, tender)
    assert opened.prices(bids["a"]) == {1: Decimal("1000.00"), 2: Decimal("600.00")}
    assert opened.line(bids["c"], "financial") is None and opened.prices(bids["c"]) == {}


def test_weighted_scoring_ranks_each_lot_and_breaks_ties_by_technical_score(committee, officer, evaluators):
    tender, bids = committee
    score_all(tender, bids, evaluators)
    actions.open_financial_round(officer, tender)
    report = actions.approve_report(officer, tender)
    notice = actions.award_tender(officer, tender)
    winners = {award.lot.number: award.bid_id for award in notice.awards.all()}
    assert winners == {1: bids["b"].pk, 2: bids["a"].pk}
    lot1, lot2 = report.content["lots"]
    # A: quality mean 8 → 8/10×25 = 20, delivery 4/5×15 = 12: technical 32. B: 15 + 9 = 24.
    assert [(r["supplier"]["name"], r["technical_score"], r["price_score"], r["total_score"]) for r in lot1["ranking"]] == [
        ("Beta Supplies Ltd", "24.0000", "60.0000", "84.0000"),
        ("Alpha Works Ltd", "32.0000", "48.0000", "80.0000"),
    ]
    # Lot 2: A 32 + 520/600×60 = 84 and B 24 + 60 = 84: equal totals, A has the higher technical score.
    assert [r["total_score"] for r in lot2["ranking"]] == ["84.0000", "84.0000"]
    assert lot2["ranking"][1]["tie_broken_by"] == "technical"
    assert report.content["method"]["formulas"][0].startswith("technical = Σ")
    assert len(report.content["scores"]) == 12
    assert signing.verify(notice.signature).valid and h.refresh(tender).status == Tender.Status.AWARDED


def test_a_score_outside_the_criterions_range_is_refused(committee, evaluators):
    tender, bids = committee
    quality = tender.criteria.get(position=1)
    with pytest.raises(ActionError) as refused:
        actions.record_scores(
            evaluators[0], tender, [ScoreSpec(str(bids["a"].pk), quality.pk, 7), ScoreSpec(str(bids["b"].pk), quality.pk, "10.5")]
        )
    assert [(p.code, p.field) for p in refused.value.problems] == [("out_of_range", "scores.1.value")]
    assert not Score.objects.exists()


def test_a_negative_zero_is_stored_as_a_zero_score(committee, evaluators):
    tender, bids = committee
    quality = tender.criteria.get(position=1)
    [score] = actions.record_scores(evaluators[0], tender, [ScoreSpec(str(bids["a"].pk), quality.pk, "-0.00")])
    # What the action returns and audits, not only what the database happens to normalise.
    assert not score.value.is_signed()
    assert [entry["value"] for entry in AuditEvent.objects.order_by("-seq").first().payload["scores"]] == ["0.00"]


def test_a_disqualified_bid_cannot_be_scored(committee, evaluators):
    tender, bids = committee
    with pytest.raises(ActionError) as refused:
        actions.record_scores(evaluators[0], tender, [ScoreSpec(str(bids["c"].pk), tender.criteria.first().pk, 5)])
    assert refused.value.problems[0].code == "unknown_bid"


def test_scoring_before_the_declaration_is_refused(opened_two_envelopes, officer, evaluators):
    tender, bids, _clock = opened_two_envelopes
    actions.start_evaluation(officer, tender, evaluators)
    with pytest.raises(Forbidden) as refused:
        actions.record_scores(evaluators[0], tender, [ScoreSpec(str(bids["a"].pk), tender.criteria.first().pk, 5)])
    assert refused.value.problems[0].code == "declaration_required"
    assert not Score.objects.exists()


def test_other_evaluators_scores_stay_hidden_until_all_have_submitted(committee, evaluators):
    tender, bids = committee
    first, second, _third = evaluators
    score_all(tender, bids, evaluators[:1])
    seat_of_first = tender.evaluators.get(user=first)
    with pytest.raises(Forbidden) as refused:
        actions.visible_scores(second, tender, evaluator=seat_of_first)
    assert refused.value.problems[0].code == "scores_hidden"
    assert actions.visible_scores(second, tender) == []
    assert len(actions.visible_scores(first, tender)) == 4


def test_every_score_is_visible_once_all_have_submitted(committee, evaluators):
    tender, bids = committee
    score_all(tender, bids, evaluators)
    seat_of_first = tender.evaluators.get(user=evaluators[0])
    assert len(actions.visible_scores(evaluators[1], tender, evaluator=seat_of_first)) == 4
    assert len(actions.visible_scores(evaluators[2], tender)) == 12


def test_submitted_scores_no_longer_change(committee, evaluators):
    tender, bids = committee
    score_all(tender, bids, evaluators[:1])
    with pytest.raises(ActionError) as refused:
        actions.record_scores(evaluators[0], tender, [ScoreSpec(str(bids["a"].pk), tender.criteria.first().pk, 1)])
    assert refused.value.problems[0].code == "already_submitted"


def test_the_financial_envelopes_wait_for_every_qualification(opened_two_envelopes, officer, evaluators):
    tender, bids, _clock = opened_two_envelopes
    actions.start_evaluation(officer, tender, evaluators)
    h.declare_clear(*evaluators, tender=tender)
    actions.qualify_bid(officer, tender, bids["a"], h.pass_all(tender))
    with pytest.raises(ActionError) as refused:
        actions.open_financial_round(officer, tender)
    assert refused.value.problems[0].code == "qualification_incomplete"
    assert opened.prices(bids["a"]) == {} and Bid.objects.get(pk=bids["b"].pk).status == Bid.Status.OPENED


def test_an_evaluator_who_declares_a_conflict_is_replaced(opened_two_envelopes, officer, evaluators, agency):
    from marketplace.models import Role
    from tests import factories

    tender, bids, _clock = opened_two_envelopes
    actions.start_evaluation(officer, tender, evaluators)
    seat = actions.declare_interests(evaluators[0], tender, conflicts={str(bids["b"].pk): "My brother runs Beta Supplies."})
    assert seat.status == "conflicted"
    h.declare_clear(*evaluators[1:], tender=tender)
    problems = {p.code for p in standing(h.refresh(tender)).problems}
    assert "committee" in problems
    replacement = factories.make_member(agency, Role.EVALUATOR, "replacement@mot.test")
    actions.appoint_evaluator(officer, tender, replacement)
    h.declare_clear(replacement, tender=tender)
    assert "committee" not in {p.code for p in standing(h.refresh(tender)).problems}
