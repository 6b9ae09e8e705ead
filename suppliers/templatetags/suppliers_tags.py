from django import template
from django_countries import countries

from suppliers import cpv

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    return countries.name(code) or code


@register.filter
def cpv_label(code: str) -> str:
    entry = cpv.get(code or "")
    return entry.label if entry else code
