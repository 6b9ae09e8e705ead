"""Background work of tenders: closing at the deadline, and a sweep for missed closings.

Closing is safe however often and by however many workers it runs (`close_tender` locks the
row and checks the state and the clock). Bids never depend on it: the submission action
checks the deadline itself, so a late or missed closing lets no late bid in.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from tenders.actions import close_tender
from tenders.models import Tender


def schedule_closing(tender: Tender) -> None:
    """Queue the closing for the tender's deadline (in the caller's transaction). Called at
    publication and again when an amendment moves the deadline; an earlier run finds the
    deadline not reached and does nothing."""
    close_at_deadline.using(run_after=tender.submission_deadline).enqueue(tender.pk)


def ensure_closing_sweep() -> None:
    if not DBTaskResult.objects.filter(task_path=sweep_deadlines.module_path, status=TaskResultStatus.READY).exists():
        sweep_deadlines.enqueue()


@task()
def close_at_deadline(tender_id: int) -> bool:
    return close_tender(tender_id)


@task()
def sweep_deadlines() -> int:
    """Close every published tender past its deadline whose closing did not run (a worker was
    down, a queue was lost), then queue the next sweep."""
    now = timezone.now()
    due = list(Tender.objects.past_deadline_not_closed(now).order_by("submission_deadline").values_list("pk", flat=True)[:1000])
    closed = sum(close_tender(pk) for pk in due)
    # Two sweeps may be queued for a moment (two publications at once): one of them dies out.
    if not DBTaskResult.objects.filter(task_path=sweep_deadlines.module_path, status=TaskResultStatus.READY).exists():
        sweep_deadlines.using(run_after=now + timedelta(seconds=settings.TENDER_CLOSING_SWEEP_SECONDS)).enqueue()
    return closed
