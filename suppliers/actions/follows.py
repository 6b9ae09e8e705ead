"""What a firm follows: categories, buyers, keyword searches (tenders alerts it to matching tenders)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketplace import audit
from marketplace.errors import ActionError
from marketplace.models import Organisation, User
from suppliers import cpv
from suppliers.actions.common import lock_supplier
from suppliers.models import Follow, Supplier

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
