"""Dates and times as every page writes them, in every language: a date as 2026-12-12, a moment
to the minute in the platform's time zone with the zone's name, 2026-12-12 05:40 CET — the same
as messages and e-mails (`marketplace.timefmt.shown`). One unambiguous form on every screen,
instead of Django's per-language ones ("Dec. 12, 2026, 5:40 a.m." beside "2026-12-12")."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
