"""Background work of the supplier registry: the daily upkeep."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from suppliers.actions import end_expired_restrictions, send_licence_expiry_warnings

# The upkeep runs shortly after midnight, local time: licence dates are local calendar days.
UPKEEP_AT = time(0, 5)


def next_upkeep_after(now: datetime) -> datetime:
    local = timezone.localtime(now)
    run = timezone.make_aware(datetime.combine(local.date(), UPKEEP_AT), local.tzinfo)
    return run if run > now else timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), UPKEEP_AT), local.tzinfo)


def upkeep_is_pending() -> bool:
    return DBTaskResult.objects.filter(task_path=registry_upkeep.module_path, status=TaskResultStatus.READY).exists()


def ensure_registry_upkeep() -> None:
    """Queue the daily upkeep unless it already is; it then queues itself every day."""
    if not upkeep_is_pending():
        registry_upkeep.enqueue()


@task()
def registry_upkeep() -> dict:
    """Daily: warn of licences about to expire, end suspensions and debarments past their last
    day, then queue tomorrow's run."""
    now = timezone.now()
    report = {"warnings": send_licence_expiry_warnings(now), "restrictions_ended": end_expired_restrictions(now)}
    with transaction.atomic():
        # Two chains may exist for a moment (serve and a deployment both queued one): let one die out.
        if not upkeep_is_pending():
            registry_upkeep.using(run_after=next_upkeep_after(now)).enqueue()
    return report
