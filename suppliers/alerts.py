"""Alerts to suppliers following categories, buyers or keywords when a tender is published."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from suppliers import cpv
from suppliers.models import Follow, Supplier
from tenders.signals import tender_published


@receiver(tender_published)
def announce_to_followers(sender, tender, **kwargs) -> None:
    from suppliers.tasks import alert_followers

    transaction.on_commit(lambda: alert_followers.enqueue(tender.pk))


def tender_categories(tender) -> set[str]:
    """The tender's main category and the categories of its items."""
    return {tender.main_category, *tender.items.values_list("cpv", flat=True)} - {""}


def matching_followers(tender, now: datetime | None = None) -> dict[Supplier, list[Follow]]:
    """Every firm whose follows match the tender, with the follows that matched.

    A category matches when one of the tender's categories is that code or lies under it; a
    buyer when it published the tender; a keyword search when each of its words appears in
    the title or description. Firms debarred today are not alerted.
    """
    today = timezone.localdate(now or timezone.now())
    categories = tender_categories(tender)
    enclosing = {code for category in categories for code in cpv.enclosing_codes(category)}
    text = f"{tender.title}\n{tender.description}"
    candidates = (
        Follow.objects.filter(
            Q(kind=Follow.Kind.CATEGORY, category__in=enclosing)
            | Q(kind=Follow.Kind.BUYER, buyer_id=tender.buyer_id)
            | Q(kind=Follow.Kind.KEYWORDS)
        )
        .select_related("supplier__organisation", "buyer")
        .order_by("supplier_id", "kind", "pk")
    )
    matches: dict[Supplier, list[Follow]] = {}
    for follow in candidates:
        if follow.kind == Follow.Kind.KEYWORDS and not follow.matches_text(text):
            continue
        if follow.supplier.status == Supplier.Status.DEBARRED and follow.supplier.is_restricted_on(today):
            continue
        matches.setdefault(follow.supplier, []).append(follow)
    return matches
