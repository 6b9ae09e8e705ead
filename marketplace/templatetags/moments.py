"""`{{ value|moment }}`: a moment as every page writes it (`marketplace.timefmt.shown`, e.g.
2026-12-12 05:40 CET), in a `<time>` element carrying the exact instant, kept on one line so a
narrow table column does not break it at a hyphen."""

from datetime import datetime

from django import template
from django.utils.html import format_html

from marketplace.timefmt import shown

register = template.Library()


@register.filter
def moment(value: datetime | None) -> str:
    if not value:
        return ""
    return format_html('<time class="moment" datetime="{}">{}</time>', value.isoformat(), shown(value))
