"""The firm's own pages: its record, profile, categories, licences and follows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import access, live
from marketplace.errors import ActionError
from marketplace.models import Role
from suppliers import actions, cpv, extensions
from suppliers.eligibility import licences_needed_by
from suppliers.forms import CategoryForm, FollowForm, LicenceForm, ProfileForm, ReasonForm, RestrictionForm, apply_problems
from suppliers.models import Follow, Supplier
from suppliers.views.common import licence_file_response, supplier_for

EXPIRY_SOON_DAYS = 30


@login_required
def mine(request):
    """The firm the user works for (the list when several; registration when none)."""
    organisations = access.organisations_where(request.user, Role.SUPPLIER_ADMIN, Role.BIDDER)
    firms = list(Supplier.objects.filter(organisation__in=organisations))
    if len(firms) == 1:
        return redirect("suppliers:detail", firms[0].pk)
    if not firms:
        return redirect("suppliers:register")
    return render(request, "suppliers/mine.html", {"firms": firms})


def _licence_rows(supplier: Supplier, today):
    rows = []
    for licence in supplier.licences.select_related("licence_type"):
        if not licence.is_valid_on(today):
            state = "expired" if licence.valid_to and licence.valid_to < today else "not_yet"
        elif licence.valid_to and (licence.valid_to - today).days <= EXPIRY_SOON_DAYS:
            state = "expiring"
        else:
            state = "valid"
        rows.append({"licence": licence, "state": state})
    return rows


def render_detail(request, supplier: Supplier, *, decision_forms: dict | None = None, status: int = 200):
    today = timezone.localdate()
    user = request.user
    context = {
        "supplier": supplier,
        "categories": [cpv.get(code) or code for code in supplier.category_codes],
        "licences": _licence_rows(supplier, today),
        "needed": licences_needed_by(supplier, today),
        "follows": supplier.follows.select_related("buyer"),
        "is_member": access.is_member(user, supplier.organisation_id),
        "can_edit": access.can(user, "edit_supplier", supplier),
        "can_follow": access.can(user, "manage_supplier_follows", supplier),
        "can_decide": access.can(user, "decide_supplier", supplier),
        "forms": {
            "return": ReasonForm(prefix="return"),
            "suspend": RestrictionForm(prefix="suspend"),
            "debar": RestrictionForm(prefix="debar"),
        }
        | {"lift": ReasonForm(prefix="lift")}
        | (decision_forms or {}),
        "live_after": live.current_seq(),
        "sections": extensions.sections_for(request, supplier),
    }
    return render(request, "suppliers/detail.html", context, status=status)


@login_required
def detail(request, pk: int):
    return render_detail(request, supplier_for(request, pk))


@login_required
def edit(request, pk: int):
    supplier = supplier_for(request, pk, "edit_supplier")
    initial = {field: getattr(supplier, field) for field in ProfileForm.base_fields}
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial, identity_editable=supplier.identity_is_editable)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changes = {field: value for field, value in form.cleaned_data.items() if not form.fields[field].disabled}
            try:
                actions.update_supplier_profile(request.user, supplier, changes)
            except ActionError as error:
                apply_problems(form, error)
                status = error.status
            else:
                messages.success(request, _("Your firm's details are saved."))
                return redirect("suppliers:detail", supplier.pk)
        else:
            status = 400
    return render(request, "suppliers/edit.html", {"supplier": supplier, "form": form}, status=status)


@login_required
@require_POST
def resubmit(request, pk: int):
    supplier = supplier_for(request, pk, "edit_supplier")
    try:
        actions.resubmit_registration(request.user, supplier)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your registration is resubmitted for verification."))
    return redirect("suppliers:detail", supplier.pk)


@login_required
def categories(request, pk: int):
    supplier = supplier_for(request, pk)
    editable = access.can(request.user, "edit_supplier", supplier)
    form = CategoryForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        access.require(request.user, "edit_supplier", supplier)
        if form.is_valid():
            try:
                category = actions.add_category(request.user, supplier, form.cleaned_data["code"])
            except ActionError as error:
                apply_problems(form, error)
                status = error.status
            else:
                messages.success(request, _("Added %(category)s.") % {"category": category})
                return redirect("suppliers:categories", supplier.pk)
        else:
            status = 400
    query = request.GET.get("q", "").strip()
    context = {
        "supplier": supplier,
        "editable": editable,
        "form": form,
        "listed": supplier.categories.all(),
        "query": query,
        "results": cpv.search(query, limit=50) if query else [],
    }
    return render(request, "suppliers/categories_manage.html", context, status=status)


@login_required
@require_POST
def category_remove(request, pk: int, category_id: int):
    supplier = supplier_for(request, pk, "edit_supplier")
    category = get_object_or_404(supplier.categories, pk=category_id)
    actions.remove_category(request.user, category)
    messages.success(request, _("Removed %(category)s.") % {"category": category})
    return redirect("suppliers:categories", supplier.pk)


@login_required
def licence_new(request, pk: int):
    supplier = supplier_for(request, pk, "manage_supplier_licences")
    form = LicenceForm(request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.add_licence(
                    request.user, supplier, upload=form.cleaned_data["file"], **{k: v for k, v in form.cleaned_data.items() if k != "file"}
                )
            except ActionError as error:
                apply_problems(form, error)
                status = error.status
            else:
                messages.success(request, _("The licence is recorded. It counts for bidding once the registry has checked it."))
                return redirect("suppliers:detail", supplier.pk)
        else:
            status = 400
    return render(request, "suppliers/licence_new.html", {"supplier": supplier, "form": form}, status=status)


@login_required
def licence_file(request, pk: int, licence_id: int):
    return licence_file_response(request, pk, licence_id)


@login_required
@require_POST
def licence_remove(request, pk: int, licence_id: int):
    supplier = supplier_for(request, pk, "manage_supplier_licences")
    licence = get_object_or_404(supplier.licences, pk=licence_id)
    actions.remove_licence(request.user, licence)
    messages.success(request, _("The licence %(number)s is removed.") % {"number": licence.number})
    return redirect("suppliers:detail", supplier.pk)


@login_required
def follows(request, pk: int):
    supplier = supplier_for(request, pk)
    can_follow = access.can(request.user, "manage_supplier_follows", supplier)
    form = FollowForm(request.POST if request.method == "POST" else None, initial={"kind": request.GET.get("kind", Follow.Kind.CATEGORY)})
    status = 200
    if request.method == "POST":
        access.require(request.user, "manage_supplier_follows", supplier)
        if form.is_valid():
            data = form.cleaned_data
            try:
                follow = actions.add_follow(
                    request.user, supplier, kind=data["kind"], category=data["category"], buyer=data["buyer"], keywords=data["keywords"]
                )
            except ActionError as error:
                apply_problems(form, error)
                status = error.status
            else:
                messages.success(request, _("Your firm now follows %(target)s.") % {"target": follow.describe()})
                return redirect("suppliers:follows", supplier.pk)
        else:
            status = 400
    query = request.GET.get("q", "").strip()
    context = {
        "supplier": supplier,
        "can_follow": can_follow,
        "form": form,
        "follows": supplier.follows.select_related("buyer"),
        "query": query,
        "results": cpv.search(query, limit=50) if query else [],
        "buyers": form.fields["buyer"].queryset,
    }
    return render(request, "suppliers/follows.html", context, status=status)


@login_required
@require_POST
def follow_remove(request, pk: int, follow_id: int):
    supplier = supplier_for(request, pk, "manage_supplier_follows")
    follow = get_object_or_404(supplier.follows, pk=follow_id)
    actions.remove_follow(request.user, follow)
    messages.success(request, _("Your firm no longer follows %(target)s.") % {"target": follow.describe()})
    return redirect(reverse("suppliers:follows", args=[supplier.pk]))
