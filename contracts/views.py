"""Contract pages: the list (the public's signed contracts; each party's drafts and contracts
awaiting signatures), the contract page with its sign and decline forms, and, once active, its
milestones with the forms to deliver (the firm), to accept or reject a delivery and to terminate
(the buyer's officer), its amendments with the forms to propose one (the buyer's officer)
and to sign or decline it (the firm's administrator); once completed or terminated, the rating
of the supplier's performance with the facts beside it, and the forms to rate (the buyer's
officer) and to answer (the firm)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import access as contract_access
from contracts import actions, amendments, closing, deliveries, document, forms, performance
from contracts.models import Amendment, Contract, Milestone, PerformanceRating
from contracts.queries import amendment_for, contract_for, milestone_for
from marketplace import access, confirm
from marketplace.access import FIRM_ROLES, organisations_where
from marketplace.errors import ActionError
from marketplace.models import Role


def contracts(request):
    visible = contract_access.visible_contracts(request.user, Contract.objects.select_related("tender", "lot", "buyer", "supplier"))
    buying = [o.pk for o in organisations_where(request.user, Role.PROCUREMENT_OFFICER)]
    firms = [o.pk for o in organisations_where(request.user, *FIRM_ROLES)]
    paying = [o.pk for o in organisations_where(request.user, Role.FINANCE_OFFICER)]
    milestones = Milestone.objects.of_active_contracts().select_related("contract").order_by("due_date", "pk")
    return render(
        request,
        "contracts/list.html",
        {
            "to_prepare": visible.filter(buyer__in=buying, status=Contract.Status.DRAFT),
            "awaiting": visible.filter(buyer__in=buying).awaiting_signatures(),
            "to_sign": visible.filter(supplier__in=firms).awaiting_signatures(),
            "to_accept": milestones.filter(contract__buyer__in=buying).awaiting_decision(),
            "overdue": milestones.filter(contract__buyer__in=buying).overdue_on(deliveries.local_date(timezone.now())),
            "to_deliver": milestones.filter(contract__supplier__in=firms).awaiting_delivery(),
            # The finance officer reads every contract of the agency, in every state, with its milestones.
            "paying": visible.filter(buyer__in=paying).prefetch_related("milestones")[:200] if paying else [],
            "public": visible.public()[:100],
        },
    )


def _page(
    request,
    contract: Contract,
    *,
    sign_form=None,
    decline_form=None,
    terminate_form=None,
    milestone_forms: dict | None = None,
    amendment_form=None,
    amendment_sign_form=None,
    amendment_decline_form=None,
    rating_form=None,
    answer_form=None,
    problems=(),
    status: int = 200,
):
    """The contract page. `milestone_forms` holds the bound forms of the one milestone whose
    form was sent with errors: {number: {"deliver" | "reject": form}}."""
    party = actions.signing_party(request.user, contract) if request.user.is_authenticated else None
    active = contract.status == Contract.Status.ACTIVE
    may_deliver = active and access.can(request.user, "report_delivery", contract)
    may_review = active and access.can(request.user, "review_delivery", contract)
    sent = milestone_forms or {}
    milestones = [
        {
            "milestone": milestone,
            "overdue": active and milestone.is_overdue_on(deliveries.local_date(timezone.now())),
            "deliver_form": (
                sent.get(milestone.number, {}).get("deliver") or forms.DeliveryForm(auto_id=_form_ids(milestone.number))
                if may_deliver and milestone.awaits_delivery
                else None
            ),
            "reject_form": (
                sent.get(milestone.number, {}).get("reject") or forms.RejectDeliveryForm(auto_id=_form_ids(milestone.number))
                if may_review and milestone.status == Milestone.Status.DELIVERED
                else None
            ),
        }
        for milestone in contract.milestones.prefetch_related("deliveries__documents", "deliveries__delivered_by")
    ]
    contract_amendments = list(contract.amendments.prefetch_related("signatures__signed_by", "signatures__organisation"))
    proposed = next((a for a in contract_amendments if a.status == Amendment.Status.PROPOSED), None)
    finished = contract.status in Contract.FINISHED_STATUSES
    rating = PerformanceRating.objects.select_related("rated_by", "answered_by").filter(contract=contract).first()
    may_rate = finished and rating is None and access.can(request.user, "rate_performance", contract)
    may_answer = rating is not None and not rating.is_answered and access.can(request.user, "answer_rating", contract)
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "rating": rating,
            "facts": performance.facts(contract) if rating is not None or may_rate else None,
            "rating_form": (rating_form or forms.RatingForm(auto_id="id_rating_%s")) if may_rate else None,
            "answer_form": (answer_form or forms.AnswerForm(auto_id="id_answer_%s")) if may_answer else None,
            "items": contract.items.all(),
            "signatures": contract.signatures.select_related("signed_by", "certificate"),
            "milestones": milestones,
            "may_prepare": access.can(request.user, "prepare_contract", contract),
            "may_sign": party is not None and contract.status == Contract.Status.AWAITING_SIGNATURES,
            "may_decline": party == Contract.Party.SUPPLIER and contract.status in Contract.SIGNABLE_STATUSES,
            "may_read_documents": access.can(request.user, "read_delivery_documents", contract),
            "may_terminate": active and access.can(request.user, "terminate_contract", contract),
            "amendments": contract_amendments,
            "may_propose_amendment": active and proposed is None and access.can(request.user, "propose_amendment", contract),
            "amendment_to_accept": proposed if active and access.can(request.user, "accept_amendment", contract) else None,
            "amendment_form": amendment_form or forms.AmendmentForm(auto_id="id_amendment_%s", user=request.user),
            "amendment_sign_form": amendment_sign_form or forms.SignForm(auto_id="id_amendment_sign_%s", user=request.user),
            "amendment_decline_form": amendment_decline_form or forms.DeclineAmendmentForm(auto_id="id_amendment_decline_%s"),
            "sign_form": sign_form or forms.SignForm(user=request.user),
            "decline_form": decline_form or forms.DeclineForm(),
            "terminate_form": terminate_form or forms.TerminateForm(auto_id="id_terminate_%s"),
            "problems": problems,
        },
        status=status,
    )


def _form_ids(number: int) -> str:
    """Each milestone's forms get their own element ids: one page holds several."""
    return f"id_milestone_{number}_%s"


def contract(request, pk: int):
    return _page(request, contract_for(request.user, pk))


@login_required
def prepare(request, pk: int):
    """The draft's page for the buyer's officer: period, signatories, special terms, milestones."""
    found = contract_for(request.user, pk, "prepare_contract")
    if request.method != "POST":
        return _prepare_page(request, found, *_draft_forms(found))
    form = forms.DraftForm(request.POST, contract=found)
    milestone_forms = forms.MilestoneFormSet(request.POST, prefix="milestones")
    if not (form.is_valid() and milestone_forms.is_valid()):
        return _prepare_page(request, found, form, milestone_forms, status=400)
    plans = [
        document.Milestone(
            f.cleaned_data["description"], f.cleaned_data["due_date"], f.cleaned_data["amount"], f.cleaned_data["deliverables"]
        )
        for f in milestone_forms
        if not f.is_blank
    ]
    try:
        with transaction.atomic():  # both or neither: the draft as sent, or as it was
            actions.edit_draft(request.user, found, form.changes())
            actions.set_milestones(request.user, found, plans)
    except ActionError as error:
        found.refresh_from_db()
        return _prepare_page(request, found, form, milestone_forms, problems=error.problems, status=error.status)
    messages.success(request, _("The draft is saved."))
    return redirect("contracts:prepare", pk=pk)


def _draft_forms(contract: Contract) -> tuple:
    """The draft's form and milestone forms, filled in with the draft as saved."""
    form = forms.DraftForm(contract=contract, initial={f: getattr(contract, f) for f in ("period_start", "period_end", "special_terms")})
    initial = [
        {"description": m.description, "deliverables": m.deliverables, "due_date": m.due_date, "amount": m.amount}
        for m in contract.milestones.all()
    ]
    return form, forms.MilestoneFormSet(initial=initial, prefix="milestones")


def _prepare_page(request, contract: Contract, form, milestone_forms, *, problems=(), status: int = 200):
    return render(
        request,
        "contracts/prepare.html",
        {"contract": contract, "form": form, "milestone_forms": milestone_forms, "items": contract.items.all(), "problems": problems},
        status=status,
    )


@login_required
@require_POST
def send(request, pk: int):
    found = contract_for(request.user, pk, "prepare_contract")
    if page := confirm.ask(
        request,
        title=_("Send contract %(number)s for signature?") % {"number": found.number},
        consequences=[
            _("The document is rendered and fixed: the draft cannot be edited any more."),
            _("The supplier signs first, by %(deadline)s; then the buyer's signatory.") % {"deadline": found.signing_deadline},
        ],
        action=_("Send for signature"),
        back=reverse("contracts:prepare", args=[pk]),
    ):
        return page
    try:
        actions.send_for_signature(request.user, found)
    except ActionError as error:
        found.refresh_from_db()
        return _prepare_page(request, found, *_draft_forms(found), problems=error.problems, status=error.status)
    messages.success(request, _("Sent for signature. The supplier has been told."))
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def sign(request, pk: int):
    found = contract_for(request.user, pk)
    form = forms.SignForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, found, sign_form=form, status=400)
    try:
        signed = actions.sign_contract(request.user, found, password=form.cleaned_data["password"], otp=form.cleaned_data.get("otp"))
    except ActionError as error:
        return _page(request, found, sign_form=forms.SignForm(user=request.user), problems=error.problems, status=error.status)
    messages.success(request, _("Signed. The contract is active.") if signed.status == Contract.Status.ACTIVE else _("Signed."))
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def decline(request, pk: int):
    found = contract_for(request.user, pk)
    form = forms.DeclineForm(request.POST)
    if not form.is_valid():
        return _page(request, found, decline_form=form, status=400)
    try:
        actions.decline_contract(request.user, found, reason=form.cleaned_data["reason"])
    except ActionError as error:
        return _page(request, found, decline_form=form, problems=error.problems, status=error.status)
    messages.success(request, _("The contract is declined; the award is cancelled."))
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def deliver(request, pk: int, number: int):
    milestone = milestone_for(request.user, pk, number)
    form = forms.DeliveryForm(request.POST, request.FILES, auto_id=_form_ids(number))
    if not form.is_valid():
        return _page(request, milestone.contract, milestone_forms={number: {"deliver": form}}, status=400)
    try:
        deliveries.report_delivery(request.user, milestone, note=form.cleaned_data["note"], documents=form.cleaned_data["documents"])
    except ActionError as error:
        return _page(request, milestone.contract, milestone_forms={number: {"deliver": form}}, problems=error.problems, status=error.status)
    messages.success(request, _("Delivery reported. The buyer's officer will accept or reject it."))
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def accept(request, pk: int, number: int):
    milestone = milestone_for(request.user, pk, number, "review_delivery")
    if page := confirm.ask(
        request,
        title=_("Accept the delivery of milestone %(number)s?") % {"number": milestone.number},
        consequences=[
            _("%(amount)s %(currency)s become due to the supplier, who may invoice them.")
            % {"amount": milestone.amount, "currency": milestone.contract.currency},
            _("An accepted delivery cannot be rejected afterwards; with the last milestone accepted the contract is completed."),
        ],
        action=_("Accept the delivery"),
        back=reverse("contracts:detail", args=[pk]) + f"#milestone-{milestone.number}",
    ):
        return page
    try:
        deliveries.accept_delivery(request.user, milestone)
    except ActionError as error:
        return _page(request, milestone.contract, problems=error.problems, status=error.status)
    messages.success(request, _("Delivery accepted."))
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def reject(request, pk: int, number: int):
    milestone = milestone_for(request.user, pk, number)
    form = forms.RejectDeliveryForm(request.POST, auto_id=_form_ids(number))
    if not form.is_valid():
        return _page(request, milestone.contract, milestone_forms={number: {"reject": form}}, status=400)
    try:
        deliveries.reject_delivery(request.user, milestone, reason=form.cleaned_data["reason"])
    except ActionError as error:
        return _page(request, milestone.contract, milestone_forms={number: {"reject": form}}, problems=error.problems, status=error.status)
    messages.success(request, _("Delivery rejected. The supplier may deliver again."))
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def terminate(request, pk: int):
    found = contract_for(request.user, pk, "terminate_contract")
    form = forms.TerminateForm(request.POST, auto_id="id_terminate_%s")
    if not form.is_valid():
        return _page(request, found, terminate_form=form, status=400)
    if page := confirm.ask(
        request,
        title=_("Terminate contract %(number)s?") % {"number": found.number},
        consequences=[
            _("The contract ends now: no milestone can be delivered or accepted under it any more."),
            _("Its final value is the amount paid, %(amount)s %(currency)s; the reason is public.")
            % {"amount": form.cleaned_data["amount_paid"], "currency": found.currency},
        ],
        action=_("Terminate the contract"),
        back=reverse("contracts:detail", args=[pk]),
    ):
        return page
    try:
        closing.terminate_contract(request.user, found, reason=form.cleaned_data["reason"], amount_paid=form.cleaned_data["amount_paid"])
    except ActionError as error:
        return _page(request, found, terminate_form=form, problems=error.problems, status=error.status)
    messages.success(request, _("The contract is terminated."))
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def propose_amendment(request, pk: int):
    found = contract_for(request.user, pk, "propose_amendment")
    form = forms.AmendmentForm(request.POST, auto_id="id_amendment_%s", user=request.user)
    if not form.is_valid():
        return _page(request, found, amendment_form=form, status=400)
    try:
        amendment = amendments.propose_amendment(request.user, found, **form.cleaned_data)
    except ActionError as error:
        return _page(request, found, amendment_form=form, problems=error.problems, status=error.status)
    messages.success(
        request,
        _("Amendment %(number)s is proposed and signed for the buyer; the supplier is asked to sign it.") % {"number": amendment.number},
    )
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def rate(request, pk: int):
    found = contract_for(request.user, pk, "rate_performance")
    form = forms.RatingForm(request.POST, auto_id="id_rating_%s")
    if not form.is_valid():
        return _page(request, found, rating_form=form, status=400)
    try:
        performance.rate_performance(request.user, found, **form.cleaned_data)
    except ActionError as error:
        return _page(request, found, rating_form=form, problems=error.problems, status=error.status)
    messages.success(request, _("Rating recorded. The supplier may answer it once."))
    return redirect(performance.rating_path(found))


@login_required
@require_POST
def sign_amendment(request, pk: int, number: int):
    amendment = amendment_for(request.user, pk, number, "accept_amendment")
    form = forms.SignForm(request.POST, auto_id="id_amendment_sign_%s", user=request.user)
    if not form.is_valid():
        return _page(request, amendment.contract, amendment_sign_form=form, status=400)
    try:
        amendments.sign_amendment(request.user, amendment, password=form.cleaned_data["password"], otp=form.cleaned_data.get("otp"))
    except ActionError as error:
        return _page(request, amendment.contract, problems=error.problems, status=error.status)
    messages.success(request, _("Amendment %(number)s is signed by both parties and in force.") % {"number": number})
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def decline_amendment(request, pk: int, number: int):
    amendment = amendment_for(request.user, pk, number, "accept_amendment")
    form = forms.DeclineAmendmentForm(request.POST, auto_id="id_amendment_decline_%s")
    if not form.is_valid():
        return _page(request, amendment.contract, amendment_decline_form=form, status=400)
    try:
        amendments.decline_amendment(request.user, amendment, reason=form.cleaned_data["reason"])
    except ActionError as error:
        return _page(request, amendment.contract, amendment_decline_form=form, problems=error.problems, status=error.status)
    messages.success(request, _("Amendment %(number)s is declined; the contract is unchanged.") % {"number": number})
    return redirect("contracts:detail", pk=pk)


@login_required
@require_POST
def answer(request, pk: int):
    found = contract_for(request.user, pk, "answer_rating")
    form = forms.AnswerForm(request.POST, auto_id="id_answer_%s")
    if not form.is_valid():
        return _page(request, found, answer_form=form, status=400)
    try:
        performance.answer_rating(request.user, found, answer=form.cleaned_data["answer"])
    except ActionError as error:
        return _page(request, found, answer_form=form, problems=error.problems, status=error.status)
    messages.success(request, _("Your answer is published with the rating."))
    return redirect(performance.rating_path(found))
