"""Showing tender data: money with its currency, CPV codes with their names, amendment changes."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from suppliers import cpv
from tenders.models import Lot, Tender

register = template.Library()

MOMENTS = {"submission_deadline", "clarification_deadline"}
AMOUNTS = {"estimated_value", "deposit_amount"}


@register.filter
def money(amount, currency: str = "") -> str:
    if amount in (None, ""):
        return "—"
    return f"{number_format(Decimal(amount), 2, force_grouping=True)} {currency}".strip()


@register.filter
def cpv_label(code: str) -> str:
    entry = cpv.get(code) if code else None
    return entry.label if entry else (code or "—")


@register.filter
def change_label(change: dict) -> str:
    name = change.get("field", "")
    if name.startswith("documents."):
        return _("Document “%(title)s”") % {"title": change.get("document", "")}
    if name.startswith("lots."):
        _lots, number, field = name.split(".", 2)
        return _("Lot %(number)s: %(field)s") % {"number": number, "field": Lot._meta.get_field(field).verbose_name}
    try:
        return capfirst(Tender._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


@register.filter
def change_value(value, change: dict):
    field = change.get("field", "").rsplit(".", 1)[-1]
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field in MOMENTS:
        try:
            return date_format(timezone.localtime(datetime.fromisoformat(value)), "DATETIME_FORMAT")
        except (TypeError, ValueError):
            return value
    if field in AMOUNTS:
        try:
            return number_format(Decimal(value), 2, force_grouping=True)
        except (InvalidOperation, TypeError):
            return value
    if field == "main_category":
        return cpv_label(value)
    return value


@register.filter
def status_at(tender: Tender, now: datetime) -> str:
    return tender.status_at(now)


@register.filter
def status_label_at(tender: Tender, now: datetime) -> str:
    return tender.status_label_at(now)


@register.filter
def has_sme_lots(tender: Tender) -> bool:
    return any(lot.sme_reserved for lot in tender.lots.all())


@register.filter
def time_left(deadline: datetime | None, now: datetime) -> str:
    """What the countdown shows before its script runs: days, hours, minutes, seconds."""
    if deadline is None:
        return "—"
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return _("The deadline has passed.")
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return ngettext("%(days)d day %(clock)s", "%(days)d days %(clock)s", days) % {"days": days, "clock": clock}


@register.filter
def words(text: str) -> list[str]:
    return text.split()


@register.filter
def field(form, name: str):
    """A bound field by name (templates cannot index a form with a variable)."""
    return form[name]
