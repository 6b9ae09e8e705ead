"""A plain confirmation step before an action that cannot be undone (publish, withdraw a bid,
submit final scores, award). It is a form, not a script dialog: it works without JavaScript.

A view calls `ask(request, …)` first; while the POST does not carry `confirmed=yes` it answers
with a page saying what cannot be undone and the same form again, confirmed.
"""

from django.http import HttpResponse
from django.shortcuts import render


def ask(request, *, title: str, consequences: list[str], action: str, back: str) -> HttpResponse | None:
    """None once confirmed; else the confirmation page, which posts the same fields back with `confirmed=yes`."""
    if request.POST.get("confirmed") == "yes":
        return None
    fields = [
        (name, value) for name, values in request.POST.lists() for value in values if name not in ("csrfmiddlewaretoken", "confirmed")
    ]
    context = {
        "title": title,
        "consequences": consequences,
        "action": action,
        "back": back,
        "fields": fields,
        "target": request.get_full_path(),
    }
    return render(request, "marketplace/confirm.html", context)
