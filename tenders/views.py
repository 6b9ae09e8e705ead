"""Public pages: the tender search, the tender page, document downloads; questions and following
for suppliers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import access, live
from marketplace.access import supplier_firms
from marketplace.errors import ActionError
from tenders import actions, extensions, queries
from tenders.api import document_response
from tenders.filters import TenderFilter, public_listing
from tenders.forms import QuestionForm, attach_problems
from tenders.models import Clarification, Tender, TenderFollower
from tenders.paging import SearchPaginator

PAGE_SIZES = (10, 20, 50, 100)


def home(request):
    """The platform's home page: the most recent public tenders, updated live."""
    context = {
        "live_after": live.current_seq(),
        "recent_tenders": Tender.objects.public().select_related("buyer").order_by("-created_at")[:10],
    }
    return render(request, "marketplace/home.html", context)


def search(request):
    filterset = TenderFilter(request.GET, queryset=public_listing())
    results = filterset.qs if filterset.is_valid() else Tender.objects.none()
    page_size = (
        int(request.GET["page_size"]) if request.GET.get("page_size", "").isdigit() and int(request.GET["page_size"]) in PAGE_SIZES else 20
    )
    page = SearchPaginator(results, page_size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "now": timezone.now(),
        "query": query.urlencode(),
        "page_size": page_size,
        "page_sizes": PAGE_SIZES,
    }
    return render(request, "tenders/search.html", context, status=200 if filterset.is_valid() else 400)


def by_reference(request, reference: str):
    """The tender whose reference this is, for a link read aloud or printed (references are public
    from publication on; a draft has none)."""
    tender = Tender.objects.filter(reference__iexact=reference).select_related("buyer").first()
    if tender is None or not access.can(request.user, "view_tender", tender):
        raise Http404
    return redirect("tenders:detail", pk=tender.pk)


def detail(request, pk: int):
    tender = queries.tender_for(request.user, pk, queryset=queries.detail_queryset())
    return render(request, "tenders/detail.html", detail_context(request, tender))


def detail_context(request, tender: Tender, question_form: QuestionForm | None = None) -> dict:
    now = timezone.now()
    user = request.user
    clarifications = [c for c in tender.clarifications.all() if c.status == Clarification.Status.ANSWERED]
    firms = [o.pk for o in access.organisations_where(user)] if user.is_authenticated else []
    acting_for = supplier_firms(user)
    can_follow = access.can(user, "follow_tender", tender)
    return {
        "tender": tender,
        "now": now,
        "status": tender.status_at(now),
        "status_label": tender.status_label_at(now),
        "lots": tender.lots.all(),
        "clarifications": sorted(clarifications, key=lambda c: c.number),
        "my_questions": [
            c for c in tender.clarifications.all() if c.status == Clarification.Status.ASKED and c.asker_organisation_id in firms
        ],
        "amendments": sorted(tender.amendments.all(), key=lambda a: a.number, reverse=True),
        "documents": tender.documents.all(),
        "may_ask": access.can(user, "ask_question", tender) and tender.accepts_questions_at(now),
        "question_form": question_form or QuestionForm(firms=acting_for),
        "can_follow": can_follow,
        "following": can_follow and TenderFollower.objects.filter(tender=tender, organisation__in=acting_for).exists(),
        "may_manage": access.can(user, "manage_tender", tender),
        "live_after": live.current_seq(),
        "sections": extensions.sections_for(request, tender),
        "countdown_labels": {
            "one": _("%(days)s day %(clock)s"),
            "other": _("%(days)s days %(clock)s"),
            "passed": _("The deadline has passed."),
            "tender.amended": _("This tender was amended."),
            "tender.cancelled": _("This tender was cancelled."),
            "tender.closed": _("The deadline has passed and the tender is closed."),
            "clarification.published": _("A new clarification was published."),
            "deadline": _("The deadline has passed."),
        },
    }


def document(request, pk: int, version_id: int):
    """Any version of a document, as stored (drafts' documents only to the buyer's officers)."""
    return document_response(queries.document_version_for(request.user, pk, version_id))


@login_required
@require_POST
def ask(request, pk: int):
    tender = queries.tender_for(request.user, pk, "ask_question")
    form = QuestionForm(request.POST, firms=supplier_firms(request.user))
    status = 400
    if form.is_valid():
        try:
            actions.ask_question(
                request.user, tender, question=form.cleaned_data["question"], organisation=form.cleaned_data.get("organisation")
            )
        except ActionError as error:
            attach_problems(form, error.problems)
            status = error.status
        else:
            messages.success(request, _("Your question was sent to the agency. You will be told when it is answered."))
            return redirect("tenders:detail", pk=tender.pk)
    tender = queries.detail_queryset().get(pk=tender.pk)
    return render(request, "tenders/detail.html", detail_context(request, tender, question_form=form), status=status)


@login_required
@require_POST
def follow(request, pk: int):
    """Follow (or stop following) for every firm the person acts for."""
    tender = queries.tender_for(request.user, pk, "follow_tender")
    firms = supplier_firms(request.user)
    if request.POST.get("follow") == "0":
        for firm in firms:
            actions.unfollow_tender(request.user, tender, firm)
        messages.success(request, _("Your firm no longer follows this tender."))
    else:
        for firm in firms:
            actions.follow_tender(request.user, tender, firm)
        messages.success(request, _("Your firm follows this tender: you will hear of answers, amendments and cancellation."))
    return redirect("tenders:detail", pk=tender.pk)
