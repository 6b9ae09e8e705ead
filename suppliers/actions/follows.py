"""What a firm follows (categories, buyers, keyword searches) and the alerts it then receives."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from marketplace import audit, live
from marketplace.errors import ActionError
from marketplace.models import Organisation, User
from marketplace.notify import notify
from suppliers import cpv
from suppliers.actions.common import lock_supplier, members_of
from suppliers.models import Follow, Supplier, TenderAlert

MAX_FOLLOWS = 200
MAX_WORDS = 10


def _target(kind: str, category: str, buyer: Organisation | None, keywords: str) -> dict:
    if kind == Follow.Kind.CATEGORY:
        if not cpv.exists(category or ""):
            raise ActionError(_("%(code)s is not a CPV 2008 code.") % {"code": category or "—"}, code="unknown_cpv", field="category")
        return {"category": cpv.normalise(category)}
    if kind == Follow.Kind.BUYER:
        if buyer is None or buyer.kind != Organisation.Kind.AGENCY:
            raise ActionError(_("Choose a contracting agency."), code="not_an_agency", field="buyer")
        return {"buyer": buyer}
    if kind == Follow.Kind.KEYWORDS:
        words = (keywords or "").casefold().split()
        if not words:
            raise ActionError(_("Enter one or more words to look for."), code="required", field="keywords")
        if len(words) > MAX_WORDS or len(" ".join(words)) > 200:
            raise ActionError(_("A search has at most ten words."), code="too_long", field="keywords")
        return {"keywords": " ".join(words)}
    raise ActionError(_("Choose what to follow."), code="invalid_kind", field="kind")


@transaction.atomic
def add_follow(
    actor: User, supplier: Supplier, *, kind: str, category: str = "", buyer: Organisation | None = None, keywords: str = ""
) -> Follow:
    target = _target(kind, category, buyer, keywords)
    supplier = lock_supplier(supplier)
    if supplier.follows.count() >= MAX_FOLLOWS:
        raise ActionError(_("A firm follows at most %(n)s things: remove some first.") % {"n": MAX_FOLLOWS}, code="too_many")
    try:
        with transaction.atomic():
            follow = Follow.objects.create(supplier=supplier, kind=kind, created_by=actor, **target)
    except IntegrityError:
        raise ActionError(_("Your firm already follows this."), code="already_following", field=next(iter(target))) from None
    audit.record(
        "follow.added", actor=actor, organisation=supplier.organisation, obj=follow, payload={"kind": kind, "target": follow.describe()}
    )
    return follow


@transaction.atomic
def remove_follow(actor: User, follow: Follow) -> None:
    supplier = lock_supplier(follow.supplier_id)
    audit.record(
        "follow.removed",
        actor=actor,
        organisation=supplier.organisation,
        obj=follow,
        payload={"kind": follow.kind, "target": follow.describe()},
    )
    follow.delete()


def tender_link(tender) -> str:
    """The tender's public page, where the tenders app gives it one."""
    get_url = getattr(tender, "get_absolute_url", None)
    return get_url() if callable(get_url) else ""


@transaction.atomic
def alert_firm(supplier: Supplier, tender, follows: list[Follow], now: datetime | None = None) -> bool:
    """Tell the firm's members about a published tender matching its follows, once per firm and tender."""
    now = now or timezone.now()
    matched = [follow.describe() for follow in follows]
    _alert, created = TenderAlert.objects.get_or_create(
        tender=tender, organisation_id=supplier.organisation_id, defaults={"matched": matched, "sent_at": now}
    )
    if not created:
        return False
    deadline = formats.date_format(timezone.localtime(tender.submission_deadline), "DATETIME_FORMAT") if tender.submission_deadline else "—"
    title = _("New tender for %(firm)s: %(title)s") % {"firm": supplier.legal_name, "title": tender.title}
    body = _("%(reference)s by %(buyer)s, bids due %(deadline)s. It matches what your firm follows: %(matched)s.") % {
        "reference": tender.reference or "",
        "buyer": tender.buyer.name,
        "deadline": deadline,
        "matched": "; ".join(matched),
    }
    url = tender_link(tender)
    notify(members_of(supplier.organisation_id), kind="tender.alert", title=title, body=body, url=url, organisation=supplier.organisation)
    live.publish(
        f"org.{supplier.organisation_id}",
        "tender.alert",
        {"tender": tender.pk, "reference": tender.reference, "title": tender.title, "url": url, "matched": matched},
    )
    return True
