"""The opening room, `/tenders/<id>/opening/`: anyone watches the bids opened at the deadline.

Like a bid-opening hall without anyone travelling (不见面开标): a countdown before the deadline,
the custodians present under committee custody, then each line of the record as it is read.
The page renders the whole state on load (for latecomers and browsers without websockets);
`static/js/opening.js` adds what happens next from the `tender.<id>` live events.
"""

from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from bidding import opened, opening
from bidding.forms import ReleaseShareForm
from bidding.models import Opening, OpeningLine
from bidding.opening_api import current_round
from bidding.views import bidding_firms, visible_tender
from marketplace import access, live
from tenders.models import Custody, Tender


def _line(line: dict, own_suppliers: set[int]) -> dict:
    """A record line as the page shows it: times parsed, the viewer's own bid marked."""
    supplier = line.get("supplier") or {}
    return line | {
        "received": parse_datetime(line["received_at"]) if line.get("received_at") else None,
        "read": parse_datetime(line["read_at"]) if isinstance(line.get("read_at"), str) else line.get("read_at"),
        "is_own": supplier.get("id") in own_suppliers,
        "is_rejected": line["result"] == OpeningLine.Result.REJECTED,
    }


def _rounds(tender: Tender, own_suppliers: set[int]) -> list[dict]:
    record = opened.opening_record(tender)
    if record is None:
        return []
    return [
        round
        | {
            "label": Opening.Round(round["round"]).label,
            "status_label": Opening.Status(round["status"]).label,
            "lines": [_line(line, own_suppliers) for line in round["lines"]],
        }
        for round in record["rounds"]
    ]


def _presence(tender: Tender) -> dict | None:
    """Custodians present for the round that waits for them (committee custody only)."""
    if tender.custody != Custody.COMMITTEE:
        return None
    round = current_round(tender)
    waiting = Opening.objects.filter(tender=tender, round=round).first()
    return opening.custodian_presence(waiting, tender=tender, round=round) | {
        "waiting": waiting is None or waiting.status == Opening.Status.WAITING
    }


def room_context(request, tender: Tender) -> dict:
    # Read the event number before the state: anything committed after it arrives live.
    live_after = live.current_seq()
    now = timezone.now()
    own_suppliers = {firm.pk for firm in bidding_firms(request.user)} if request.user.is_authenticated else set()
    presence = _presence(tender)
    past_deadline = tender.is_past_deadline(now)
    may_release = presence is not None and access.can(request.user, "release_share", tender)
    return {
        "tender": tender,
        "now": now,
        "live_after": live_after,
        "past_deadline": past_deadline,
        "rounds": _rounds(tender, own_suppliers),
        "presence": presence,
        "may_release": may_release,
        "release_form": ReleaseShareForm(user=request.user) if may_release and past_deadline and presence["waiting"] else None,
        "own_suppliers": sorted(own_suppliers),
        "labels": {
            "one": _("%(days)s day %(clock)s"),
            "other": _("%(days)s days %(clock)s"),
            "passed": _("The deadline has passed."),
            "rounds": {value: str(label) for value, label in Opening.Round.choices},
            "statuses": {value: str(label) for value, label in Opening.Status.choices},
            "custodians": _("%(present)s of %(needed)s"),
            "opened": _("Opened"),
            "rejected": _("Rejected"),
            "lot": _("Lot %(lot)s"),
            "no_documents": _("No documents"),
            "reading": _("%(read)s of %(bids)s bids read"),
            "summary": _("%(valid)s valid, %(rejected)s rejected"),
            "tender.opening": _("The opening has started."),
            "tender.opened": _("The opening is complete: the bids are open."),
            "tender.unsuccessful": _("The tender is unsuccessful: too few valid bids."),
            "tender.closed": _("The deadline has passed: the tender is closed and its bids are about to be opened."),
            "tender.cancelled": _("This tender was cancelled: its bids will never be opened."),
        },
    }


def opening_room(request, tender_id: int):
    tender = visible_tender(request.user, tender_id)
    return render(request, "bidding/opening_room.html", room_context(request, tender))
