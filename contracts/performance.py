"""The supplier's performance of a contract (业绩评价): the facts the platform knows of it, the
buyer's rating once the contract is completed or terminated, the supplier's one answer, and
the firm's record across its rated contracts (shown on its public profile).

Lock order, as in `contracts.actions`: the contract, then its rating.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts import access as contract_access
from contracts.actions import announce, buyer_officers, contract_path, lock, supplier_members
from contracts.deliveries import local_date
from contracts.models import SCORE_FIELDS, SCORE_RANGE, Contract, Delivery, PerformanceRating
from marketplace import audit
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import User
from marketplace.notify import notify
from tenders.actions.common import platform_language

SCORE_LABELS = {"quality": gettext_lazy("Quality"), "timeliness": gettext_lazy("Timeliness"), "compliance": gettext_lazy("Compliance")}


# Facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneFacts:
    number: int
    description: str
    due_date: date
    delivered_on: date | None  # the day of the delivery that counts; none while undelivered
    days_late: int  # 0 when delivered by the due date
    rejected_deliveries: int

    @property
    def undelivered(self) -> bool:
        return self.delivered_on is None


@dataclass(frozen=True)
class PerformanceFacts:
    """What the platform itself recorded of the contract's performance, shown beside the rating."""

    milestones: list[MilestoneFacts]
    amendments: int = 0  # signed by both parties

    @property
    def rejected_deliveries(self) -> int:
        return sum(m.rejected_deliveries for m in self.milestones)

    @property
    def days_late(self) -> int:
        return sum(m.days_late for m in self.milestones)

    @property
    def late_milestones(self) -> int:
        return sum(1 for m in self.milestones if m.days_late)


def facts(contract: Contract, *, today: date | None = None) -> PerformanceFacts:
    """Per milestone, the days late and the rejected deliveries. The delivery that counts is the
    accepted one, or else one still awaiting the buyer's decision (the supplier delivered on that
    day). A milestone never delivered is late up to the day the contract ended, or up to `today`
    while it runs: after termination the supplier could not deliver any more."""
    ended_at = contract.completed_at or contract.terminated_at
    until = local_date(ended_at) if ended_at else (today or local_date(timezone.now()))
    rows = []
    for milestone in contract.milestones.prefetch_related("deliveries"):
        deliveries = list(milestone.deliveries.all())
        counted = next((d for d in deliveries if d.decision == Delivery.Decision.ACCEPTED), None) or next(
            (d for d in reversed(deliveries) if not d.decision), None
        )
        delivered_on = local_date(counted.delivered_at) if counted else None
        late = ((delivered_on or until) - milestone.due_date).days
        rows.append(
            MilestoneFacts(
                number=milestone.number,
                description=milestone.description,
                due_date=milestone.due_date,
                delivered_on=delivered_on,
                days_late=max(late, 0),
                rejected_deliveries=sum(1 for d in deliveries if d.decision == Delivery.Decision.REJECTED),
            )
        )
    return PerformanceFacts(rows, amendments=contract.amendments.in_force().count())


# Rating and answer ----------------------------------------------------------------------


def score_problems(scores: dict) -> list[Problem]:
    low, high = SCORE_RANGE
    return [
        Problem(_("Give a score from %(low)s to %(high)s.") % {"low": low, "high": high}, "invalid_score", name)
        for name in SCORE_FIELDS
        if not (isinstance(scores.get(name), int) and not isinstance(scores.get(name), bool) and low <= scores[name] <= high)
    ]


def rate_performance(
    actor: User, contract: Contract, *, quality: int, timeliness: int, compliance: int, comment: str = ""
) -> PerformanceRating:
    """The buyer's procurement officer rates the supplier's performance of a completed or
    terminated contract, once: quality, timeliness and compliance from 1 to 5, with a comment."""
    scores = {"quality": quality, "timeliness": timeliness, "compliance": compliance}
    if problems := score_problems(scores):
        raise ActionError(problems=problems)
    comment = (comment or "").strip()
    with transaction.atomic():
        contract = lock(contract)
        if not contract_access.rate_performance(actor, contract):
            raise Forbidden(_("Only the buyer's procurement officers rate the supplier's performance."), code="not_the_buyer")
        if contract.status not in Contract.FINISHED_STATUSES:
            raise Conflict(
                _("Only a completed or terminated contract can be rated; this one is %(status)s.")
                % {"status": contract.get_status_display()},
                code="not_finished",
            )
        # The contract's lock serialises raters: the second one finds the first one's rating.
        if PerformanceRating.objects.filter(contract=contract).exists():
            raise Conflict(_("The supplier's performance of this contract is already rated."), code="already_rated")
        now = timezone.now()
        rating = PerformanceRating.objects.create(contract=contract, comment=comment, rated_by=actor, rated_at=now, **scores)
        audit.record(
            "contract.rated", actor=actor, organisation=contract.buyer, obj=contract, payload=scores | {"comment": comment}, now=now
        )
        announce(contract, "contract.rated")
        with platform_language():
            notify(
                supplier_members(contract),
                kind="contract.rated",
                title=lambda: _("The buyer rated your performance of contract %(number)s") % {"number": contract.number},
                body=lambda: (
                    _("Quality %(quality)s, timeliness %(timeliness)s, compliance %(compliance)s (of 5). You may answer once.") % scores
                ),
                url=rating_path(contract),
                organisation=contract.supplier,
            )
    return rating


def answer_rating(actor: User, contract: Contract, *, answer: str) -> PerformanceRating:
    """The rated firm's administrator or bidder answers the buyer's rating, once."""
    answer = (answer or "").strip()
    if not answer:
        raise ActionError(_("Write your answer."), code="required", field="answer")
    with transaction.atomic():
        contract = lock(contract)
        if not contract_access.answer_rating(actor, contract):
            raise Forbidden(_("Only the rated firm answers the rating."), code="not_the_supplier")
        rating = PerformanceRating.objects.select_for_update().filter(contract=contract).first()
        if rating is None:
            raise Conflict(_("The buyer has not rated this contract yet."), code="not_rated")
        if rating.is_answered:
            raise Conflict(_("The firm has already answered this rating."), code="already_answered")
        now = timezone.now()
        rating.answer, rating.answered_by, rating.answered_at = answer, actor, now
        rating.save(update_fields=["answer", "answered_by", "answered_at"])
        audit.record(
            "contract.rating_answered", actor=actor, organisation=contract.supplier, obj=contract, payload={"answer": answer}, now=now
        )
        announce(contract, "contract.rating_answered")
        with platform_language():
            notify(
                buyer_officers(contract),
                kind="contract.rating_answered",
                title=lambda: _("The supplier answered the rating of contract %(number)s") % {"number": contract.number},
                body=answer,
                url=rating_path(contract),
                organisation=contract.buyer,
            )
    return rating


def rating_path(contract: Contract) -> str:
    return contract_path(contract) + "#rating"


# The firm's record ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreSummary:
    name: str
    label: str
    average: Decimal | None  # to two places; none before the first rating
    count: int


def score_summaries(ratings) -> list[ScoreSummary]:
    """The average and count of each score over `ratings` (a queryset), in exact decimals."""
    totals = ratings.aggregate(
        **{f"{name}_sum": Sum(name) for name in SCORE_FIELDS}, **{f"{name}_count": Count(name) for name in SCORE_FIELDS}
    )
    summaries = []
    for name in SCORE_FIELDS:
        count = totals[f"{name}_count"]
        average = (Decimal(totals[f"{name}_sum"]) / count).quantize(Decimal("0.01")) if count else None
        summaries.append(ScoreSummary(name, str(SCORE_LABELS[name]), average, count))
    return summaries


def supplier_record(organisation_id: int) -> dict:
    """The firm's rated contracts, newest first, and the average and count of each score."""
    ratings = PerformanceRating.objects.of_supplier(organisation_id)
    return {"ratings": list(ratings), "scores": score_summaries(ratings)}
