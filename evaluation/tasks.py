"""Background work of the award: confirmation at the standstill's end, automatic escalation of
unanswered challenges, and a sweep that catches any run that was missed.

Every task calls an action that locks its rows and re-checks the clock and the state, so a task
that runs early, late or twice does no harm.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from evaluation.models import Award, AwardNotice, Challenge


def schedule_confirmation(notice: AwardNotice) -> None:
    confirm_at_standstill_end.using(run_after=notice.standstill_ends_at).enqueue(notice.tender_id)
    ensure_award_sweep()


def schedule_escalation(challenge: Challenge) -> None:
    escalate_if_unanswered.using(run_after=challenge.answer_due_at).enqueue(challenge.pk)
    ensure_award_sweep()


def ensure_award_sweep() -> None:
    if not DBTaskResult.objects.filter(task_path=sweep_awards.module_path, status=TaskResultStatus.READY).exists():
        sweep_awards.enqueue()


@task()
def confirm_at_standstill_end(tender_id: int) -> int:
    from evaluation.actions import confirm_awards

    return len(confirm_awards(None, tender_id, quiet=True))


@task()
def escalate_if_unanswered(challenge_id: int) -> bool:
    from evaluation.actions import escalate_challenge

    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        return False
    return escalate_challenge(None, challenge).status == Challenge.Status.ESCALATED


@task()
def sweep_awards() -> dict:
    """Escalate overdue challenges, settle answers the challenger left unanswered, confirm awards whose standstill is over, then queue the next sweep."""
    from evaluation.actions import confirm_awards, escalate_overdue, settle_stale_answers

    now = timezone.now()
    escalated = escalate_overdue(now)
    settled = settle_stale_answers(now)
    due = set(Award.objects.filter(status=Award.Status.ACTIVE, standstill_ends_at__lte=now).values_list("tender_id", flat=True)[:500])
    confirmed = sum(len(confirm_awards(None, tender_id, quiet=True)) for tender_id in due)
    if not DBTaskResult.objects.filter(task_path=sweep_awards.module_path, status=TaskResultStatus.READY).exists():
        sweep_awards.using(run_after=now + timedelta(seconds=settings.TENDER_CLOSING_SWEEP_SECONDS)).enqueue()
    return {"escalated": escalated, "settled": settled, "confirmed": confirmed}
