"""Background work of the platform itself: the worker heartbeat, which also keeps every
recurring chain of `marketplace.periodic` alive and drains the chain journal, and the audit
chain's checkpoints."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from marketplace import audit, journal, periodic
from marketplace.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_is_pending() -> bool:
    return DBTaskResult.objects.filter(task_path=heartbeat.module_path, status=TaskResultStatus.READY).exists()


def ensure_heartbeat() -> None:
    """Make sure a heartbeat is queued; the chain then keeps itself going."""
    if not heartbeat_is_pending():
        heartbeat.enqueue()


@task(takes_context=True)
def heartbeat(context: TaskContext) -> str:
    """Proves a worker is alive: appends to the audit chain what the journal still holds (rows of
    a process that died before draining them: the beat bounds their delay), stamps the time,
    re-queues any recurring chain that broke, then queues the next beat."""
    try:
        moved = journal.drain()
    except Exception:  # the beat still proves the worker alive; the next one drains again
        logger.exception("heartbeat: could not drain the chain journal")
    else:
        if moved:
            logger.info("heartbeat: %s journal rows appended to the audit chain", moved)
    now = timezone.now()
    worker_id = context.task_result.worker_ids[-1] if context.task_result.worker_ids else "unknown"
    with transaction.atomic():
        beat, _ = WorkerHeartbeat.objects.select_for_update().get_or_create(worker_id=worker_id, defaults={"beat_at": now})
        beat.beat_at, beat.runs = now, beat.runs + 1
        beat.save(update_fields=["beat_at", "runs"])
        # Two chains may exist for a moment (a health check queued one too): let one die out.
        if not heartbeat_is_pending():
            heartbeat.using(run_after=now + timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS)).enqueue()
    periodic.ensure_all()
    return worker_id


def live_workers(now=None) -> list[WorkerHeartbeat]:
    """Workers that beat within three heartbeat periods (and at least 30 seconds)."""
    now = now or timezone.now()
    window = timedelta(seconds=max(3 * settings.WORKER_HEARTBEAT_SECONDS, 30))
    return list(WorkerHeartbeat.objects.filter(beat_at__gte=now - window).order_by("-beat_at"))


def journal_drain_is_pending() -> bool:
    return DBTaskResult.objects.filter(task_path=drain_journal.module_path, status=TaskResultStatus.READY).exists()


def ensure_journal_drain() -> None:
    if not journal_drain_is_pending():
        drain_journal.enqueue()


@task()
def drain_journal() -> int:
    """Append what the chain journal holds, when a busy request left it (`journal.drain_soon`)."""
    return journal.drain() or 0


def checkpoint_is_pending() -> bool:
    return DBTaskResult.objects.filter(task_path=audit_checkpoint.module_path, status=TaskResultStatus.READY).exists()


def ensure_audit_checkpoint() -> None:
    if not checkpoint_is_pending():
        audit_checkpoint.enqueue()


@task()
def audit_checkpoint() -> int | None:
    """Sign the chain head (when it moved since the last checkpoint), then queue the next run."""
    now = timezone.now()
    try:
        checkpoint = audit.take_checkpoint(now)
    except audit.CheckpointRefused as exc:
        # Never sign a chain that does not extend the last checkpoint; keep trying, loudly.
        logger.error("audit checkpoint refused: %s", exc)
        checkpoint = None
    if not checkpoint_is_pending():
        audit_checkpoint.using(run_after=now + timedelta(seconds=settings.AUDIT_CHECKPOINT_SECONDS)).enqueue()
    return checkpoint.length if checkpoint is not None else None
