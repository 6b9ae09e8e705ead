"""Machine data shown as it is exchanged: `{{ value|as_json }}` writes JSON (double quotes, true
and null), never Python's repr; text stays text."""

import json

from django import template

register = template.Library()


@register.filter
def as_json(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
