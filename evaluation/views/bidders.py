"""The bidder's pages of the evaluation: its result, the evaluation's questions to it, its
challenge of the award, and its response to the agency's answer.

A firm sees only its own bid's result; anyone else is told the page does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bidding.models import Bid
from evaluation import actions, forms
from evaluation.models import AwardNotice, BidClarification, Challenge
from marketplace import access
from marketplace.access import supplier_firms
from marketplace.errors import ActionError
from tenders import queries
from tenders.models import Tender


def _own_bid(request, tender: Tender) -> Bid:
    firms = [o.pk for o in supplier_firms(request.user)]
    bid = Bid.objects.filter(tender=tender, organisation__in=firms).entered().select_related("organisation").first()
    if bid is None or not access.can(request.user, "view_bid_result", bid):
        raise Http404
    return bid


def result_context(request, tender: Tender, bid: Bid, problems=None) -> dict:
    notice = tender.award_notices.order_by("-number").first()
    mine = {}
    if notice is not None:
        for block in notice.content.get("lots", []):
            row = next((r for r in block["ranking"] if r["bid"] == str(bid.pk)), None)
            mine[block["lot"]] = {"block": block, "row": row, "of": len(block["ranking"])}
    now = timezone.now()
    return {
        "tender": tender,
        "bid": bid,
        "now": now,
        "notice": notice,
        "mine": sorted(mine.items()),
        "clarifications": list(BidClarification.objects.filter(bid=bid).order_by("asked_at")),
        "challenges": list(Challenge.objects.filter(tender=tender, organisation=bid.organisation).prefetch_related("documents")),
        "may_challenge": notice is not None
        and notice.status == AwardNotice.Status.PUBLISHED
        and notice.in_standstill_at(now)
        and bid.status not in (Bid.Status.SUBMITTED,),
        "problems": problems or [],
    }


@login_required
def result(request, pk: int):
    tender = queries.tender_for(request.user, pk)
    bid = _own_bid(request, tender)
    return render(request, "evaluation/result.html", result_context(request, tender, bid))


def _bidder_act(request, tender: Tender, bid: Bid, act, success: str = ""):
    """Run one action (`act` parses its form first, and may return the message to show); on
    refusal show the result page again with its problems."""
    try:
        said = act()
    except ActionError as error:
        return render(request, "evaluation/result.html", result_context(request, tender, bid, error.problems), status=error.status)
    messages.success(request, said or success)
    return redirect("tenders:result", pk=tender.pk)


@login_required
@require_POST
def answer_clarification(request, pk: int, clarification_id: int):
    tender = queries.tender_for(request.user, pk)
    bid = _own_bid(request, tender)
    clarification = get_object_or_404(BidClarification, pk=clarification_id, bid=bid)
    access.require(request.user, "answer_bid_clarification", clarification)
    form = forms.ClarificationAnswerForm(request.POST)

    def act():
        actions.answer_bid_clarification(request.user, clarification, answer=forms.parse(form)["answer"])

    return _bidder_act(request, tender, bid, act, _("Your answer was sent."))


@login_required
@require_POST
def lodge(request, pk: int):
    tender = queries.tender_for(request.user, pk)
    bid = _own_bid(request, tender)
    access.require(request.user, "lodge_challenge", bid)
    form = forms.ChallengeForm(request.POST, request.FILES)

    def act():
        typed = forms.parse(form)
        actions.lodge_challenge(request.user, bid.organisation, tender, grounds=typed["grounds"], documents=typed["documents"])

    return _bidder_act(request, tender, bid, act, _("Your challenge is lodged; the agency must answer it."))


@login_required
@require_POST
def respond(request, pk: int, challenge_id: int):
    tender = queries.tender_for(request.user, pk)
    bid = _own_bid(request, tender)
    challenge = get_object_or_404(Challenge, pk=challenge_id, organisation=bid.organisation)
    access.require(request.user, "respond_to_challenge_answer", challenge)
    form = forms.ChallengeResponseForm(request.POST)

    def act() -> str:
        typed = forms.parse(form)
        if typed["response"] == "escalate":
            actions.escalate_challenge(request.user, challenge, reason=typed["reason"])
            return _("Escalated to the review body.")
        actions.accept_answer(request.user, challenge)
        return _("You accepted the agency's answer.")

    return _bidder_act(request, tender, bid, act)


@login_required
def challenge_document(request, challenge_id: int, document_id: int):
    challenge = get_object_or_404(Challenge.objects.select_related("tender"), pk=challenge_id)
    if not access.can(request.user, "view_challenge", challenge):
        raise Http404
    document = get_object_or_404(challenge.documents, pk=document_id)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)
