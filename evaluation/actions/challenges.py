"""Challenges of an award during the standstill: lodged by a bidder, answered by the agency,
accepted or escalated to the review body, and upheld (the award is cancelled and the evaluation
re-opens) or dismissed (the award proceeds)."""

import hashlib
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding.models import Bid
from evaluation.actions.common import firm_members, lock, result_path, workspace_path
from evaluation.models import Award, AwardNotice, Challenge, ChallengeDocument
from evaluation.signals import award_notice_cancelled
from marketplace import audit, live
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Organisation, Role, User
from marketplace.notify import notify
from marketplace.timefmt import shown
from tenders.actions.common import buyer_officers, platform_language
from tenders.models import Tender

CHALLENGER_STATUSES = (Bid.Status.SUBMITTED, Bid.Status.REPLACED, Bid.Status.WITHDRAWN)
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def _review_officers() -> list[User]:
    return list(User.objects.with_membership(Role.REVIEW_OFFICER))


def _lock_challenge(challenge: Challenge) -> tuple[Tender, Challenge]:
    tender = lock(challenge.tender_id)
    return tender, Challenge.objects.select_for_update().select_related("notice", "organisation").get(pk=challenge.pk)


def lodge_challenge(
    user: User, organisation: Organisation, tender: Tender, *, grounds: str, documents: list[UploadedFile] = ()
) -> Challenge:
    """A bidder of the tender challenges its award notice, strictly before the standstill ends."""
    from evaluation.tasks import schedule_escalation

    with transaction.atomic():
        tender = lock(tender)
        now = timezone.now()
        bid = Bid.objects.filter(tender=tender, organisation=organisation).exclude(status__in=CHALLENGER_STATUSES).first()
        if bid is None:
            raise Forbidden(_("Only a firm whose bid was opened in this tender may challenge its award."), code="not_a_bidder")
        notice = tender.award_notices.filter(kind=AwardNotice.Kind.AWARD, status=AwardNotice.Status.PUBLISHED).order_by("-number").first()
        if notice is None:
            raise Conflict(_("There is no award in force to challenge."), code="no_award")
        if not notice.in_standstill_at(now):
            raise Conflict(
                _("The standstill ended at %(end)s: the award can no longer be challenged.") % {"end": shown(notice.standstill_ends_at)},
                code="standstill_over",
            )
        if not (grounds or "").strip():
            raise ActionError(_("State the grounds of the challenge."), code="required", field="grounds")
        if notice.challenges.open().filter(organisation=organisation).exists():
            # Also what a second click on the form's button meets: one open challenge per firm and notice.
            raise Conflict(
                _("Your firm's challenge of this award is still open: wait for its outcome; every ground belongs in it."),
                code="challenge_pending",
            )
        for document in documents:
            if document.size > MAX_DOCUMENT_BYTES:
                raise ActionError(_("%(name)s is larger than 10 MiB.") % {"name": document.name}, code="too_large", field="documents")
        challenge = Challenge.objects.create(
            tender=tender,
            notice=notice,
            bid=bid,
            organisation=organisation,
            lodged_by=user,
            grounds=grounds.strip(),
            lodged_at=now,
            answer_due_at=now + timedelta(days=tender.challenge_answer_days),
        )
        for document in documents:
            digest = hashlib.sha256()
            for chunk in document.chunks():
                digest.update(chunk)
            document.seek(0)
            ChallengeDocument.objects.create(
                challenge=challenge, file=document, name=document.name[:255], size=document.size, sha256=digest.hexdigest()
            )
        audit.record(
            "challenge.lodged",
            actor=user,
            organisation=organisation,
            obj=challenge,
            payload={
                "tender": tender.pk,
                "notice": notice.pk,
                "grounds": challenge.grounds,
                "documents": list(challenge.documents.values_list("sha256", flat=True)),
                "answer_due_at": challenge.answer_due_at,
            },
            now=now,
        )
        with platform_language():
            notify(
                buyer_officers(tender),
                kind="challenge.lodged",
                title=lambda: (
                    _("%(reference)s: %(firm)s challenged the award") % {"reference": tender.reference, "firm": organisation.name}
                ),
                body=lambda: (
                    _("Answer before %(due)s; an unanswered challenge goes to the review body.") % {"due": shown(challenge.answer_due_at)}
                ),
                url=workspace_path(tender),
            )
        live.publish(
            f"tender.{tender.pk}.officers", "challenge.lodged", {"challenge": challenge.pk, "answer_due_at": challenge.answer_due_at}
        )
        live.publish(f"tender.{tender.pk}", "challenge.lodged", {"notice": notice.pk})
        schedule_escalation(challenge)
    return challenge


def answer_challenge(actor: User, challenge: Challenge, *, answer: str, decision: str) -> Challenge:
    """The agency's reasoned answer, within the answer period, proposing to uphold or dismiss."""
    with transaction.atomic():
        tender, challenge = _lock_challenge(challenge)
        now = timezone.now()
        if challenge.status != Challenge.Status.LODGED:
            raise Conflict(_("This challenge was already answered or escalated."), code="not_lodged")
        if challenge.answer_overdue_at(now):
            raise Conflict(
                _("The answer period ended at %(due)s: the challenge goes to the review body.") % {"due": shown(challenge.answer_due_at)},
                code="answer_overdue",
            )
        if not (answer or "").strip():
            raise ActionError(_("Write the answer."), code="required", field="answer")
        if decision not in Challenge.Decision.values:
            raise ActionError(_("Choose whether the agency upholds or dismisses the challenge."), code="invalid", field="decision")
        challenge.record_answer()
        challenge.answer, challenge.agency_decision, challenge.answered_by, challenge.answered_at = answer.strip(), decision, actor, now
        challenge.save(update_fields=["status", "answer", "agency_decision", "answered_by", "answered_at"])
        audit.record(
            "challenge.answered",
            actor=actor,
            organisation=tender.buyer,
            obj=challenge,
            payload={"answer": challenge.answer, "decision": decision},
            now=now,
        )
        with platform_language():
            notify(
                firm_members(challenge.organisation_id),
                kind="challenge.answered",
                title=lambda: _("%(reference)s: the agency answered your challenge") % {"reference": tender.reference},
                body=lambda: _("Accept the answer, or escalate the challenge to the review body."),
                url=result_path(tender),
                organisation=challenge.organisation,
            )
    return challenge


def accept_answer(user: User, challenge: Challenge) -> Challenge:
    """The challenger accepts the agency's answer: its proposal (uphold or dismiss) takes effect."""
    with transaction.atomic():
        tender, challenge = _lock_challenge(challenge)
        if challenge.status != Challenge.Status.ANSWERED:
            raise Conflict(_("Only an answered challenge can be accepted."), code="not_answered")
        return _decide(
            user,
            tender,
            challenge,
            uphold=challenge.agency_decision == Challenge.Decision.UPHOLD,
            reason=challenge.answer,
            now=timezone.now(),
            by="challenger",
        )


def escalate_challenge(user: User | None, challenge: Challenge, *, reason: str = "", now: datetime | None = None) -> Challenge:
    """To the review body: by the challenger after an answer, or automatically when the agency did
    not answer in time (user None)."""
    with transaction.atomic():
        tender, challenge = _lock_challenge(challenge)
        now = now or timezone.now()
        if user is None:
            if not challenge.answer_overdue_at(now):
                return challenge
        elif challenge.status != Challenge.Status.ANSWERED:
            raise Conflict(_("A challenge is escalated after the agency's answer (or automatically without one)."), code="not_answered")
        elif challenge.answer_stands_at(now, tender.challenge_answer_days):
            raise Conflict(
                _("The agency's answer stands: it was not escalated within %(days)s days.") % {"days": tender.challenge_answer_days},
                code="response_period_over",
            )
        elif not (reason or "").strip():
            raise ActionError(_("Say why the answer does not satisfy you."), code="required", field="reason")
        challenge.escalate()
        challenge.escalated_at = now
        challenge.escalation_reason = (
            reason.strip() if user else _("The agency did not answer within %(days)s days.") % {"days": tender.challenge_answer_days}
        )
        challenge.save(update_fields=["status", "escalated_at", "escalation_reason"])
        audit.record(
            "challenge.escalated",
            actor=user,
            organisation=challenge.organisation if user else tender.buyer,
            obj=challenge,
            payload={"reason": challenge.escalation_reason, "automatic": user is None},
            now=now,
        )
        with platform_language():
            # Each recipient is linked to where they can act on it: the review desk, the
            # agency's evaluation workspace, the challenger's result page.
            for recipients, url in (
                (_review_officers(), reverse("tenders:reviews")),
                (buyer_officers(tender), workspace_path(tender)),
                (firm_members(challenge.organisation_id), result_path(tender)),
            ):
                notify(
                    recipients,
                    kind="challenge.escalated",
                    title=lambda: _("%(reference)s: a challenge was escalated to the review body") % {"reference": tender.reference},
                    body=challenge.escalation_reason,
                    url=url,
                )
    return challenge


def decide_challenge(reviewer: User, challenge: Challenge, *, uphold: bool, reason: str) -> Challenge:
    """The review officer's final decision on an escalated challenge."""
    with transaction.atomic():
        tender, challenge = _lock_challenge(challenge)
        if challenge.status != Challenge.Status.ESCALATED:
            raise Conflict(_("Only an escalated challenge is decided by the review body."), code="not_escalated")
        if not (reason or "").strip():
            raise ActionError(_("Give the reasons for the decision."), code="required", field="reason")
        return _decide(reviewer, tender, challenge, uphold=uphold, reason=reason.strip(), now=timezone.now(), by="review_body")


def _decide(actor: User, tender: Tender, challenge: Challenge, *, uphold: bool, reason: str, now: datetime, by: str) -> Challenge:
    challenge.uphold() if uphold else challenge.dismiss()
    challenge.decision_reason, challenge.decided_by, challenge.decided_at = reason, actor, now
    challenge.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    audit.record(
        f"challenge.{challenge.status}",
        actor=actor,
        organisation=tender.buyer,
        obj=challenge,
        payload={"reason": reason, "by": by},
        now=now,
    )
    if uphold:
        _cancel_award(actor, tender, challenge, now)
    live.publish(f"tender.{tender.pk}", f"challenge.{challenge.status}", {"notice": challenge.notice_id, "status": tender.status})
    with platform_language():
        for recipients, url in (
            (firm_members(challenge.organisation_id), result_path(tender)),
            (buyer_officers(tender), workspace_path(tender)),
        ):
            notify(
                recipients,
                kind=f"challenge.{challenge.status}",
                title=(_("%(reference)s: the challenge was upheld") if uphold else _("%(reference)s: the challenge was dismissed"))
                % {"reference": tender.reference},
                body=reason,
                url=url,
            )
    if not uphold:
        # The award proceeds: if the standstill is already over and nothing else is open, confirm now.
        transaction.on_commit(lambda: _confirm_if_due(tender.pk))
    return challenge


def _confirm_if_due(tender_id: int) -> None:
    from evaluation.actions.award import confirm_awards

    confirm_awards(None, tender_id, quiet=True)


def _cancel_award(actor: User, tender: Tender, challenge: Challenge, now: datetime) -> None:
    """Upheld: the notice and its awards are cancelled and the tender goes back to evaluation."""
    notice = AwardNotice.objects.select_for_update().get(pk=challenge.notice_id)
    if notice.status == AwardNotice.Status.PUBLISHED:
        notice.cancel()
        notice.cancelled_at, notice.cancellation_reason = now, _("Challenge upheld: %(reason)s") % {"reason": challenge.decision_reason}
        notice.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
        audit.record(
            "award_notice.cancelled", actor=actor, organisation=tender.buyer, obj=notice, payload={"challenge": challenge.pk}, now=now
        )
    for award in Award.objects.select_for_update().filter(notice=notice, status=Award.Status.ACTIVE).select_related("lot"):
        award.cancel()
        award.cancelled_at = now
        award.save(update_fields=["status", "cancelled_at"])
        audit.record("award.cancelled", actor=actor, organisation=tender.buyer, obj=award, payload={"challenge": challenge.pk}, now=now)
        if award.supplier_id != challenge.organisation_id:
            with platform_language():
                notify(
                    firm_members(award.supplier_id),
                    kind="award.cancelled",
                    title=lambda: _("%(reference)s: your award was cancelled after a challenge") % {"reference": tender.reference},
                    body=lambda award=award: (
                        _(
                            "Lot %(lot)s: the review upheld a challenge (%(reason)s). The tender goes back to evaluation; a new award notice will follow."
                        )
                        % {"lot": award.lot.number, "reason": challenge.decision_reason}
                    ),
                    url=result_path(tender),
                )
    if tender.status == Tender.Status.AWARDED:
        tender.reopen_evaluation()
        tender.save(update_fields=["status", "updated_at"])
        audit.record(
            "tender.evaluation_reopened", actor=actor, organisation=tender.buyer, obj=tender, payload={"challenge": challenge.pk}, now=now
        )
    award_notice_cancelled.send(sender=AwardNotice, notice=notice, tender=tender, actor=actor, now=now)
    live.publish(
        "public", "award.cancelled", {"notice": notice.pk, "reference": tender.reference, "url": reverse("awards:detail", args=[notice.pk])}
    )


def escalate_overdue(now: datetime) -> int:
    """Sweep: every challenge left unanswered past its answer deadline goes to the review body."""
    due = list(Challenge.objects.filter(status=Challenge.Status.LODGED, answer_due_at__lte=now).order_by("answer_due_at")[:500])
    for challenge in due:
        escalate_challenge(None, challenge, now=now)
    return len(due)


def settle_stale_answers(now: datetime) -> int:
    """Sweep: a challenger who neither accepts the agency's answer nor escalates within the answer
    period (`challenge_answer_days` again, counted from the answer) is taken to accept it, so an
    award is never held up by silence."""
    settled = 0
    for challenge in Challenge.objects.filter(status=Challenge.Status.ANSWERED).select_related("tender").order_by("answered_at")[:500]:
        if not challenge.answer_stands_at(now, challenge.tender.challenge_answer_days):
            continue
        with transaction.atomic():
            tender, challenge = _lock_challenge(challenge)
            if challenge.status != Challenge.Status.ANSWERED:
                continue
            uphold = challenge.agency_decision == Challenge.Decision.UPHOLD
            _decide(None, tender, challenge, uphold=uphold, reason=challenge.answer, now=now, by="no_response")
            settled += 1
    return settled
