"""The review body's pages: the queue of challenges escalated past the agency, and its decision,
final on the platform."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import actions, forms
from evaluation.models import Challenge
from marketplace import access
from marketplace.errors import ActionError


@login_required
def reviews(request, problems=None, status: int = 200):
    access.require(request.user, "view_review_queue")
    queue = Challenge.objects.select_related("tender__buyer", "organisation", "notice").prefetch_related("documents").order_by("-lodged_at")
    context = {
        "escalated": [c for c in queue if c.status == Challenge.Status.ESCALATED],
        "others": [c for c in queue if c.status != Challenge.Status.ESCALATED][:50],
        "problems": problems or [],
    }
    return render(request, "evaluation/reviews.html", context, status=status)


@login_required
@require_POST
def decide(request, challenge_id: int):
    challenge = get_object_or_404(Challenge.objects.select_related("tender"), pk=challenge_id)
    access.require(request.user, "decide_challenge", challenge)
    try:
        typed = forms.parse(forms.ReviewDecisionForm(request.POST))
        actions.decide_challenge(request.user, challenge, uphold=typed["decision"] == "uphold", reason=typed["reason"])
    except ActionError as error:
        return reviews(request, error.problems, error.status)
    messages.success(request, _("The decision is recorded and announced."))
    return redirect("tenders:reviews")
