"""May this organisation bid on this tender now? The registry's answer, with the reason.

Bidding asks `check_bidder()` under the tender lock at submission time, through its
`bid_eligibility_check` signal (the receiver is in `bidding.receivers`).
"""

from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import statements
from suppliers import cpv
from suppliers.models import Licence, LicenceRequirement, LicenceType, Supplier


def requirements_covering(categories: set[str]):
    """Requirements attached to any of these categories or to a category above one of them."""
    enclosing = {code for category in categories for code in cpv.enclosing_codes(category)}
    return LicenceRequirement.objects.filter(category__in=enclosing).select_related("licence_type")


def required_licence_types(tender, item_categories=None):
    """The tender's own requirements plus those attached to its categories (or above them).

    `item_categories`: the CPV codes of the tender's items, when the caller has read them.
    """
    if item_categories is None:
        item_categories = tender.items.values_list("cpv", flat=True)
    categories = {tender.main_category, *item_categories} - {"", None}
    enclosing = {code for category in categories for code in cpv.enclosing_codes(category)}
    return LicenceType.objects.filter(Q(required_by_tenders=tender) | Q(requirements__category__in=enclosing)).distinct()


def licences_needed_by(supplier: Supplier, today) -> list[dict]:
    """Licence types the firm's categories call for, with whether it holds a valid one today.

    A requirement counts when it covers one of the firm's categories, or sits under one of
    them (a firm supplying all of division 45 meets the permit required for 45200000 tenders).
    """
    codes = set(supplier.category_codes)
    if not codes:
        return []
    below = Q()
    for code in codes:
        below |= Q(category__startswith=cpv.significant_prefix(code))
    requirements = requirements_covering(codes) | LicenceRequirement.objects.filter(below).select_related("licence_type")
    held = set(supplier.licences.valid_on(today).values_list("licence_type_id", flat=True))
    needed: dict[int, dict] = {}
    for requirement in requirements.order_by("licence_type__name", "category"):
        entry = needed.setdefault(
            requirement.licence_type_id, {"type": requirement.licence_type, "categories": [], "held": requirement.licence_type_id in held}
        )
        entry["categories"].append(cpv.get(requirement.category) or requirement.category)
    return list(needed.values())


def _supplier_and_lacks_licence(organisation, tender, today, categories: set[str]) -> Supplier | None:
    """The firm's registry record, with `lacks_licence`: whether a licence type the tender needs
    (its own requirements, or those of a category enclosing one of its categories) has no
    licence of the firm valid today. One precompiled statement: it runs on every submission."""
    enclosing = sorted({code for category in categories for code in cpv.enclosing_codes(category)})
    table, tender_column, type_column = _required_by_tender(type(tender))
    required = f'SELECT r."{type_column}" AS type_id FROM "{table}" r WHERE r."{tender_column}" = %s'  # noqa: S608 (a model's own table)
    params: list = [tender.pk]
    if enclosing:
        required += f" UNION SELECT q.licence_type_id FROM {_REQUIREMENT} q WHERE q.category IN ({', '.join(['%s'] * len(enclosing))})"  # noqa: S608 (placeholders)
        params += enclosing
    day = connection.ops.adapt_datefield_value(today)
    sql = (
        f"SELECT {statements.column_list(Supplier)}, EXISTS (SELECT 1 FROM ({required}) needed WHERE NOT EXISTS ("  # noqa: S608 (models' own tables)
        f"SELECT 1 FROM {_LICENCE} l WHERE l.supplier_id = {_SUPPLIER}.id AND l.licence_type_id = needed.type_id"
        " AND l.status = %s AND l.valid_from <= %s AND (l.valid_to IS NULL OR l.valid_to >= %s)))"
        f" FROM {_SUPPLIER} WHERE {_SUPPLIER}.organisation_id = %s"
    )
    params += [Licence.Status.ACCEPTED, day, day, organisation.pk]
    found = statements.fetch(Supplier, sql, params, annotations=["lacks_licence"])
    return found[0] if found else None


@cache
def _required_by_tender(tender_model) -> tuple[str, str, str]:
    """The table of the tenders' own licence requirements, its tender and licence type columns."""
    field = tender_model._meta.get_field("required_licence_types")
    return field.remote_field.through._meta.db_table, field.m2m_column_name(), field.m2m_reverse_name()


_REQUIREMENT = f'"{LicenceRequirement._meta.db_table}"'
_LICENCE = f'"{Licence._meta.db_table}"'
_SUPPLIER = f'"{Supplier._meta.db_table}"'


def check_bidder(organisation, tender, now: datetime, *, item_categories=None) -> tuple[Supplier | None, str | None]:
    """The firm's registry record, and None when it may bid or else the reason, fit to show it.

    It runs on the submission path, under the tender lock: one query when the firm may bid and
    the caller passes the CPV codes of the tender's items (`item_categories`), two otherwise;
    naming the missing licences takes one more.
    """
    today = timezone.localdate(now)
    if item_categories is None:
        item_categories = tender.items.values_list("cpv", flat=True)
    categories = {tender.main_category, *item_categories} - {"", None}
    supplier = _supplier_and_lacks_licence(organisation, tender, today, categories)
    if supplier is None:
        return None, _("Your organisation is not registered as a supplier.")
    if supplier.is_restricted_on(today):
        if supplier.status == Supplier.Status.DEBARRED:
            return supplier, _("Your firm is debarred and may not bid.")
        return supplier, _("Your firm is suspended and may not bid.")
    if supplier.status not in (Supplier.Status.VERIFIED, Supplier.Status.SUSPENDED, Supplier.Status.DEBARRED):
        return supplier, _("Your firm's registration has not been verified yet.")
    if supplier.lacks_licence:
        held = Licence.objects.valid_on(today).filter(supplier__organisation=organisation).values("licence_type_id")
        missing = sorted(required_licence_types(tender, item_categories).exclude(pk__in=held).values_list("name", flat=True))
        return supplier, _(
            "Your firm has no valid licence of the required type: %(types)s. A licence counts once the registry has accepted it."
        ) % {"types": ", ".join(missing)}
    return supplier, None


def bidding_refusal(organisation, tender, now: datetime) -> str | None:
    """None when the firm may bid; otherwise the reason, fit to show to the firm."""
    return check_bidder(organisation, tender, now)[1]
