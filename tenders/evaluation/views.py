"""Pages of the evaluation: the workspace of officers and evaluators, the bidder's result and
challenge form, the review officer's queue, and the public award notices.

Views parse the form, check access, call one action and redirect; a refusal re-renders the
page with the problems listed where the form is, and the status code of the refusal.
"""

from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bidding import opened
from bidding.models import Bid
from marketplace import access
from marketplace.access import supplier_firms
from marketplace.errors import ActionError, Problem
from marketplace.models import Role, User
from tenders import queries
from tenders.evaluation import actions
from tenders.evaluation.filters import AwardNoticeFilter
from tenders.evaluation.models import AwardNotice, BidClarification, Challenge, Evaluator, PriceReview
from tenders.evaluation.standing import evaluated_bids, requirements, standing
from tenders.models import AwardMethod, Tender

WORKSPACE_STATUSES = (
    Tender.Status.OPENED,
    Tender.Status.EVALUATING,
    Tender.Status.AWARDED,
    Tender.Status.UNSUCCESSFUL,
    Tender.Status.COMPLETED,
)


def _deadline(value: str) -> datetime | None:
    """The typed moment in UTC, or None (the action then asks for one) when it is no moment at
    all: well formed but impossible ("02-30"), or beyond the calendar once in UTC."""
    try:
        moment = parse_datetime(value or "")
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(UTC) if moment is not None else None
    except (ValueError, OverflowError):
        return None


# The workspace ----------------------------------------------------------------------------


@login_required
def evaluations(request):
    """The tenders the person evaluates or manages after their opening."""
    seats = Evaluator.objects.filter(user=request.user).select_related("tender__buyer").order_by("-appointed_at")
    agencies = queries.officer_agencies(request.user)
    managed = (
        Tender.objects.filter(buyer__in=agencies, status__in=WORKSPACE_STATUSES).select_related("buyer").order_by("-submission_deadline")
    )
    return render(request, "tenders/evaluation/list.html", {"seats": seats, "managed": managed})


def workspace_context(request, tender: Tender, problems: list[Problem] | None = None, section: str = "") -> dict:
    user = request.user
    is_officer = access.can(user, "manage_evaluation", tender)
    seat = tender.evaluators.filter(user=user).first()
    sees_bids = access.can(user, "view_opened_bids", tender) and tender.status != Tender.Status.OPENED
    context = {
        "tender": tender,
        "now": timezone.now(),
        "is_officer": is_officer,
        "seat": seat,
        "sees_bids": sees_bids,
        "problems": problems or [],
        "section": section,
        "committee": list(tender.evaluators.select_related("user")),
        "weighted": tender.award_method == AwardMethod.WEIGHTED,
        "notices": list(tender.award_notices.order_by("-number")),
        "reports": list(tender.evaluation_reports.order_by("-version")[:5]),
        "challenges": list(Challenge.objects.filter(tender=tender).select_related("organisation").prefetch_related("documents"))
        if is_officer
        else [],
    }
    if is_officer:
        named = {e.user_id for e in context["committee"]}
        context["candidates"] = [
            u
            for u in User.objects.filter(
                memberships__organisation=tender.buyer, memberships__role__in=[Role.EVALUATOR, Role.PROCUREMENT_OFFICER]
            )
            .distinct()
            .order_by("email")
            if u.pk not in named
        ]
    if seat is not None and seat.status == Evaluator.Status.APPOINTED:
        context["bidders"] = evaluated_bids(tender)
    if sees_bids:
        result = standing(tender)
        context["standing"] = result
        context["requirements"] = requirements(tender)
        context["bids"] = [
            {
                "bid": bid,
                "checks": result.checks.get(str(bid.pk), []),
                "prices": sorted(result.prices.get(str(bid.pk), {}).items()),
                "documents": opened.documents(bid),
                "technical": result.technical.get(str(bid.pk)),
            }
            for bid in result.bids
        ]
        names = {str(b.pk): b.organisation.name for b in result.bids}
        context["lots"] = [{"standing": s, "ranking": [(r, names[r.entry.bid_id]) for r in s.ranking]} for s in result.lots]
        context["criteria"] = list(tender.criteria.order_by("position", "pk"))
        context["clarifications"] = list(BidClarification.objects.filter(tender=tender).select_related("bid__organisation"))
        if context["weighted"] and access.can(user, "score_bids", tender):
            own = {(str(s.bid_id), s.criterion_id): s for s in actions.visible_scores(user, tender, evaluator=seat)}
            context["score_grid"] = [
                {"bid": bid, "cells": [{"criterion": c, "score": own.get((str(bid.pk), c.pk))} for c in context["criteria"]]}
                for bid in result.qualified()
            ]
        context["scores"] = actions.visible_scores(user, tender) if context["weighted"] else []
    return context


@login_required
def workspace(request, pk: int):
    tender = queries.tender_for(request.user, pk, "use_evaluation_workspace")
    return render(request, "tenders/evaluation/workspace.html", workspace_context(request, tender))


def _refuse_null_characters(request) -> None:
    """These pages read their forms raw (no Django form to validate them), and PostgreSQL text
    cannot hold a NUL: refuse it before any action stores it."""
    problems = [
        Problem(_("Null characters are not allowed."), "null_characters", name)
        for name, values in request.POST.lists()
        if any("\x00" in value for value in values)
    ]
    if problems:
        raise ActionError(problems=problems)


def _act(request, tender: Tender, section: str, act, success: str):
    """Run one action; on refusal show the workspace again with its problems."""
    try:
        _refuse_null_characters(request)
        act()
    except ActionError as error:
        tender.refresh_from_db()
        return render(
            request, "tenders/evaluation/workspace.html", workspace_context(request, tender, error.problems, section), status=error.status
        )
    messages.success(request, success)
    return redirect("tenders:evaluation", pk=tender.pk)


@login_required
@require_POST
def start(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    users = list(User.objects.filter(pk__in=[queries.whole_number(v) for v in request.POST.getlist("evaluators")]))
    return _act(
        request, tender, "committee", lambda: actions.start_evaluation(request.user, tender, users), _("The evaluation has started.")
    )


@login_required
@require_POST
def appoint(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    user = User.objects.filter(pk=queries.whole_number(request.POST.get("evaluator", ""))).first()
    if user is None:
        return _act(request, tender, "committee", lambda: _raise(_("Choose an evaluator."), "evaluator"), "")
    return _act(request, tender, "committee", lambda: actions.appoint_evaluator(request.user, tender, user), _("Evaluator named."))


def _raise(message: str, field: str):
    raise ActionError(message, code="required", field=field)


@login_required
@require_POST
def declare(request, pk: int):
    tender = queries.tender_for(request.user, pk, "declare_interests")
    conflicts = {bid_id: request.POST.get(f"statement_{bid_id}", "") for bid_id in request.POST.getlist("conflict")}
    return _act(
        request,
        tender,
        "declaration",
        lambda: actions.declare_interests(request.user, tender, conflicts=conflicts, statement=request.POST.get("statement", "")),
        _("Your declaration is recorded."),
    )


@login_required
@require_POST
def qualify(request, pk: int, bid_id):
    tender = queries.tender_for(request.user, pk, "qualify_bids")
    checks = {
        key: (request.POST.get(f"pass_{key}") == "yes", request.POST.get(f"reason_{key}", ""))
        for key, _label in requirements(tender)
        if f"pass_{key}" in request.POST
    }
    reconsider = request.POST.get("reconsider") == "1"
    return _act(
        request,
        tender,
        "bids",
        lambda: actions.qualify_bid(request.user, tender, str(bid_id), checks, reconsider=reconsider),
        _("Qualification recorded."),
    )


@login_required
@require_POST
def open_financial(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    return _act(
        request,
        tender,
        "bids",
        lambda: actions.open_financial_round(request.user, tender),
        _("The financial envelopes of the qualified bids are being opened."),
    )


@login_required
@require_POST
def score(request, pk: int):
    tender = queries.tender_for(request.user, pk, "use_evaluation_workspace")
    specs = []
    for name, value in request.POST.items():
        if name.startswith("score_") and value.strip():
            # score_<bid>_<criterion>; a malformed name is refused by the action as an unknown criterion
            _prefix, bid_id, criterion_id = [*name.split("_", 2), "", ""][:3]
            specs.append(actions.ScoreSpec(bid_id, criterion_id, value.strip(), request.POST.get(f"comment_{bid_id}_{criterion_id}", "")))

    def act():
        if specs:
            actions.record_scores(request.user, tender, specs)
        if "submit" in request.POST:
            actions.submit_scores(request.user, tender)

    return _act(request, tender, "scores", act, _("Scores submitted.") if "submit" in request.POST else _("Scores saved."))


@login_required
@require_POST
def ask(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    deadline = _deadline(request.POST.get("deadline", ""))
    bid_id = request.POST.get("bid", "")
    if request.POST.get("lot"):
        lot = queries.whole_number(request.POST["lot"]) or 0

        def act():
            return actions.request_price_justification(
                request.user, tender, bid_id, lot, question=request.POST.get("question", ""), deadline=deadline
            )
    else:
        act = lambda: actions.ask_bidder(request.user, tender, bid_id, question=request.POST.get("question", ""), deadline=deadline)  # noqa: E731
    return _act(request, tender, "clarifications", act, _("The question was sent to the bidder."))


@login_required
@require_POST
def decide_price(request, pk: int, review_id: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    review = get_object_or_404(PriceReview, pk=review_id, bid__tender=tender)
    accept = request.POST.get("decision") == "accept"
    return _act(
        request,
        tender,
        "prices",
        lambda: actions.decide_price_justification(request.user, review, accept=accept, reason=request.POST.get("reason", "")),
        _("Decision recorded."),
    )


@login_required
@require_POST
def approve(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    return _act(
        request, tender, "report", lambda: actions.approve_report(request.user, tender), _("The evaluation report is approved and signed.")
    )


@login_required
@require_POST
def award(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    return _act(
        request,
        tender,
        "award",
        lambda: actions.award_tender(request.user, tender),
        _("The award notice is published; the standstill has started."),
    )


@login_required
@require_POST
def confirm(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    return _act(request, tender, "award", lambda: actions.confirm_awards(request.user, tender), _("The awards are confirmed."))


@login_required
@require_POST
def answer_challenge(request, pk: int, challenge_id: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    challenge = get_object_or_404(Challenge, pk=challenge_id, tender=tender)
    return _act(
        request,
        tender,
        "challenges",
        lambda: actions.answer_challenge(
            request.user, challenge, answer=request.POST.get("answer", ""), decision=request.POST.get("decision", "")
        ),
        _("The answer was sent to the challenger."),
    )


@login_required
def report(request, pk: int, version: int):
    tender = queries.tender_for(request.user, pk, "view_evaluation_report")
    approved = get_object_or_404(tender.evaluation_reports, version=version)
    return render(request, "tenders/evaluation/report.html", {"tender": tender, "report": approved, "content": approved.content})


# The bidder's result ----------------------------------------------------------------------


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
    return render(request, "tenders/evaluation/result.html", result_context(request, tender, bid))


def _bidder_act(request, tender: Tender, bid: Bid, act, success: str):
    try:
        _refuse_null_characters(request)
        act()
    except ActionError as error:
        return render(request, "tenders/evaluation/result.html", result_context(request, tender, bid, error.problems), status=error.status)
    messages.success(request, success)
    return redirect("tenders:result", pk=tender.pk)


@login_required
@require_POST
def answer_clarification(request, pk: int, clarification_id: int):
    tender = queries.tender_for(request.user, pk)
    bid = _own_bid(request, tender)
    clarification = get_object_or_404(BidClarification, pk=clarification_id, bid=bid)
    access.require(request.user, "answer_bid_clarification", clarification)
    return _bidder_act(
        request,
        tender,
        bid,
        lambda: actions.answer_bid_clarification(request.user, clarification, answer=request.POST.get("answer", "")),
        _("Your answer was sent."),
    )


@login_required
@require_POST
def lodge(request, pk: int):
    tender = queries.tender_for(request.user, pk)
    bid = _own_bid(request, tender)
    access.require(request.user, "lodge_challenge", bid)
    documents = request.FILES.getlist("documents")
    return _bidder_act(
        request,
        tender,
        bid,
        lambda: actions.lodge_challenge(
            request.user, bid.organisation, tender, grounds=request.POST.get("grounds", ""), documents=documents
        ),
        _("Your challenge is lodged; the agency must answer it."),
    )


@login_required
@require_POST
def respond(request, pk: int, challenge_id: int):
    tender = queries.tender_for(request.user, pk)
    bid = _own_bid(request, tender)
    challenge = get_object_or_404(Challenge, pk=challenge_id, organisation=bid.organisation)
    access.require(request.user, "respond_to_challenge_answer", challenge)
    if request.POST.get("response") == "escalate":
        return _bidder_act(
            request,
            tender,
            bid,
            lambda: actions.escalate_challenge(request.user, challenge, reason=request.POST.get("reason", "")),
            _("Escalated to the review body."),
        )
    return _bidder_act(request, tender, bid, lambda: actions.accept_answer(request.user, challenge), _("You accepted the agency's answer."))


@login_required
def challenge_document(request, challenge_id: int, document_id: int):
    from django.http import FileResponse

    challenge = get_object_or_404(Challenge.objects.select_related("tender"), pk=challenge_id)
    if not access.can(request.user, "view_challenge", challenge):
        raise Http404
    document = get_object_or_404(challenge.documents, pk=document_id)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)


# The review body --------------------------------------------------------------------------


@login_required
def reviews(request, problems=None, status: int = 200):
    access.require(request.user, "view_review_queue")
    queue = Challenge.objects.select_related("tender__buyer", "organisation", "notice").prefetch_related("documents").order_by("-lodged_at")
    context = {
        "escalated": [c for c in queue if c.status == Challenge.Status.ESCALATED],
        "others": [c for c in queue if c.status != Challenge.Status.ESCALATED][:50],
        "problems": problems or [],
    }
    return render(request, "tenders/evaluation/reviews.html", context, status=status)


@login_required
@require_POST
def decide(request, challenge_id: int):
    challenge = get_object_or_404(Challenge.objects.select_related("tender"), pk=challenge_id)
    access.require(request.user, "decide_challenge", challenge)
    try:
        _refuse_null_characters(request)
        actions.decide_challenge(
            request.user, challenge, uphold=request.POST.get("decision") == "uphold", reason=request.POST.get("reason", "")
        )
    except ActionError as error:
        return reviews(request, error.problems, error.status)
    messages.success(request, _("The decision is recorded and announced."))
    return redirect("tenders:reviews")


# Public award notices ---------------------------------------------------------------------


def notices(request):
    filterset = AwardNoticeFilter(request.GET, queryset=AwardNotice.objects.public())
    results = filterset.qs if filterset.is_valid() else AwardNotice.objects.none()
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tenders/evaluation/notices.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
        status=200 if filterset.is_valid() else 400,
    )


def notice(request, pk: int):
    found = get_object_or_404(AwardNotice.objects.public(), pk=pk)
    if not access.can(request.user, "view_award_notice", found):
        raise Http404
    return render(request, "tenders/evaluation/notice.html", {"notice": found, "content": found.content, "now": timezone.now()})
