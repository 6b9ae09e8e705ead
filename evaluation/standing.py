"""Where a tender's evaluation stands, computed from the stored data: who qualified, the means
and scores, the abnormally low prices, the ranking per lot, and what still stops the award.

Flags are computed, never stored: they always follow the current qualification. Only the
officer's decision on a flagged price (a PriceReview) is stored.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from bidding import opened
from bidding.models import Bid
from evaluation import scoring
from evaluation.models import Evaluator, PriceReview, QualificationCheck, Score
from marketplace.errors import Problem
from tenders.models import AwardMethod, EnvelopeMode, Lot, Tender

EVALUATED = (Bid.Status.OPENED, Bid.Status.QUALIFIED, Bid.Status.DISQUALIFIED, Bid.Status.AWARDED, Bid.Status.UNSUCCESSFUL)
QUALIFIED = (Bid.Status.QUALIFIED, Bid.Status.AWARDED, Bid.Status.UNSUCCESSFUL)


def evaluated_bids(tender: Tender) -> list[Bid]:
    """The bids read out at the opening (rejected ones are out of the evaluation), in order of receipt."""
    return list(Bid.objects.filter(tender=tender, status__in=EVALUATED).select_related("organisation").order_by("received_at", "pk"))


def requirements(tender: Tender) -> list[tuple[str, str]]:
    """The eligibility requirements every bid is judged against: its documents, then each licence."""
    found = [("documents", _("Documents complete and conforming to the tender"))]
    found += [(f"licence:{t.code}", _("Licence: %(name)s") % {"name": t.name}) for t in tender.required_licence_types.order_by("name")]
    return found


def committee_problems(tender: Tender, serving: list[Evaluator]) -> list[Problem]:
    if not serving:
        return [Problem(_("Name at least one evaluator."), "committee", "evaluators")]
    if tender.evaluation_committee_required and (len(serving) < 3 or len(serving) % 2 == 0):
        return [
            Problem(
                _("This tender requires an evaluation committee of an odd number of three or more evaluators (now %(n)s).")
                % {"n": len(serving)},
                "committee",
                "evaluators",
            )
        ]
    return []


@dataclass
class Flag:
    bid: Bid
    price: Decimal
    review: PriceReview | None

    @property
    def is_resolved(self) -> bool:
        return self.review is not None and self.review.is_resolved


@dataclass
class LotStanding:
    lot: Lot
    check: scoring.PriceCheck | None
    flags: list[Flag]
    ranking: list[scoring.Ranked]
    excluded: list[Bid]

    @property
    def winner(self) -> scoring.Ranked | None:
        return self.ranking[0] if self.ranking else None


@dataclass
class Standing:
    tender: Tender
    bids: list[Bid]
    evaluators: list[Evaluator]
    checks: dict[str, list[QualificationCheck]]
    prices: dict[str, dict[int, Decimal]]
    currency: str
    means: dict[str, dict[int, Decimal]] = field(default_factory=dict)  # bid → criterion → mean
    technical: dict[str, Decimal] = field(default_factory=dict)
    scores: list[Score] = field(default_factory=list)
    lots: list[LotStanding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def serving(self) -> list[Evaluator]:
        return [e for e in self.evaluators if e.is_serving]

    @property
    def scores_complete(self) -> bool:
        return bool(self.serving) and all(e.scores_submitted_at for e in self.serving)

    def bid(self, bid_id) -> Bid | None:
        return next((b for b in self.bids if str(b.pk) == str(bid_id)), None)

    def qualified(self) -> list[Bid]:
        return [b for b in self.bids if b.status in QUALIFIED]

    def rank_of(self, bid: Bid) -> dict[int, scoring.Ranked]:
        return {s.lot.number: r for s in self.lots for r in s.ranking if r.entry.bid_id == str(bid.pk)}

    def unresolved_flags(self) -> list[Flag]:
        return [f for s in self.lots for f in s.flags if not f.is_resolved]


def standing(tender: Tender) -> Standing:
    bids = evaluated_bids(tender)
    evaluators = list(tender.evaluators.select_related("user").order_by("appointed_at", "pk"))
    checks: dict[str, list[QualificationCheck]] = defaultdict(list)
    for check in QualificationCheck.objects.filter(bid__in=bids).order_by("pk"):
        checks[str(check.bid_id)].append(check)
    qualified = [b for b in bids if b.status in QUALIFIED]
    prices = {str(b.pk): opened.prices(b) for b in bids}
    currency = next((c for c in (opened.currency(b) for b in qualified) if c), tender.currency)
    result = Standing(tender, bids, evaluators, dict(checks), prices, currency)
    result.problems += committee_problems(tender, result.serving)
    if any(e.status == Evaluator.Status.APPOINTED for e in result.serving):
        result.problems.append(Problem(_("Every evaluator must first declare any conflict of interest."), "declarations", "evaluators"))
    undecided = [b for b in bids if b.status == Bid.Status.OPENED]
    if undecided:
        result.problems.append(
            Problem(_("%(n)s bid(s) still to qualify or disqualify.") % {"n": len(undecided)}, "qualification", "qualification")
        )
    if (
        tender.envelope_mode == EnvelopeMode.TWO
        and qualified
        and not undecided
        and any(opened.line(b, "financial") is None for b in qualified)
    ):
        result.problems.append(Problem(_("Open the financial envelopes of the qualified bids."), "financial_not_opened", "financial"))
    weighted = tender.award_method == AwardMethod.WEIGHTED
    if weighted:
        _score(tender, result, qualified)
    reviews = {(str(r.bid_id), r.lot): r for r in PriceReview.objects.filter(bid__in=bids)}
    for lot in tender.lots.order_by("number"):
        result.lots.append(_lot_standing(tender, lot, qualified, prices, reviews, result.technical if weighted else None))
    unresolved = result.unresolved_flags()
    if unresolved:
        result.problems.append(
            Problem(
                _("%(n)s abnormally low price(s) to review: ask for a justification, then accept or reject it.") % {"n": len(unresolved)},
                "abnormally_low_unresolved",
                "price_reviews",
            )
        )
    return result


def _score(tender: Tender, result: Standing, qualified: list[Bid]) -> None:
    criteria = list(tender.criteria.order_by("position", "pk"))
    serving = result.serving
    result.scores = list(
        Score.objects.filter(evaluator__in=serving, bid__in=qualified).select_related("evaluator__user", "criterion").order_by("pk")
    )
    if not result.scores_complete:
        result.problems.append(Problem(_("Every evaluator must submit their scores."), "scores_incomplete", "scores"))
        return
    by_cell: dict[tuple[str, int], list] = defaultdict(list)
    for score in result.scores:
        by_cell[(str(score.bid_id), score.criterion_id)].append(score.value)
    weights = [scoring.CriterionWeight(c.pk, c.weight, c.max_score) for c in criteria]
    for bid in qualified:
        cells = {c.pk: by_cell.get((str(bid.pk), c.pk), []) for c in criteria}
        if any(len(values) != len(serving) for values in cells.values()):
            result.problems.append(
                Problem(_("Not every evaluator has scored every qualified bid on every criterion."), "scores_incomplete", "scores")
            )
            result.means, result.technical = {}, {}
            return
        result.means[str(bid.pk)] = {pk: scoring.mean(values) for pk, values in cells.items()}
        result.technical[str(bid.pk)] = scoring.technical_score(weights, result.means[str(bid.pk)])


def _lot_standing(tender, lot, qualified, prices, reviews, technical) -> LotStanding:
    competing = [b for b in qualified if lot.number in prices[str(b.pk)]]
    lot_prices = {str(b.pk): prices[str(b.pk)][lot.number] for b in competing}
    check = scoring.check_prices(lot_prices, tender.abnormally_low_percent)
    flags = [
        Flag(b, lot_prices[str(b.pk)], reviews.get((str(b.pk), lot.number))) for b in competing if check and str(b.pk) in check.flagged
    ]
    excluded = [f.bid for f in flags if f.review is not None and f.review.status == PriceReview.Status.REJECTED]
    entries = [
        scoring.Entry(str(b.pk), b.received_at, lot_prices[str(b.pk)], technical.get(str(b.pk)) if technical is not None else None)
        for b in competing
        if b not in excluded
    ]
    if technical is None:
        ranking = scoring.rank_lowest_price(entries)
    elif all(e.technical is not None for e in entries):
        ranking = scoring.rank_weighted(entries, tender.price_weight or 0)
    else:
        ranking = []
    return LotStanding(lot, check, flags, ranking, excluded)
