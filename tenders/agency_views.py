"""The agency workspace: procurement officers draft, publish, answer, amend and cancel tenders."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import access, confirm, live
from marketplace.errors import ActionError
from tenders import actions, queries, rules, signals
from tenders.forms import AmendForm, AnswerForm, CancelForm, ClarificationForm, DocumentForm, DraftForms, attach_problems
from tenders.models import Tender


@login_required
def workspace(request):
    access.require(request.user, "use_agency_workspace")
    now = timezone.now()
    today_ends = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    tenders = list(queries.workspace_tenders(queries.officer_agencies(request.user)))
    groups = {"draft": [], "open": [], "closed": [], "later": [], "finished": []}
    for tender in tenders:
        status = tender.status_at(now)
        if status == Tender.Status.DRAFT:
            groups["draft"].append(tender)
        elif status == Tender.Status.PUBLISHED:
            groups["open"].append(tender)
        elif status == Tender.Status.CLOSED:
            groups["closed"].append(tender)
        elif status in (Tender.Status.CANCELLED, Tender.Status.UNSUCCESSFUL, Tender.Status.COMPLETED):
            groups["finished"].append(tender)
        else:
            groups["later"].append(tender)
    context = {
        "now": now,
        "groups": groups,
        "questions": [t for t in groups["open"] if t.waiting_questions],
        "deadlines_today": [t for t in groups["open"] if t.submission_deadline < today_ends],
        "clarifications_closing_today": [
            t for t in groups["open"] if t.clarification_deadline and now < t.clarification_deadline < today_ends
        ],
        "agencies": queries.officer_agencies(request.user),
    }
    return render(request, "tenders/workspace.html", context)


@login_required
def create(request):
    agencies = queries.officer_agencies(request.user)
    if not agencies:
        raise PermissionDenied("author_tenders")
    chosen = request.POST.get("buyer") or request.GET.get("buyer")
    agency = next((a for a in agencies if str(a.pk) == chosen), agencies[0])
    access.require(request.user, "author_tenders", agency)
    return _author(request, agency, None)


@login_required
def edit(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender", queryset=queries.detail_queryset())
    if tender.status != Tender.Status.DRAFT:
        messages.error(request, _("A published tender changes by amendment."))
        return redirect("tenders:manage", pk=tender.pk)
    return _author(request, tender.buyer, tender)


def _author(request, agency, tender: Tender | None):
    draft = DraftForms(agency, tender, data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if draft.is_valid():
            try:
                spec = draft.spec()
                if tender is None:
                    tender = actions.create_draft(request.user, agency, spec)
                else:
                    tender = actions.update_draft(request.user, tender, spec)
            except ActionError as error:
                draft.attach(error.problems)
                status = error.status
            else:
                messages.success(request, _("Draft saved."))
                if "preview" in request.POST:
                    return redirect("tenders:detail", pk=tender.pk)
                return redirect("tenders:manage", pk=tender.pk)
    context = {"draft": draft, "tender": tender, "agency": agency, "agencies": queries.officer_agencies(request.user)}
    return render(request, "tenders/author.html", context, status=status)


@login_required
def manage(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender", queryset=queries.detail_queryset())
    return render(request, "tenders/manage.html", manage_context(request, tender))


def manage_context(request, tender: Tender, **forms) -> dict:
    now = timezone.now()
    problems = []
    if tender.status == Tender.Status.DRAFT:
        problems = rules.publication_problems(tender, now)
        for _receiver, found in signals.publication_check.send(sender=Tender, tender=tender, actor=request.user, now=now):
            problems += list(found or [])
    questions = queries.questions_seen_by(request.user, tender)
    open_for_changes = tender.status == Tender.Status.PUBLISHED and not tender.is_past_deadline(now)
    return {
        "tender": tender,
        "now": now,
        "status": tender.status_at(now),
        "status_label": tender.status_label_at(now),
        "problems": problems,
        "minimum_response": rules.describe_minimum(tender),
        "questions": [
            (q, forms.get(f"answer_{q.pk}") or AnswerForm(prefix=f"q{q.pk}", initial={"question": q.question})) for q in questions
        ],
        "open_for_changes": open_for_changes,
        "may_upload": tender.status == Tender.Status.DRAFT or open_for_changes,
        "may_cancel": tender.status in (Tender.Status.PUBLISHED, Tender.Status.CLOSED),
        "document_form": forms.get("document_form") or DocumentForm(tender=tender),
        "clarification_form": forms.get("clarification_form") or ClarificationForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "publish_error": forms.get("publish_error"),
        "amendments": sorted(tender.amendments.all(), key=lambda a: a.number, reverse=True),
        "live_after": live.current_seq(),
    }


def _manage_again(request, tender: Tender, status: int, **forms):
    tender = queries.detail_queryset().get(pk=tender.pk)
    return render(request, "tenders/manage.html", manage_context(request, tender, **forms), status=status)


@login_required
@require_POST
def publish(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender")
    if page := confirm.ask(
        request,
        title=_("Publish “%(title)s”?") % {"title": tender.title},
        consequences=[
            _("Everyone can read it at once, and suppliers following its categories are told."),
            _(
                "After publication it changes only by a public amendment, with its reason; it can be withdrawn only by a public cancellation."
            ),
            _("The sealing keys are made: bids can be sealed for it from now on."),
        ],
        action=_("Publish"),
        back=reverse("tenders:manage", args=[tender.pk]),
    ):
        return page
    try:
        tender = actions.publish_tender(request.user, tender)
    except ActionError as error:
        return _manage_again(request, tender, error.status, publish_error=error)
    messages.success(request, _("Published as %(reference)s.") % {"reference": tender.reference})
    return redirect("tenders:manage", pk=tender.pk)


@login_required
@require_POST
def discard(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender")
    try:
        actions.discard_draft(request.user, tender)
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("tenders:manage", pk=tender.pk)
    messages.success(request, _("The draft was discarded."))
    return redirect("tenders:workspace")


@login_required
@require_POST
def upload(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender")
    form = DocumentForm(request.POST, request.FILES, tender=tender)
    if not form.is_valid():
        return _manage_again(request, tender, 400, document_form=form)
    data = form.cleaned_data
    try:
        version = actions.upload_document(
            request.user,
            tender,
            data["file"],
            title=data["title"],
            document=data["document"],
            document_type=data["document_type"],
            reason=data.get("reason", ""),
        )
    except ActionError as error:
        attach_problems(form, error.problems)
        return _manage_again(request, tender, error.status, document_form=form)
    messages.success(request, _("%(file)s uploaded as version %(version)s.") % {"file": version.filename, "version": version.version})
    return redirect("tenders:manage", pk=tender.pk)


@login_required
def amend(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender", queryset=queries.detail_queryset())
    form = AmendForm(request.POST or None, tender=tender)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                amendment = actions.amend_tender(
                    request.user, tender, reason=form.cleaned_data["reason"], changes=form.changes(), lot_changes=form.lot_changes()
                )
            except ActionError as error:
                form.attach(error.problems)
                status = error.status
            else:
                messages.success(request, _("Amendment %(number)s published.") % {"number": amendment.number})
                return redirect("tenders:manage", pk=tender.pk)
    return render(request, "tenders/amend.html", {"tender": tender, "form": form, "now": timezone.now()}, status=status)


@login_required
@require_POST
def cancel(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender")
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _manage_again(request, tender, 400, cancel_form=form)
    try:
        actions.cancel_tender(request.user, tender, reason=form.cleaned_data["reason"])
    except ActionError as error:
        attach_problems(form, error.problems)
        return _manage_again(request, tender, error.status, cancel_form=form)
    messages.success(request, _("The tender was cancelled; the notice is public."))
    return redirect("tenders:manage", pk=tender.pk)


@login_required
@require_POST
def clarify(request, pk: int):
    tender = queries.tender_for(request.user, pk, "manage_tender")
    form = ClarificationForm(request.POST)
    if not form.is_valid():
        return _manage_again(request, tender, 400, clarification_form=form)
    try:
        clarification = actions.publish_clarification(request.user, tender, **form.cleaned_data)
    except ActionError as error:
        attach_problems(form, error.problems)
        return _manage_again(request, tender, error.status, clarification_form=form)
    messages.success(request, _("Clarification %(number)s published.") % {"number": clarification.number})
    return redirect("tenders:manage", pk=tender.pk)


@login_required
@require_POST
def answer(request, pk: int):
    clarification = queries.clarification_for(request.user, pk, manage=True)
    form = AnswerForm(request.POST, prefix=f"q{clarification.pk}")
    tender = clarification.tender
    if not form.is_valid():
        return _manage_again(request, tender, 400, **{f"answer_{clarification.pk}": form})
    try:
        clarification = actions.answer_question(request.user, clarification, **form.cleaned_data)
    except ActionError as error:
        attach_problems(form, error.problems)
        return _manage_again(request, tender, error.status, **{f"answer_{clarification.pk}": form})
    messages.success(request, _("Answer published as clarification %(number)s.") % {"number": clarification.number})
    return redirect("tenders:manage", pk=tender.pk)
