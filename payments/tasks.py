"""Background work of payments: returning bid deposits on time, and sending again the refunds
the gateway could not take.

`return_deposits` runs after each event that may make deposits due back (`payments.receivers`);
`sweep_payments` runs every `PAYMENTS_SWEEP_SECONDS` to catch what a missed run, an award
cancelled by a challenge or a gateway outage left. Both apply `payments.deposits`, which asks
each refund once, so a run that comes early, late or twice does no harm.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult


def schedule_returns(tender_id: int) -> None:
    return_deposits.enqueue(tender_id)


def ensure_payments_sweep() -> None:
    if not DBTaskResult.objects.filter(task_path=sweep_payments.module_path, status=TaskResultStatus.READY).exists():
        sweep_payments.enqueue()


@task()
def return_deposits(tender_id: int) -> dict:
    from payments.deposits import return_due_deposits

    return return_due_deposits(tender_id=tender_id)


@task()
def sweep_payments() -> dict:
    """Return every deposit due back, send again the refunds still waiting for the gateway, then queue the next sweep."""
    from payments.deposits import retry_refunds, return_due_deposits

    now = timezone.now()
    result = return_due_deposits(now=now) | {"resent": retry_refunds(now)}
    if not DBTaskResult.objects.filter(task_path=sweep_payments.module_path, status=TaskResultStatus.READY).exists():
        sweep_payments.using(run_after=now + timedelta(seconds=settings.PAYMENTS_SWEEP_SECONDS)).enqueue()
    return result
