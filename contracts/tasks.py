"""Background work of contracts: cancelling contracts whose signing period ended unsigned, and
telling the parties of milestones overdue (daily).

Each sweep calls an action that locks the contract and re-checks the clock and the state, so a
run that comes early, late or twice does no harm.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from contracts.models import Contract, Milestone


def ensure_contract_sweep() -> None:
    if not DBTaskResult.objects.filter(task_path=sweep_contracts.module_path, status=TaskResultStatus.READY).exists():
        sweep_contracts.enqueue()


def overdue_contracts(now) -> list[int]:
    """Contracts still awaiting the supplier's signature after the signing deadline."""
    return list(
        Contract.objects.awaiting_signatures()
        .filter(signing_deadline__lte=now)
        .exclude(signatures__party=Contract.Party.SUPPLIER)
        .values_list("pk", flat=True)[:500]
    )


@task()
def sweep_contracts() -> dict:
    """Cancel the contracts whose signing period is over, then queue the next sweep."""
    from contracts.actions import expire_contract

    now = timezone.now()
    expired = sum(expire_contract(pk) for pk in overdue_contracts(now))
    if not DBTaskResult.objects.filter(task_path=sweep_contracts.module_path, status=TaskResultStatus.READY).exists():
        sweep_contracts.using(run_after=now + timedelta(seconds=settings.CONTRACT_SWEEP_SECONDS)).enqueue()
    return {"expired": expired}


def ensure_milestone_sweep() -> None:
    if not DBTaskResult.objects.filter(task_path=sweep_milestones.module_path, status=TaskResultStatus.READY).exists():
        sweep_milestones.enqueue()


def overdue_milestones(now) -> list[int]:
    from contracts.deliveries import local_date

    return list(Milestone.objects.overdue_unflagged(local_date(now)).order_by("due_date", "pk").values_list("pk", flat=True)[:500])


def next_local_midnight(now) -> datetime:
    """Just after the platform's next midnight, when the day's milestones fall overdue."""
    zone = timezone.get_default_timezone()
    tomorrow = timezone.localdate(now, zone) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0, 5), tzinfo=zone)


@task()
def sweep_milestones() -> dict:
    """Tell both parties of each milestone that fell overdue, then queue the next run for just
    after the next midnight (a run that found a full batch comes back at once for the rest)."""
    from contracts.deliveries import flag_overdue

    now = timezone.now()
    found = overdue_milestones(now)
    flagged = sum(flag_overdue(pk, now=now) for pk in found)
    if not DBTaskResult.objects.filter(task_path=sweep_milestones.module_path, status=TaskResultStatus.READY).exists():
        run_after = now if len(found) == 500 else next_local_midnight(now)
        sweep_milestones.using(run_after=run_after).enqueue()
    return {"flagged": flagged}
