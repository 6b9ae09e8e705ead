"""The registry officers' pages: the verification queue, decisions on a firm, licence types."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import access
from marketplace.errors import ActionError
from suppliers import actions
from suppliers.filters import RegistryFilter
from suppliers.forms import LicenceTypeForm, ReasonForm, RequirementForm, RestrictionForm, apply_problems
from suppliers.models import Licence, LicenceRequirement, LicenceType, Supplier
from suppliers.views.common import filtered, page_of, query_without_page, supplier_for
from suppliers.views.firm import render_detail


@login_required
def queue(request):
    access.require(request.user, "view_registry_queue")
    # Without any filter the queue shows what waits for a decision, oldest first.
    data = request.GET if request.GET else {"status": Supplier.Status.APPLIED}
    listed = RegistryFilter(data, queryset=Supplier.objects.select_related("organisation").order_by("submitted_at"))
    context = {
        "filter": listed,
        "page": page_of(request, filtered(listed)),
        "query": query_without_page(request),
        "licences_to_check": Licence.objects.to_check().select_related("supplier", "licence_type").order_by("uploaded_at")[:50],
    }
    return render(request, "suppliers/queue.html", context)


def _decide(request, pk: int, form_class, prefix: str, decide, done: str):
    supplier = supplier_for(request, pk, "decide_supplier")
    form = form_class(request.POST, prefix=prefix) if form_class else None
    if form is not None and not form.is_valid():
        return render_detail(request, supplier, decision_forms={prefix: form}, status=400)
    try:
        decide(supplier, form.cleaned_data if form is not None else {})
    except ActionError as error:
        if form is None:
            messages.error(request, error.message)
            return redirect("suppliers:detail", supplier.pk)
        apply_problems(form, error)
        return render_detail(request, supplier, decision_forms={prefix: form}, status=error.status)
    messages.success(request, done % {"name": supplier.legal_name})
    return redirect("suppliers:detail", supplier.pk)


@login_required
@require_POST
def licence_check(request, pk: int, licence_id: int):
    supplier = supplier_for(request, pk, "decide_supplier")
    licence = get_object_or_404(supplier.licences, pk=licence_id)
    form = ReasonForm(request.POST, prefix=f"licence-{licence.pk}")
    accept = request.POST.get("decision") == "accept"
    if not form.is_valid():
        return render_detail(request, supplier, status=400)
    try:
        actions.check_licence(request.user, licence, accept=accept, reason=form.cleaned_data["reason"])
    except ActionError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('suppliers:detail', args=[supplier.pk])}#licences")
    done = _("%(number)s is accepted.") if accept else _("%(number)s is refused; the firm is told why.")
    messages.success(request, done % {"number": licence.number})
    return redirect(f"{reverse('suppliers:detail', args=[supplier.pk])}#licences")


@login_required
@require_POST
def verify(request, pk: int):
    return _decide(request, pk, None, "verify", lambda s, d: actions.verify_supplier(request.user, s), _("%(name)s is verified."))


@login_required
@require_POST
def return_for_correction(request, pk: int):
    return _decide(
        request,
        pk,
        ReasonForm,
        "return",
        lambda s, d: actions.return_for_correction(request.user, s, d["reason"]),
        _("%(name)s is returned for correction."),
    )


@login_required
@require_POST
def suspend(request, pk: int):
    return _decide(
        request,
        pk,
        RestrictionForm,
        "suspend",
        lambda s, d: actions.suspend_supplier(request.user, s, d["reason"], d["until"]),
        _("%(name)s is suspended."),
    )


@login_required
@require_POST
def debar(request, pk: int):
    return _decide(
        request,
        pk,
        RestrictionForm,
        "debar",
        lambda s, d: actions.debar_supplier(request.user, s, d["reason"], d["until"]),
        _("%(name)s is debarred."),
    )


@login_required
@require_POST
def lift(request, pk: int):
    return _decide(
        request,
        pk,
        ReasonForm,
        "lift",
        lambda s, d: actions.lift_restriction(request.user, s, d["reason"]),
        _("The restriction on %(name)s is lifted."),
    )


def _licence_types_page(request, type_form=None, requirement_form=None, status=200):
    context = {
        "types": LicenceType.objects.prefetch_related("requirements"),
        "type_form": type_form or LicenceTypeForm(prefix="type"),
        "requirement_form": requirement_form or RequirementForm(prefix="requirement"),
        "can_manage": access.can(request.user, "manage_licence_types"),
    }
    return render(request, "suppliers/licence_types.html", context, status=status)


@login_required
def licence_types(request):
    access.require(request.user, "view_registry_queue")
    if request.method != "POST":
        return _licence_types_page(request)
    access.require(request.user, "manage_licence_types")
    if "type-name" in request.POST:
        form = LicenceTypeForm(request.POST, prefix="type")
        if not form.is_valid():
            return _licence_types_page(request, type_form=form, status=400)
        try:
            created = actions.create_licence_type(request.user, **form.cleaned_data)
        except ActionError as error:
            apply_problems(form, error)
            return _licence_types_page(request, type_form=form, status=error.status)
        messages.success(request, _("Licence type “%(name)s” created.") % {"name": created.name})
        return redirect("suppliers:licence-types")
    form = RequirementForm(request.POST, prefix="requirement")
    if not form.is_valid():
        return _licence_types_page(request, requirement_form=form, status=400)
    try:
        actions.add_licence_requirement(request.user, form.cleaned_data["licence_type"], form.cleaned_data["category"])
    except ActionError as error:
        apply_problems(form, error)
        return _licence_types_page(request, requirement_form=form, status=error.status)
    messages.success(request, _("Requirement added."))
    return redirect("suppliers:licence-types")


@login_required
@require_POST
def requirement_remove(request, requirement_id: int):
    access.require(request.user, "manage_licence_types")
    requirement = get_object_or_404(LicenceRequirement.objects.select_related("licence_type"), pk=requirement_id)
    actions.remove_licence_requirement(request.user, requirement)
    messages.success(request, _("Requirement removed."))
    return redirect("suppliers:licence-types")
