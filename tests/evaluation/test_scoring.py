"""The arithmetic of the evaluation, on plain values."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation import scoring

EARLY = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATE = EARLY + timedelta(seconds=1)


def test_the_technical_score_is_each_mean_over_its_maximum_times_its_weight():
    criteria = [scoring.CriterionWeight(1, 25, 10), scoring.CriterionWeight(2, 15, 5)]
    assert scoring.technical_score(criteria, {1: D("8"), 2: D("4")}) == D("32.0000")


def test_full_marks_give_the_sum_of_the_weights():
    criteria = [scoring.CriterionWeight(1, 30, 10), scoring.CriterionWeight(2, 10, 3)]
    assert scoring.technical_score(criteria, {1: D(10), 2: D(3)}) == D("40.0000")


def test_the_mean_is_rounded_half_up_to_four_places():
    assert scoring.mean([D(7), D(8), D(8)]) == D("7.6667")


def test_the_lowest_price_gets_the_whole_price_weight():
    assert scoring.price_score(D("800"), D("800"), 60) == D("60.0000")
    assert scoring.price_score(D("800"), D("1000"), 60) == D("48.0000")


def test_lowest_price_ranks_by_price_then_receipt():
    ranked = scoring.rank_lowest_price(
        [scoring.Entry("late", LATE, D("100")), scoring.Entry("early", EARLY, D("100")), scoring.Entry("dear", EARLY, D("150"))]
    )
    assert [(r.entry.bid_id, r.rank, r.tie_broken_by) for r in ranked] == [("early", 1, ""), ("late", 2, "receipt"), ("dear", 3, "")]


def test_a_tie_on_total_goes_to_the_higher_technical_score():
    ranked = scoring.rank_weighted([scoring.Entry("cheap", EARLY, D("520"), D("24")), scoring.Entry("better", LATE, D("600"), D("32"))], 60)
    assert [(r.entry.bid_id, r.total, r.tie_broken_by) for r in ranked] == [
        ("better", D("84.0000"), ""),
        ("cheap", D("84.0000"), "technical"),
    ]


def test_a_tie_on_total_and_technical_goes_to_the_earlier_receipt():
    ranked = scoring.rank_weighted([scoring.Entry("late", LATE, D("500"), D("30")), scoring.Entry("early", EARLY, D("500"), D("30"))], 60)
    assert [(r.entry.bid_id, r.tie_broken_by) for r in ranked] == [("early", ""), ("late", "receipt")]


def test_a_price_strictly_under_the_threshold_is_flagged():
    check = scoring.check_prices({"a": D("1000"), "b": D("1000"), "c": D("500")}, 80)
    assert check.flagged == {"c"} and check.threshold == D("666.6667")


def test_a_price_at_the_threshold_is_not_flagged():
    # mean 100, threshold 80
    check = scoring.check_prices({"a": D("120"), "b": D("80")}, 80)
    assert check.threshold == D("80.0000") and check.flagged == frozenset()


def test_a_lone_price_is_never_abnormally_low():
    assert scoring.check_prices({"a": D("1")}, 80).flagged == frozenset()


@given(st.lists(st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2), min_size=1, max_size=8))
def test_price_scores_never_exceed_the_weight_and_the_lowest_gets_it_all(prices):
    lowest = min(prices)
    points = [scoring.price_score(lowest, price, 60) for price in prices]
    assert all(D(0) <= p <= D(60) for p in points) and max(points) == D("60.0000")


@pytest.mark.parametrize("percent", [0, 50, 80, 100])
def test_no_price_is_under_a_threshold_of_zero_and_the_mean_is_never_flagged(percent):
    check = scoring.check_prices({"a": D("100"), "b": D("100")}, percent)
    assert check.flagged == frozenset()


def test_a_price_of_zero_read_out_by_an_older_opening_is_scored_as_the_lowest():
    ranked = scoring.rank_weighted([scoring.Entry("free", LATE, D("0.00"), D("20")), scoring.Entry("paid", EARLY, D("100"), D("30"))], 60)
    assert [(r.entry.bid_id, r.price_score, r.total) for r in ranked] == [
        ("free", D("60.0000"), D("80.0000")),
        ("paid", D(0), D("30.0000")),
    ]


def test_two_prices_of_zero_share_the_whole_price_weight():
    assert scoring.price_score(D(0), D(0), 60) == D("60.0000")
