"""Background work of contracts: cancelling contracts whose signing period ended unsigned.

The sweep calls an action that locks the contract and re-checks the clock and the state, so a
run that comes early, late or twice does no harm.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from contracts.models import Contract


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
