"""Qualification of the opened bids, and the financial round of two-envelope tenders."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding.models import Bid
from evaluation.actions.common import lock, lock_bid, require_evaluating
from evaluation.models import QualificationCheck
from evaluation.standing import evaluated_bids, requirements
from marketplace import access, audit, live
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import User
from tenders.models import EnvelopeMode, Tender


def qualify_bid(actor: User, tender: Tender, bid: Bid | str, checks: dict[str, tuple[bool, str]], *, reconsider: bool = False) -> Bid:
    """Judge one opened bid against every eligibility requirement, each pass or fail with its
    reason. All passed: qualified; any failed: disqualified, with the failed reasons.

    With `reconsider` (the officer, e.g. after an upheld challenge) a bid already judged is judged
    again; on a weighted tender the evaluators' submissions re-open, since the bids to score changed."""
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        if not access.can(actor, "manage_evaluation" if reconsider else "qualify_bids", tender):
            raise Forbidden(_("Only the officers and evaluators who declared no conflict qualify bids."), code="not_cleared")
        bid = lock_bid(bid, tender)
        if reconsider:
            _check_reconsiderable(tender, bid)
        elif bid.status != Bid.Status.OPENED:
            raise Conflict(_("This bid was already %(status)s.") % {"status": bid.get_status_display().lower()}, code="already_decided")
        expected = requirements(tender)
        problems = []
        for key, label in expected:
            if key not in checks:
                problems.append(Problem(_("Judge “%(label)s”.") % {"label": label}, "required", f"checks.{key}"))
            elif not str(checks[key][1]).strip():
                problems.append(Problem(_("Give the reason for “%(label)s”.") % {"label": label}, "reason_required", f"checks.{key}"))
        problems += [
            Problem(_("Not a requirement of this tender."), "unknown_requirement", f"checks.{key}")
            for key in set(checks) - {k for k, _l in expected}
        ]
        if problems:
            raise ActionError(problems=problems)
        now = timezone.now()
        failed = []
        before = bid.status
        for key, label in expected:
            passed, reason = bool(checks[key][0]), str(checks[key][1]).strip()
            QualificationCheck.objects.update_or_create(
                bid=bid,
                requirement=key,
                defaults={"label": label, "passed": passed, "reason": reason, "decided_by": actor, "decided_at": now},
            )
            if not passed:
                failed.append(f"{label}: {reason}")
        if failed:
            if bid.status != Bid.Status.DISQUALIFIED:
                bid.disqualify()
            bid.status_reason = "\n".join(failed)
        else:
            if bid.status != Bid.Status.QUALIFIED:
                bid.qualify()
            bid.status_reason = ""
        bid.save(update_fields=["status", "status_reason"])
        if reconsider and before != bid.status:
            _reopen_scoring(actor, tender, now)
        audit.record(
            f"bid.{bid.status}",
            actor=actor,
            organisation=tender.buyer,
            obj=bid,
            payload={
                "tender": tender.pk,
                "reconsidered": reconsider,
                "checks": {k: {"passed": bool(v[0]), "reason": str(v[1]).strip()} for k, v in checks.items()},
            },
            now=now,
        )
        live.publish(f"tender.{tender.pk}.officers", "evaluation.qualification", {"bid": str(bid.pk), "status": bid.status})
    return bid


def _check_reconsiderable(tender: Tender, bid: Bid) -> None:
    if bid.status not in (Bid.Status.QUALIFIED, Bid.Status.DISQUALIFIED):
        raise Conflict(_("Only a bid already qualified or disqualified is reconsidered."), code="not_decided")
    if (
        tender.envelope_mode == EnvelopeMode.TWO
        and bid.status == Bid.Status.DISQUALIFIED
        and tender.openings.filter(round="financial").exists()
        and not bid.opening_lines.filter(opening__round="financial").exists()
    ):
        # The financial round opens once; a bid left out of it can no longer be priced.
        raise Conflict(_("The financial envelopes were opened without this bid: it can no longer be qualified."), code="financial_closed")


def _reopen_scoring(actor: User, tender: Tender, now) -> None:
    from evaluation.models import Evaluator

    submitted = Evaluator.objects.filter(tender=tender, scores_submitted_at__isnull=False)
    if tender.award_method == "weighted" and submitted.exists():
        submitted.update(scores_submitted_at=None)
        audit.record(
            "scores.reopened", actor=actor, organisation=tender.buyer, obj=tender, payload={"reason": "qualification reconsidered"}, now=now
        )


def open_financial_round(actor: User, tender: Tender):
    """Two envelopes: once every bid is qualified or disqualified, open the financial envelopes
    of the qualified bids only (the others are never opened)."""
    from bidding.opening import open_financial_envelopes

    tender = Tender.objects.select_related("buyer").get(pk=tender.pk)
    require_evaluating(tender)
    if tender.envelope_mode != EnvelopeMode.TWO:
        raise Conflict(_("This tender has a single envelope: its prices were opened with the bids."), code="single_envelope")
    bids = evaluated_bids(tender)
    if any(b.status == Bid.Status.OPENED for b in bids):
        raise Conflict(_("Qualify or disqualify every bid before the financial envelopes open."), code="qualification_incomplete")
    qualified = [b for b in bids if b.status == Bid.Status.QUALIFIED]
    if not qualified:
        raise Conflict(_("No bid passed the technical evaluation: the tender is unsuccessful."), code="none_qualified")
    return open_financial_envelopes(actor, tender, qualified)


def disqualify_rejected_financial_envelopes(opening) -> int:
    """After the financial round: a qualified bid whose financial envelope could not be read is
    disqualified with the reason the opening recorded."""
    count = 0
    with transaction.atomic():
        tender = lock(opening.tender_id)
        now = timezone.now()
        for line in opening.lines.filter(result="rejected").select_related("bid"):
            bid = lock_bid(line.bid, tender)
            if bid.status != Bid.Status.QUALIFIED:
                continue
            reason = _("Financial envelope rejected at the opening: %(reason)s") % {"reason": line.reason or line.reason_code}
            QualificationCheck.objects.update_or_create(
                bid=bid,
                requirement="financial_envelope",
                defaults={"label": _("Financial envelope readable and valid"), "passed": False, "reason": reason, "decided_at": now},
            )
            bid.disqualify()
            bid.status_reason = reason
            bid.save(update_fields=["status", "status_reason"])
            audit.record("bid.disqualified", organisation=tender.buyer, obj=bid, payload={"tender": tender.pk, "reason": reason}, now=now)
            count += 1
    return count
