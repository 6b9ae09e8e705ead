"""Background work of the opening: at the deadline, at the end of the quorum window, and a sweep.

The closing of a tender (its own task at the deadline, or the closing sweep) queues the
opening in the closing's transaction (`bidding.receivers`), so a committed closing always has
its opening queued. Every task here is idempotent; the sweep picks up what a lost worker left:
closed tenders whose opening never ran, rounds left half-read, quorum windows that ended.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from bidding.models import Opening
from bidding.opening import open_tender, run_round
from bidding.shares import alert_quorum_missed
from tenders.models import Tender

logger = logging.getLogger(__name__)


def schedule_opening(tender: Tender) -> None:
    open_at_deadline.enqueue(tender.pk)


def schedule_quorum_check(opening) -> None:
    check_quorum.using(run_after=opening.quorum_deadline).enqueue(opening.pk)


def ensure_opening_sweep() -> None:
    if not DBTaskResult.objects.filter(task_path=sweep_openings.module_path, status=TaskResultStatus.READY).exists():
        sweep_openings.enqueue()


@task()
def open_at_deadline(tender_id: int) -> bool:
    return open_tender(tender_id) is not None


@task()
def check_quorum(opening_id: int) -> bool:
    return alert_quorum_missed(opening_id)


@task()
def sweep_openings() -> int:
    """Open closed tenders, resume running rounds, alert missed quorums; then queue the next sweep.

    One tender whose opening fails (logged with its traceback) never holds up the others, and
    the next sweep is queued whatever happens."""
    now = timezone.now()
    handled = 0

    def attempt(what: str, step, pk) -> None:
        nonlocal handled
        try:
            handled += bool(step(pk))
        except Exception:
            logger.exception("Opening sweep: %s %s failed; the next sweep tries again", what, pk)

    try:
        for pk in list(
            Tender.objects.filter(status=Tender.Status.CLOSED, submission_deadline__lte=now).values_list("pk", flat=True)[:1000]
        ):
            attempt("tender", lambda pk: open_tender(pk) is not None, pk)
        for pk in list(Opening.objects.filter(status=Opening.Status.RUNNING).values_list("pk", flat=True)[:1000]):
            attempt("round", lambda pk: run_round(pk) or True, pk)
        missed = Opening.objects.filter(status=Opening.Status.WAITING, quorum_deadline__lte=now, quorum_missed_at__isnull=True)
        for pk in list(missed.values_list("pk", flat=True)[:1000]):
            attempt("quorum check of round", alert_quorum_missed, pk)
    finally:
        if not DBTaskResult.objects.filter(task_path=sweep_openings.module_path, status=TaskResultStatus.READY).exists():
            sweep_openings.using(run_after=now + timedelta(seconds=settings.OPENING_SWEEP_SECONDS)).enqueue()
    return handled
