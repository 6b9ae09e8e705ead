"""Pages anyone may open: registration, the directory, a firm's public profile, the debarment
list, CPV categories, and the invitation link."""

from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import access
from marketplace.errors import ActionError
from marketplace.models import User
from suppliers import actions, cpv, extensions
from suppliers.filters import DebarmentFilter, DirectoryFilter
from suppliers.forms import NewAccountForm, RegistrationForm, apply_problems
from suppliers.models import Invitation, Supplier, SupplierCategory
from suppliers.views.common import filtered, page_of, public_supplier_for, query_without_page

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def register(request):
    signed_in = request.user.is_authenticated
    form = RegistrationForm(request.POST if request.method == "POST" else None, signed_in=signed_in)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                supplier = actions.register_supplier(
                    request.user if signed_in else None,
                    legal_name=data["legal_name"],
                    country=data["country"],
                    registration_number=data["registration_number"],
                    address=data["address"],
                    contact_email=data["contact_email"],
                    contact_phone=data["contact_phone"],
                    website=data["website"],
                    headcount=data["headcount"],
                    turnover_eur=data["turnover_eur"],
                    categories=data["categories"],
                    listed_in_directory=data["listed_in_directory"],
                    admin_email=data.get("admin_email", ""),
                    admin_name=data.get("admin_name", ""),
                    password=data.get("password", ""),
                )
            except ActionError as error:
                apply_problems(form, error)
                status = error.status
            else:
                if not signed_in:
                    login(request, supplier.organisation.memberships.get().user, backend=AUTH_BACKEND)
                messages.success(
                    request,
                    _("%(name)s is registered. A registry officer will verify it; you will be notified.") % {"name": supplier.legal_name},
                )
                return redirect("suppliers:detail", supplier.pk)
        else:
            status = 400
    return render(request, "suppliers/register.html", {"form": form}, status=status)


def _with_categories(queryset):
    return queryset.prefetch_related(Prefetch("categories", queryset=SupplierCategory.objects.order_by("code")))


def directory(request):
    listed = DirectoryFilter(request.GET or None, queryset=_with_categories(Supplier.objects.in_directory()))
    context = {"filter": listed, "page": page_of(request, filtered(listed)), "query": query_without_page(request)}
    return render(request, "suppliers/directory.html", context)


def profile(request, pk: int):
    """What anyone may know of a verified firm: its name, country and standing, its directory
    entry if it chose one, and what other apps add (its performance record)."""
    supplier = public_supplier_for(request, pk)
    context = {
        "supplier": supplier,
        "listed": supplier.listed_in_directory and supplier.status == Supplier.Status.VERIFIED,
        "categories": [cpv.get(code) or code for code in supplier.category_codes],
        "sections": extensions.sections_for(request, supplier),
        "may_view_record": access.can(request.user, "view_supplier", supplier),
    }
    return render(request, "suppliers/profile.html", context)


def debarments(request):
    today = timezone.localdate()
    listed = DebarmentFilter(request.GET or None, queryset=Supplier.objects.debarred_on(today).order_by("legal_name"))
    context = {"filter": listed, "page": page_of(request, filtered(listed)), "query": query_without_page(request), "today": today}
    return render(request, "suppliers/debarments.html", context)


def categories(request):
    """Search CPV 2008 by code or words, or browse it from the divisions down."""
    query = request.GET.get("q", "").strip()
    code = request.GET.get("code", "").strip()
    current = cpv.get(code) if code else None
    if code and current is None:
        raise Http404
    if query:
        entries = cpv.search(query, limit=100)
    elif current:
        entries = cpv.children(current.code)
    else:
        entries = [entry for entry in cpv.vocabulary().values() if entry.level == 1]
    context = {
        "query": query,
        "current": current,
        "ancestors": cpv.ancestors(current.code) if current else [],
        "entries": entries,
        "pick_for": request.GET.get("for", ""),
    }
    return render(request, "suppliers/categories.html", context)


def invitation(request, key: str):
    """Accept an invitation to join a firm: signed in with the invited address, or with a new account."""
    found = get_object_or_404(Invitation.objects.select_related("organisation", "invited_by"), digest=Invitation.digest_of(key))
    now = timezone.now()
    state = found.state_at(now)
    signed_in = request.user.is_authenticated
    account_exists = not signed_in and User.objects.filter(email__iexact=found.email).exists()
    form = NewAccountForm(request.POST if request.method == "POST" else None) if not signed_in and not account_exists else None
    context = {"invitation": found, "state": state, "form": form, "account_exists": account_exists, "error": None}
    if request.method == "POST":
        if form is not None and not form.is_valid():
            return render(request, "suppliers/invitation.html", context, status=400)
        fields = form.cleaned_data if form is not None else {}
        try:
            membership = actions.accept_invitation(
                found,
                user=request.user if signed_in else None,
                full_name=fields.get("full_name", ""),
                password=fields.get("password", ""),
                now=now,
            )
        except ActionError as error:
            if form is not None:
                apply_problems(form, error)
            context["error"] = error.message
            found.refresh_from_db()
            context["state"] = found.state_at(now)
            return render(request, "suppliers/invitation.html", context, status=error.status)
        if not signed_in:
            login(request, membership.user, backend=AUTH_BACKEND)
        access.forget(request.user)
        messages.success(request, _("Welcome to %(firm)s.") % {"firm": found.organisation.name})
        return redirect("suppliers:detail", found.organisation.supplier.pk)
    status = {Invitation.State.PENDING: 200, Invitation.State.ACCEPTED: 409}.get(state, 410)
    return render(request, "suppliers/invitation.html", context, status=status)
