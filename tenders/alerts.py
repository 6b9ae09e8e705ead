"""Alerts to supplier firms whose follows (categories, buyers, keywords) match a published tender.

The firms' follows are the supplier registry's; matching them to tenders and alerting is this
app's, so the registry knows nothing of tenders.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from marketplace import live
from marketplace.notify import notify
from marketplace.timefmt import shown
from suppliers import cpv
from suppliers.actions.common import members_of
from suppliers.models import Follow, Supplier
from tenders.actions.common import tender_path
from tenders.models import Tender, TenderAlert
from tenders.signals import tender_published


@receiver(tender_published, sender=Tender, dispatch_uid="tenders.alerts.tender_published")
def announce_to_followers(sender, tender, **kwargs) -> None:
    transaction.on_commit(lambda: alert_followers.enqueue(tender.pk))


def tender_categories(tender: Tender) -> set[str]:
    """The tender's main category and the categories of its items."""
    return {tender.main_category, *tender.items.values_list("cpv", flat=True)} - {""}


def matching_followers(tender: Tender, now: datetime | None = None) -> dict[Supplier, list[Follow]]:
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


@transaction.atomic
def alert_firm(supplier: Supplier, tender: Tender, follows: list[Follow], now: datetime | None = None) -> bool:
    """Tell the firm's members about a published tender matching its follows, once per firm and tender."""
    now = now or timezone.now()
    matched = [follow.describe() for follow in follows]
    _alert, created = TenderAlert.objects.get_or_create(
        tender=tender, organisation_id=supplier.organisation_id, defaults={"matched": matched, "sent_at": now}
    )
    if not created:
        return False

    def body() -> str:
        deadline = shown(tender.submission_deadline) if tender.submission_deadline else "—"
        return _("%(reference)s by %(buyer)s, bids due %(deadline)s. It matches what your firm follows: %(matched)s.") % {
            "reference": tender.reference or "",
            "buyer": tender.buyer.name,
            "deadline": deadline,
            "matched": "; ".join(matched),
        }

    url = tender_path(tender)
    notify(
        members_of(supplier.organisation_id),
        kind="tender.alert",
        title=lambda: _("New tender for %(firm)s: %(title)s") % {"firm": supplier.legal_name, "title": tender.title},
        body=body,
        url=url,
        organisation=supplier.organisation,
    )
    live.publish(
        f"org.{supplier.organisation_id}",
        "tender.alert",
        {"tender": tender.pk, "reference": tender.reference, "title": tender.title, "url": url, "matched": matched},
    )
    return True


@task()
def alert_followers(tender_id: int) -> int:
    """Notify the members of every firm whose follows match the published tender.

    Returns the number of firms alerted. Safe to run twice: each firm hears of a tender once.
    """
    tender = Tender.objects.select_related("buyer").filter(pk=tender_id).first()
    if tender is None or tender.status != Tender.Status.PUBLISHED:
        return 0
    now = timezone.now()
    return sum(alert_firm(supplier, tender, follows, now=now) for supplier, follows in matching_followers(tender, now).items())
