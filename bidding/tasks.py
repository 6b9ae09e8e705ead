"""Background work of the opening: at the deadline, at the end of the quorum window, and a sweep.

The closing of a tender (its own task at the deadline, or the closing sweep) queues the
opening in the closing's transaction (`bidding.receivers`), so a committed closing always has
its opening queued. Every task here is idempotent; the sweep picks up what a lost worker left:
closed tenders whose opening never ran, rounds left half-read, quorum windows that ended.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from tenders.models import Tender


def schedule_opening(tender: Tender) -> None:
    open_at_deadline.enqueue(tender.pk)


def schedule_quorum_check(opening) -> None:
    check_quorum.using(run_after=opening.quorum_deadline).enqueue(opening.pk)


def ensure_opening_sweep() -> None:
    if not DBTaskResult.objects.filter(task_path=sweep_openings.module_path, status=TaskResultStatus.READY).exists():
        sweep_openings.enqueue()


@task()
def open_at_deadline(tender_id: int) -> bool:
    from bidding.opening import open_tender

    return open_tender(tender_id) is not None


@task()
def check_quorum(opening_id: int) -> bool:
    from bidding.opening import alert_quorum_missed

    return alert_quorum_missed(opening_id)


@task()
def sweep_openings() -> int:
    """Open closed tenders, resume running rounds, alert missed quorums; then queue the next sweep."""
    from bidding.models import Opening
    from bidding.opening import alert_quorum_missed, open_tender, run_round

    now = timezone.now()
    due = Tender.objects.filter(status=Tender.Status.CLOSED, submission_deadline__lte=now).values_list("pk", flat=True)[:1000]
    handled = sum(open_tender(pk) is not None for pk in list(due))
    for opening_id in list(Opening.objects.filter(status=Opening.Status.RUNNING).values_list("pk", flat=True)[:1000]):
        run_round(opening_id)
        handled += 1
    missed = Opening.objects.filter(status=Opening.Status.WAITING, quorum_deadline__lte=now, quorum_missed_at__isnull=True)
    handled += sum(alert_quorum_missed(pk) for pk in list(missed.values_list("pk", flat=True)[:1000]))
    if not DBTaskResult.objects.filter(task_path=sweep_openings.module_path, status=TaskResultStatus.READY).exists():
        sweep_openings.using(run_after=now + timedelta(seconds=settings.OPENING_SWEEP_SECONDS)).enqueue()
    return handled
