"""The evaluation committee: starting the evaluation, naming evaluators, their declarations."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.actions.common import lock, require_evaluating, workspace_path
from evaluation.models import ConflictDeclaration, Evaluator
from evaluation.standing import committee_problems, evaluated_bids
from marketplace import audit, live
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Role, User
from marketplace.notify import notify
from tenders.actions.common import buyer_officers, platform_language
from tenders.models import Tender

COMMITTEE_ROLES = (Role.EVALUATOR, Role.PROCUREMENT_OFFICER)


def _check_members(tender: Tender, users: list[User]) -> None:
    for user in users:
        if not user.memberships.filter(organisation=tender.buyer_id, role__in=COMMITTEE_ROLES).exists():
            raise ActionError(
                _("%(name)s is not an evaluator or officer of %(agency)s.") % {"name": user, "agency": tender.buyer.name},
                code="not_agency_member",
                field="evaluators",
            )


def _appoint(actor: User, tender: Tender, user: User, now) -> Evaluator:
    seat = Evaluator.objects.create(tender=tender, user=user, appointed_by=actor, appointed_at=now)
    audit.record(
        "evaluator.appointed", actor=actor, organisation=tender.buyer, obj=seat, payload={"tender": tender.pk, "user": user.pk}, now=now
    )
    with platform_language():
        notify(
            [user],
            kind="evaluation.appointed",
            title=lambda: _("You are on the evaluation committee of %(reference)s") % {"reference": tender.reference},
            body=lambda: _("Declare any conflict of interest with the bidders before you see the opened bids."),
            url=workspace_path(tender),
        )
    return seat


def start_evaluation(actor: User, tender: Tender, evaluators: list[User]) -> Tender:
    """Move an opened tender into evaluation with its committee (at least one evaluator; an odd
    number of three or more where the tender requires a committee)."""
    evaluators = list({u.pk: u for u in evaluators}.values())
    with transaction.atomic():
        tender = lock(tender)
        if tender.status != Tender.Status.OPENED:
            raise Conflict(_("The evaluation starts once the opening is complete."), code="not_opened")
        problems = committee_problems(tender, evaluators)
        if problems:
            raise ActionError(problems=problems)
        _check_members(tender, evaluators)
        now = timezone.now()
        tender.start_evaluation()
        tender.save(update_fields=["status", "updated_at"])
        audit.record(
            "tender.evaluation_started",
            actor=actor,
            organisation=tender.buyer,
            obj=tender,
            payload={"evaluators": [u.pk for u in evaluators]},
            now=now,
        )
        for user in evaluators:
            _appoint(actor, tender, user, now)
        live.publish(f"tender.{tender.pk}", "evaluation.started", {"status": tender.status})
    return tender


def appoint_evaluator(actor: User, tender: Tender, user: User) -> Evaluator:
    """Add an evaluator, e.g. to replace one who declared a conflict."""
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        _check_members(tender, [user])
        if tender.evaluators.filter(user=user).exists():
            raise Conflict(_("%(name)s was already named for this tender.") % {"name": user}, code="already_named", field="evaluators")
        return _appoint(actor, tender, user, timezone.now())


def declare_interests(user: User, tender: Tender, *, conflicts: dict[str, str] | None = None, statement: str = "") -> Evaluator:
    """The evaluator's declaration about every bidder: no conflict, or a conflict (with the bids
    concerned and a statement), in which case the evaluator leaves the committee and the officers
    are asked to name a replacement. Stored per bidder and audited; made once."""
    conflicts = {str(k): v for k, v in (conflicts or {}).items()}
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        seat = Evaluator.objects.select_for_update().filter(tender=tender, user=user).first()
        if seat is None or seat.status == Evaluator.Status.CONFLICTED:
            raise Forbidden(_("You are not on this tender's evaluation committee."), code="not_evaluator")
        if seat.status != Evaluator.Status.APPOINTED:
            raise Conflict(_("You have already made your declaration."), code="already_declared")
        bids = evaluated_bids(tender)
        unknown = set(conflicts) - {str(b.pk) for b in bids}
        if unknown:
            raise ActionError(_("Declare conflicts only for bids of this tender."), code="unknown_bid", field="conflicts")
        if conflicts and not (statement.strip() or all(v.strip() for v in conflicts.values())):
            raise ActionError(_("Describe the conflict of interest."), code="required", field="statement")
        now = timezone.now()
        ConflictDeclaration.objects.bulk_create(
            [
                ConflictDeclaration(
                    evaluator=seat,
                    bid=bid,
                    conflict=str(bid.pk) in conflicts,
                    statement=(conflicts.get(str(bid.pk)) or statement).strip() if str(bid.pk) in conflicts else "",
                    declared_at=now,
                )
                for bid in bids
            ]
        )
        if conflicts:
            seat.withdraw_for_conflict()
        else:
            seat.clear()
        seat.declared_at = now
        seat.save(update_fields=["status", "declared_at"])
        audit.record(
            "evaluator.declared",
            actor=user,
            organisation=tender.buyer,
            obj=seat,
            payload={
                "tender": tender.pk,
                "bidders": [{"bid": str(b.pk), "supplier": b.organisation_id, "conflict": str(b.pk) in conflicts} for b in bids],
                "statement": statement.strip(),
            },
            now=now,
        )
        if conflicts:
            with platform_language():
                notify(
                    buyer_officers(tender),
                    kind="evaluation.conflict",
                    title=lambda: (
                        _("%(name)s declared a conflict of interest on %(reference)s") % {"name": user, "reference": tender.reference}
                    ),
                    body=lambda: _("Name another evaluator to replace them."),
                    url=workspace_path(tender),
                )
            live.publish(f"tender.{tender.pk}.officers", "evaluation.conflict", {"evaluator": seat.pk})
    return seat
