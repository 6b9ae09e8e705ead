"""Pages of the opening: a custodian releases a share; officers and evaluators read opened bids."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding import opened, opening
from bidding.forms import ReleaseShareForm
from bidding.models import Bid, Opening
from bidding.opening_api import current_round, document_response, opened_document_for
from bidding.views import visible_tender
from marketplace import access, live
from marketplace.errors import ActionError


def _release_context(tender, form) -> dict:
    round = current_round(tender)
    waiting = Opening.objects.filter(tender=tender, round=round).first()
    return {
        "tender": tender,
        "form": form,
        "round": round,
        "round_label": Opening.Round(round).label,
        "opening": waiting,
        "presence": opening.custodian_presence(waiting, tender=tender, round=round),
        "past_deadline": tender.is_past_deadline(timezone.now()),
        "live_after": live.current_seq(),
    }


@login_required
def release_share(request, tender_id: int):
    """GET: the form (and how many custodians are present). POST: release the share."""
    tender = visible_tender(request.user, tender_id)
    access.require(request.user, "release_share", tender)
    form = ReleaseShareForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                presence = opening.release_share(
                    request.user, tender, current_round(tender), form.cleaned_data["passphrase"], form.cleaned_data.get("otp")
                )
            except ActionError as error:
                problem = error.problems[0]
                form.add_error(problem.field if problem.field in form.fields else None, problem.message)
            else:
                messages.success(
                    request,
                    _("Your share is released: %(present)s of %(needed)s custodians present.")
                    % {"present": presence["present"], "needed": presence["needed"]},
                )
                return redirect("bidding:release-share", tender_id=tender.pk)
        status = 400
    return render(request, "bidding/release_share.html", _release_context(tender, form), status=status)


@login_required
def opened_bids(request, tender_id: int):
    tender = visible_tender(request.user, tender_id)
    if not access.can(request.user, "read_opened_bids", tender):
        raise Http404
    bids = Bid.objects.filter(tender=tender, opening_lines__isnull=False).distinct().select_related("organisation")
    rows = [
        {
            "bid": bid,
            "lines": list(bid.opening_lines.select_related("opening").order_by("opening__created_at")),
            "prices": sorted(opened.prices(bid).items()),
            "currency": opened.currency(bid),
            "documents": opened.documents(bid),
        }
        for bid in bids.order_by("received_at", "id")
    ]
    return render(request, "bidding/opened_bids.html", {"tender": tender, "rows": rows})


@login_required
def opened_document(request, tender_id: int, document_id: int):
    document = opened_document_for(request.user, document_id)
    if document.bid.tender_id != tender_id:
        raise Http404
    return document_response(request.user, document)
