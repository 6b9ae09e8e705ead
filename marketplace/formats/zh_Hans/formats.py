"""Simplified Chinese number formats, over Django's own (which group by four with no separator,
so 1234567.00 would read 1234567.00). Amounts in procurement documents are written with a comma
every three digits: 1,234,567.00."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
