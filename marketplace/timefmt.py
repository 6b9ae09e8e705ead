"""How a moment reads in a message: one format everywhere, in the platform's time zone, to the
minute, with the zone's name — "2026-12-12 05:40 CET" — in every language (a 12-hour clock's
"a.m." ends sentences badly, and a raw datetime shows microseconds and an offset)."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format

from marketplace.formats.moments import DATETIME_FORMAT


def shown(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), DATETIME_FORMAT)
