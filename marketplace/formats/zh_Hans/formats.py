"""Simplified Chinese number formats, over Django's own (which group by four with no separator,
so 1234567.00 would read 1234567.00). Amounts in procurement documents are written with a comma
every three digits: 1,234,567.00. Dates and times as on every page (`marketplace.formats.moments`)."""

from marketplace.formats.moments import DATE_FORMAT, DATETIME_FORMAT, SHORT_DATE_FORMAT, SHORT_DATETIME_FORMAT

__all__ = ["DATETIME_FORMAT", "DATE_FORMAT", "NUMBER_GROUPING", "SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "THOUSAND_SEPARATOR"]

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
