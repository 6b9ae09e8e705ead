"""Contract pages: the list (the public's signed contracts; each party's drafts and contracts
awaiting signatures), the contract page, and its sign and decline forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import access as contract_access
from contracts import actions, forms
from contracts.models import Contract
from contracts.queries import contract_for
from marketplace import access
from marketplace.access import FIRM_ROLES, organisations_where
from marketplace.errors import ActionError
from marketplace.models import Role


def contracts(request):
    visible = contract_access.visible_contracts(request.user, Contract.objects.select_related("tender", "lot", "buyer", "supplier"))
    buying = [o.pk for o in organisations_where(request.user, Role.PROCUREMENT_OFFICER)]
    firms = [o.pk for o in organisations_where(request.user, *FIRM_ROLES)]
    return render(
        request,
        "contracts/list.html",
        {
            "to_prepare": visible.filter(buyer__in=buying, status=Contract.Status.DRAFT),
            "awaiting": visible.filter(buyer__in=buying).awaiting_signatures(),
            "to_sign": visible.filter(supplier__in=firms).awaiting_signatures(),
            "public": visible.public()[:100],
        },
    )


def _page(request, contract: Contract, *, sign_form=None, decline_form=None, problems=(), status: int = 200):
    party = actions.signing_party(request.user, contract) if request.user.is_authenticated else None
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "items": contract.items.all(),
            "signatures": contract.signatures.select_related("signed_by", "certificate"),
            "may_prepare": access.can(request.user, "prepare_contract", contract),
            "may_sign": party is not None and contract.status == Contract.Status.AWAITING_SIGNATURES,
            "may_decline": party == Contract.Party.SUPPLIER and contract.status in Contract.SIGNABLE_STATUSES,
            "sign_form": sign_form or forms.SignForm(),
            "decline_form": decline_form or forms.DeclineForm(),
            "problems": problems,
        },
        status=status,
    )


def contract(request, pk: int):
    return _page(request, contract_for(request.user, pk))


@login_required
@require_POST
def sign(request, pk: int):
    found = contract_for(request.user, pk)
    form = forms.SignForm(request.POST)
    if not form.is_valid():
        return _page(request, found, sign_form=form, status=400)
    try:
        signed = actions.sign_contract(request.user, found, password=form.cleaned_data["password"])
    except ActionError as error:
        return _page(request, found, sign_form=forms.SignForm(), problems=error.problems, status=error.status)
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
