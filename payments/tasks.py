"""Background work of payments: returning bid deposits on time, sending again the refunds the
gateway could not take, and paying invoices out to suppliers' Stripe accounts.

`return_deposits` runs after each event that may make deposits due back (`payments.receivers`);
`sweep_payments` runs every `PAYMENTS_SWEEP_SECONDS` to catch what a missed run, an award
cancelled by a challenge or a gateway outage left. Both apply `payments.deposits`, which asks
each refund once, so a run that comes early, late or twice does no harm. `make_transfer` runs
after an invoice settled through Stripe commits; it tries again itself a few times when Stripe
cannot be reached, and the sweep after that, always with the key `invoice:<id>:transfer`.
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


# A transfer Stripe could not take is tried again after 30 s, 1, 2 and 4 minutes; then by the sweep.
TRANSFER_RETRIES = 4


@task()
def make_transfer(invoice_id: int) -> dict:
    """The Transfer of a settled invoice to the supplier's connected account."""
    from payments.connect import send_transfer
    from payments.models import Invoice

    invoice = send_transfer(invoice_id)
    failed_again = invoice.transfer_status == Invoice.TransferStatus.FAILED and invoice.transfer_retryable
    if failed_again and invoice.transfer_attempts <= TRANSFER_RETRIES:
        delay = timedelta(seconds=30 * 2 ** (invoice.transfer_attempts - 1))
        make_transfer.using(run_after=timezone.now() + delay).enqueue(invoice_id)
    return {"invoice": invoice_id, "transfer": invoice.transfer_status, "attempts": invoice.transfer_attempts}


@task()
def sweep_payments() -> dict:
    """Return every deposit due back, send again the refunds and transfers still waiting for the gateway, then queue the next sweep."""
    from payments.connect import retry_transfers
    from payments.deposits import retry_refunds, return_due_deposits

    now = timezone.now()
    result = return_due_deposits(now=now) | {"resent": retry_refunds(now), "transferred": retry_transfers(now)}
    if not DBTaskResult.objects.filter(task_path=sweep_payments.module_path, status=TaskResultStatus.READY).exists():
        sweep_payments.using(run_after=now + timedelta(seconds=settings.PAYMENTS_SWEEP_SECONDS)).enqueue()
    return result
