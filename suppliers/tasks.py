"""Background work of the supplier registry."""

from django_tasks import task


@task()
def alert_followers(tender_id: int) -> int:
    """Notify the members of every firm whose follows match the published tender.

    Returns the number of firms alerted.
    """
    return 0
