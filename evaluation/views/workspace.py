"""The evaluation workspace: the procurement officers who run the evaluation and the evaluators
who score, from naming the committee to the award and the agency's answers to challenges.

Views parse the form, check access, call one action and redirect; a refusal re-renders the
workspace with the problems listed where the form is, and the status code of the refusal.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bidding import opened
from evaluation import actions, forms
from evaluation.models import BidClarification, Challenge, Evaluator, PriceReview
from evaluation.standing import evaluated_bids, requirements, standing
from marketplace import access
from marketplace import confirm as confirmation
from marketplace.errors import ActionError, Problem
from marketplace.models import Role, User
from tenders import queries
from tenders.models import AwardMethod, Tender

WORKSPACE_STATUSES = (
    Tender.Status.OPENED,
    Tender.Status.EVALUATING,
    Tender.Status.AWARDED,
    Tender.Status.UNSUCCESSFUL,
    Tender.Status.COMPLETED,
)


@login_required
def evaluations(request):
    """The tenders the person evaluates or manages after their opening."""
    seats = Evaluator.objects.filter(user=request.user).select_related("tender__buyer").order_by("-appointed_at")
    agencies = queries.officer_agencies(request.user)
    managed = (
        Tender.objects.filter(buyer__in=agencies, status__in=WORKSPACE_STATUSES).select_related("buyer").order_by("-submission_deadline")
    )
    return render(request, "evaluation/list.html", {"seats": seats, "managed": managed})


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
        "to_award_again": actions.lots_to_award_again(tender) if is_officer and tender.status == Tender.Status.AWARDED else [],
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
    return render(request, "evaluation/workspace.html", workspace_context(request, tender))


def _act(request, tender: Tender, section: str, act, success: str):
    """Run one action (`act` parses its form first); on refusal show the workspace again with its problems."""
    try:
        act()
    except ActionError as error:
        tender.refresh_from_db()
        return render(
            request, "evaluation/workspace.html", workspace_context(request, tender, error.problems, section), status=error.status
        )
    messages.success(request, success)
    return redirect("tenders:evaluation", pk=tender.pk)


@login_required
@require_POST
def start(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    form = forms.StartForm(request.POST)
    return _act(
        request,
        tender,
        "committee",
        lambda: actions.start_evaluation(request.user, tender, forms.parse(form)["evaluators"]),
        _("The evaluation has started."),
    )


@login_required
@require_POST
def appoint(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    form = forms.AppointForm(request.POST)
    return _act(
        request,
        tender,
        "committee",
        lambda: actions.appoint_evaluator(request.user, tender, forms.parse(form)["evaluator"]),
        _("Evaluator named."),
    )


@login_required
@require_POST
def declare(request, pk: int):
    tender = queries.tender_for(request.user, pk, "declare_interests")
    form = forms.DeclarationForm(request.POST)

    def act():
        statement = forms.parse(form)["statement"]
        actions.declare_interests(request.user, tender, conflicts=form.conflicts(), statement=statement)

    return _act(request, tender, "declaration", act, _("Your declaration is recorded."))


@login_required
@require_POST
def qualify(request, pk: int, bid_id):
    tender = queries.tender_for(request.user, pk, "qualify_bids")
    form = forms.QualificationForm(request.POST, tender=tender)

    def act():
        reconsider = forms.parse(form)["reconsider"] == "1"
        actions.qualify_bid(request.user, tender, str(bid_id), form.checks(), reconsider=reconsider)

    return _act(request, tender, "bids", act, _("Qualification recorded."))


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
    form = forms.ScoresForm(request.POST)
    if form.submitted and (
        page := confirmation.ask(
            request,
            title=_("Submit your final scores?"),
            consequences=[_("Your scores are final once submitted: you cannot change them.")],
            action=_("Submit the scores"),
            back=reverse("tenders:evaluation", args=[tender.pk]),
        )
    ):
        return page

    def act():
        forms.parse(form)
        if specs := form.specs():
            actions.record_scores(request.user, tender, specs)
        if form.submitted:
            actions.submit_scores(request.user, tender)

    return _act(request, tender, "scores", act, _("Scores submitted.") if form.submitted else _("Scores saved."))


@login_required
@require_POST
def ask(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    form = forms.QuestionForm(request.POST)

    def act():
        typed = forms.parse(form)
        if typed["lot"] is not None:
            actions.request_price_justification(
                request.user, tender, typed["bid"], typed["lot"], question=typed["question"], deadline=typed["deadline"]
            )
        else:
            actions.ask_bidder(request.user, tender, typed["bid"], question=typed["question"], deadline=typed["deadline"])

    return _act(request, tender, "clarifications", act, _("The question was sent to the bidder."))


@login_required
@require_POST
def decide_price(request, pk: int, review_id: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    review = get_object_or_404(PriceReview, pk=review_id, bid__tender=tender)
    form = forms.PriceDecisionForm(request.POST)

    def act():
        typed = forms.parse(form)
        actions.decide_price_justification(request.user, review, accept=typed["decision"] == "accept", reason=typed["reason"])

    return _act(request, tender, "prices", act, _("Decision recorded."))


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
    if page := confirmation.ask(
        request,
        title=_("Publish the award notice for %(reference)s?") % {"reference": tender.reference},
        consequences=[
            _("The signed award notice is public at once and every bidder is told the result."),
            _("The standstill starts: bidders may challenge the award until it ends."),
        ],
        action=_("Publish the award notice"),
        back=reverse("tenders:evaluation", args=[tender.pk]),
    ):
        return page
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
def award_again(request, pk: int, lot: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    if page := confirmation.ask(
        request,
        title=_("Award lot %(lot)s of %(reference)s to the next-ranked bid?") % {"lot": lot, "reference": tender.reference},
        consequences=[
            _("A new signed award notice for this lot is public at once; the bid ranked next is told it won."),
            _("A new standstill starts: bidders may challenge this award until it ends."),
        ],
        action=_("Award to the next-ranked bid"),
        back=reverse("tenders:evaluation", args=[tender.pk]),
    ):
        return page
    return _act(
        request,
        tender,
        "award",
        lambda: actions.award_next_ranked(request.user, tender, lot),
        _("The lot is awarded to the next-ranked bid; the standstill has started."),
    )


@login_required
@require_POST
def answer_challenge(request, pk: int, challenge_id: int):
    tender = queries.tender_for(request.user, pk, "manage_evaluation")
    challenge = get_object_or_404(Challenge, pk=challenge_id, tender=tender)
    form = forms.ChallengeAnswerForm(request.POST)

    def act():
        typed = forms.parse(form)
        actions.answer_challenge(request.user, challenge, answer=typed["answer"], decision=typed["decision"])

    return _act(request, tender, "challenges", act, _("The answer was sent to the challenger."))


@login_required
def report(request, pk: int, version: int):
    tender = queries.tender_for(request.user, pk, "view_evaluation_report")
    approved = get_object_or_404(tender.evaluation_reports, version=version)
    return render(request, "evaluation/report.html", {"tender": tender, "report": approved, "content": approved.content})
