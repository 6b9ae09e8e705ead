"""Alerts to suppliers following categories, buyers or keywords when a tender is published."""

from django.db import transaction
from django.dispatch import receiver

from tenders.signals import tender_published


@receiver(tender_published)
def announce_to_followers(sender, tender, **kwargs) -> None:
    from suppliers.tasks import alert_followers

    transaction.on_commit(lambda: alert_followers.enqueue(tender.pk))
