"""Each evaluator scores each qualified bid on each technical criterion, alone, then submits."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding.models import Bid
from evaluation.actions.common import lock, require_evaluating
from evaluation.models import Evaluator, Score
from evaluation.standing import QUALIFIED
from marketplace import audit, live
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import User
from tenders.models import AwardMethod, Tender


@dataclass(frozen=True)
class ScoreSpec:
    bid: str
    criterion: int
    value: Decimal | str
    comment: str = ""


def _cleared_seat(user: User, tender: Tender) -> Evaluator:
    seat = Evaluator.objects.select_for_update().filter(tender=tender, user=user).first()
    if seat is None or seat.status == Evaluator.Status.CONFLICTED:
        raise Forbidden(_("You are not on this tender's evaluation committee."), code="not_evaluator")
    if seat.status != Evaluator.Status.CLEARED:
        raise Forbidden(_("Declare any conflict of interest with the bidders before you score."), code="declaration_required")
    return seat


def record_scores(user: User, tender: Tender, scores: list[ScoreSpec]) -> list[Score]:
    """Store (or change, until submitted) the evaluator's own scores. Every value must lie
    within its criterion's range; one bad value refuses them all."""
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        if tender.award_method != AwardMethod.WEIGHTED:
            raise Conflict(_("This tender is awarded on the lowest price: there is nothing to score."), code="not_weighted")
        seat = _cleared_seat(user, tender)
        if seat.scores_submitted_at:
            raise Conflict(_("You have submitted your scores; they can no longer change."), code="already_submitted")
        criteria = {c.pk: c for c in tender.criteria.all()}
        bids = {str(b.pk): b for b in Bid.objects.filter(tender=tender, status__in=QUALIFIED)}
        problems, values = [], []
        for index, spec in enumerate(scores):
            criterion, bid = criteria.get(_int(spec.criterion)), bids.get(str(spec.bid))
            if criterion is None:
                problems.append(Problem(_("Not a criterion of this tender."), "unknown_criterion", f"scores.{index}.criterion"))
                continue
            if bid is None:
                problems.append(Problem(_("Not a qualified bid of this tender."), "unknown_bid", f"scores.{index}.bid"))
                continue
            value = _decimal(spec.value)
            if value is None or not (0 <= value <= criterion.max_score) or value != value.quantize(Decimal("0.01")):
                problems.append(
                    Problem(
                        _("Score “%(criterion)s” from 0 to %(max)s (at most two decimals).")
                        % {"criterion": criterion.name, "max": criterion.max_score},
                        "out_of_range",
                        f"scores.{index}.value",
                    )
                )
                continue
            values.append((bid, criterion, value, spec.comment.strip()))
        if not scores:
            problems.append(Problem(_("Send at least one score."), "required", "scores"))
        if problems:
            raise ActionError(problems=problems)
        now = timezone.now()
        stored = []
        for bid, criterion, value, comment in values:
            score, _created = Score.objects.update_or_create(
                evaluator=seat, bid=bid, criterion=criterion, defaults={"value": value, "comment": comment, "scored_at": now}
            )
            stored.append(score)
        audit.record(
            "scores.recorded",
            actor=user,
            organisation=tender.buyer,
            obj=seat,
            payload={"tender": tender.pk, "scores": [{"bid": str(b.pk), "criterion": c.pk, "value": v} for b, c, v, _c in values]},
            now=now,
        )
    return stored


def submit_scores(user: User, tender: Tender) -> Evaluator:
    """Seal the evaluator's scores: complete for every qualified bid and criterion, then final."""
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        seat = _cleared_seat(user, tender)
        if seat.scores_submitted_at:
            raise Conflict(_("You have already submitted your scores."), code="already_submitted")
        qualified = list(Bid.objects.filter(tender=tender, status__in=QUALIFIED).values_list("pk", flat=True))
        if not qualified:
            raise Conflict(_("No bid is qualified yet: there is nothing to score."), code="nothing_to_score")
        criteria = list(tender.criteria.values_list("pk", flat=True))
        scored = set(Score.objects.filter(evaluator=seat, bid__in=qualified).values_list("bid_id", "criterion_id"))
        missing = len(qualified) * len(criteria) - len(scored & {(b, c) for b in qualified for c in criteria})
        if missing:
            raise ActionError(
                _("%(n)s score(s) missing: score every qualified bid on every criterion.") % {"n": missing},
                code="incomplete",
                field="scores",
            )
        now = timezone.now()
        seat.scores_submitted_at = now
        seat.save(update_fields=["scores_submitted_at"])
        audit.record("scores.submitted", actor=user, organisation=tender.buyer, obj=seat, payload={"tender": tender.pk}, now=now)
        serving = tender.evaluators.exclude(status=Evaluator.Status.CONFLICTED)
        if not serving.filter(scores_submitted_at__isnull=True).exists():
            live.publish(f"tender.{tender.pk}.officers", "evaluation.scores_complete", {"tender": tender.pk})
    return seat


def visible_scores(user: User, tender: Tender, *, evaluator: Evaluator | None = None) -> list[Score]:
    """The scores the person may read: their own always; everyone's once every serving evaluator
    has submitted. Asking for another evaluator's scores earlier is refused."""
    serving = list(tender.evaluators.exclude(status=Evaluator.Status.CONFLICTED))
    complete = bool(serving) and all(e.scores_submitted_at for e in serving)
    own = next((e for e in serving if e.user_id == user.pk), None)
    scores = (
        Score.objects.filter(evaluator__in=serving)
        .select_related("evaluator__user", "criterion", "bid__organisation")
        .order_by("evaluator", "bid", "criterion__position")
    )
    if evaluator is not None and (own is None or evaluator.pk != own.pk) and not complete:
        raise Forbidden(_("Other evaluators' scores stay hidden until every evaluator has submitted."), code="scores_hidden")
    if evaluator is not None:
        return list(scores.filter(evaluator=evaluator))
    if complete:
        return list(scores)
    return list(scores.filter(evaluator=own)) if own else []


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _decimal(value) -> Decimal | None:
    if isinstance(value, float | bool):
        value = str(value) if isinstance(value, float) else None
    try:
        result = Decimal(str(value)) if value is not None else None
    except (InvalidOperation, ValueError):
        return None
    if result is None or not result.is_finite():
        return None
    return result.copy_abs() if result.is_zero() else result  # "-0" is a zero score, stored as 0
