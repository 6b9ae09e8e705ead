"""Every evaluation path is total over what an opening can hand it.

Hypothesis draws opening outcomes (bids, lots, prices from the smallest positive amount to the
largest an envelope may hold, ties, disqualifications, both award methods, scores missing or not
submitted) and, for some bids, a price of zero as an opening before the zero-price rule read it
out. Each outcome goes through the real opening and then every evaluation path (standing, report,
price reviews, award, the API and the pages): a path may refuse with a rule, never raise.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bidding.models import OpeningLine
from evaluation import actions, report
from evaluation.actions import ScoreSpec
from evaluation.standing import standing
from marketplace.errors import ActionError
from tenders.models import AwardMethod, EnvelopeMode, Tender
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db

LARGEST = "9999999999999999.99"  # sixteen digits and the cents: the most an envelope's price may say
PRICES = st.one_of(
    st.sampled_from(["0.01", "0.02", "1.00", "100.00", "100.01", LARGEST]),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(LARGEST), places=2).map(str),
)
# (price weight, criteria (name, weight, highest score)): the weights add up to 100.
WEIGHTINGS = [(60, [("Quality", 30, 10), ("Delivery", 10, 5)]), (90, [("Quality", 10, 3)]), (20, [("Method", 80, 100)])]


@st.composite
def outcomes(draw):
    lots = draw(st.integers(1, 3))
    bidders = draw(st.integers(1, 3))
    bids = []
    for _ in range(bidders):
        chosen = draw(st.lists(st.integers(1, lots), min_size=1, max_size=lots, unique=True))
        bids.append(
            {
                "prices": {lot: draw(PRICES) for lot in sorted(chosen)},
                "qualified": draw(st.sampled_from([True, True, True, False])),
                "zero_from_an_older_opening": draw(st.sampled_from([False, False, True])),
            }
        )
    incomplete = draw(st.sampled_from([False, False, True]))  # scores left out or not submitted
    return {
        "method": draw(st.sampled_from([AwardMethod.LOWEST_PRICE, AwardMethod.WEIGHTED])),
        "envelopes": draw(st.sampled_from([EnvelopeMode.SINGLE, EnvelopeMode.TWO])),
        "weighting": draw(st.sampled_from(WEIGHTINGS)),
        "lots": lots,
        "bids": bids,
        # Per evaluator: whether they submit, and the scores they leave out (bid index, criterion index).
        "evaluators": [
            {"submits": draw(st.booleans()), "left_out": draw(st.sets(st.tuples(st.integers(0, 2), st.integers(0, 1)), max_size=2))}
            if incomplete
            else {"submits": True, "left_out": set()}
            for _ in range(3)
        ],
        "scores": draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)),
        "accept_justifications": draw(st.booleans()),
    }


def refused_or_done(call, *args, **kwargs):
    """Run an action; a refusal by the rules is an answer, anything else fails the test."""
    try:
        return call(*args, **kwargs)
    except ActionError:
        return None


def store_zero_prices(bids, plan) -> None:
    """What an opening before the zero-price rule could have read out: a price of 0.00."""
    for bid, drawn in zip(bids, plan, strict=True):
        if not drawn["zero_from_an_older_opening"]:
            continue
        line = OpeningLine.objects.filter(bid=bid, opening__round__in=("bid", "financial"), result="opened").first()
        if line is not None:
            line.content["lots"][0]["price"]["amount"] = "0.00"
            OpeningLine.objects.filter(pk=line.pk).update(content=line.content)


def score(tender, bids, evaluators, outcome) -> None:
    criteria = list(tender.criteria.order_by("position"))
    for index, (evaluator, drawn) in enumerate(zip(evaluators, outcome["evaluators"], strict=True)):
        specs = [
            ScoreSpec(str(bid.pk), criterion.pk, outcome["scores"][index] * criterion.max_score // 100)
            for b, bid in enumerate(bids)
            for c, criterion in enumerate(criteria)
            if (b, c) not in drawn["left_out"]
        ]
        refused_or_done(actions.record_scores, evaluator, tender, specs)
        if drawn["submits"]:
            refused_or_done(actions.submit_scores, evaluator, tender)


def review_flagged_prices(tender, officer, outcome) -> None:
    for lot in standing(tender).lots:
        for flag in lot.flags:
            deadline = timezone.now() + timedelta(days=2)
            review = refused_or_done(
                actions.request_price_justification,
                officer,
                tender,
                flag.bid,
                lot.lot.number,
                question="Explain the price.",
                deadline=deadline,
            )
            if review is not None:
                bidder = flag.bid.organisation.memberships.first().user
                refused_or_done(actions.answer_bid_clarification, bidder, review.clarification, answer="Our own quarry.")
                refused_or_done(
                    actions.decide_price_justification, officer, review, accept=outcome["accept_justifications"], reason="Read."
                )


def every_page_and_answer(client, api, tender, officer, evaluators) -> list[int]:
    """The answers of every page and API call that shows or acts on the evaluation."""
    base = f"/api/v1/tenders/{tender.pk}/evaluation"
    client.force_login(officer)
    answers = [
        api(officer).get(f"{base}/").status_code,
        api(evaluators[0]).get(f"{base}/").status_code,
        api(evaluators[0]).get(f"{base}/scores/").status_code,
        client.get(reverse("tenders:evaluation", args=[tender.pk])).status_code,
        api(officer).post(f"{base}/report/", format="json").status_code,
        api(officer).get(f"{base}/report/").status_code,
        api(officer).post(f"{base}/award/", {}, format="json").status_code,
        client.get(reverse("tenders:result", args=[tender.pk])).status_code,
        client.get(reverse("awards:list")).status_code,
        api(officer).get("/api/v1/awards/").status_code,
    ]
    for version in tender.evaluation_reports.values_list("version", flat=True):
        answers.append(client.get(reverse("tenders:evaluation-report", args=[tender.pk, version])).status_code)
    for notice in tender.award_notices.all():
        answers += [
            client.get(reverse("awards:detail", args=[notice.pk])).status_code,
            api(officer).get(f"/api/v1/awards/{notice.pk}/").status_code,
        ]
    return answers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(outcome=outcomes())
def test_no_evaluation_path_raises_on_any_opening_outcome(outcome, client, api_as, officer, evaluators, firms):
    weight, criteria = outcome["weighting"]
    weighted = outcome["method"] == AwardMethod.WEIGHTED
    with transaction.atomic():
        deadline = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
        tender = h.published(
            officer,
            deadline,
            envelope_mode=outcome["envelopes"],
            lots=outcome["lots"],
            criteria=criteria if weighted else (),
            **(h.weighted_fields(weight) if weighted else {}),
        )
        plan = outcome["bids"]
        bids = [h.bid(tender, user, organisation, drawn["prices"]) for (user, organisation), drawn in zip(firms, plan, strict=False)]
        with h.past(deadline):
            tender = h.open_at_deadline(tender)
            store_zero_prices(bids, plan)
            actions.start_evaluation(officer, tender, evaluators)
            h.declare_clear(*evaluators, tender=tender)
            for bid, drawn in zip(bids, plan, strict=False):
                checks = h.pass_all(tender) if drawn["qualified"] else h.fail_documents(tender)
                refused_or_done(actions.qualify_bid, officer, tender, bid, checks)
            if weighted:
                score(tender, bids, evaluators, outcome)
            if refused_or_done(actions.open_financial_round, officer, tender) is not None:
                store_zero_prices(bids, plan)
            review_flagged_prices(tender, officer, outcome)
            report.build_report(standing(tender))
            answers = every_page_and_answer(client, api_as, tender, officer, evaluators)
            event(f"tender {Tender.objects.get(pk=tender.pk).status}")
            event(f"zero price ranked: {any(r.entry.price == 0 for lot in standing(tender).lots for r in lot.ranking)}")
            assert all(answer < 500 for answer in answers), answers
            assert Tender.objects.get(pk=tender.pk).status in (Tender.Status.EVALUATING, Tender.Status.AWARDED, Tender.Status.UNSUCCESSFUL)
        transaction.set_rollback(True)
