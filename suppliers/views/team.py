"""The firm's team page: members, their roles, invitations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import access
from marketplace.errors import ActionError
from marketplace.models import Membership, User
from suppliers import actions
from suppliers.actions.team import invitation_link
from suppliers.forms import InviteForm, RoleForm, apply_problems
from suppliers.models import Invitation
from suppliers.views.common import supplier_for


def _people(supplier):
    people: dict[int, dict] = {}
    memberships = Membership.objects.filter(organisation_id=supplier.organisation_id).select_related("user").order_by("user__email")
    for membership in memberships:
        entry = people.setdefault(membership.user_id, {"user": membership.user, "roles": []})
        entry["roles"].append(membership.get_role_display())
    return list(people.values())


@login_required
def team(request, pk: int):
    supplier = supplier_for(request, pk)
    can_manage = access.can(request.user, "manage_organisation_members", supplier.organisation)
    form = InviteForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        access.require(request.user, "manage_organisation_members", supplier.organisation)
        if form.is_valid():
            try:
                invitation, key = actions.invite_member(
                    request.user, supplier.organisation, form.cleaned_data["email"], form.cleaned_data["role"]
                )
            except ActionError as error:
                apply_problems(form, error)
                status = error.status
            else:
                # Shown once, on the next page only, so it can be passed on another way too.
                request.session["invitation_link"] = invitation_link(key)
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
                return redirect("suppliers:team", supplier.pk)
        else:
            status = 400
    context = {
        "supplier": supplier,
        "people": _people(supplier),
        "invitations": Invitation.objects.pending(timezone.now()).filter(organisation=supplier.organisation),
        "can_manage": can_manage,
        "form": form,
        "role_form": RoleForm(),
        "new_link": request.session.pop("invitation_link", None),
    }
    return render(request, "suppliers/team.html", context, status=status)


def _member_of(supplier, user_id: int) -> User:
    return get_object_or_404(User, pk=user_id, memberships__organisation_id=supplier.organisation_id)


@login_required
@require_POST
def member_role(request, pk: int, user_id: int):
    supplier = supplier_for(request, pk)
    access.require(request.user, "manage_organisation_members", supplier.organisation)
    member = _member_of(supplier, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose administrator or bidder."))
        return redirect("suppliers:team", supplier.pk)
    try:
        actions.set_member_role(request.user, supplier.organisation, member, form.cleaned_data["role"])
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(person)s's role is changed.") % {"person": member})
    return redirect("suppliers:team", supplier.pk)


@login_required
@require_POST
def member_remove(request, pk: int, user_id: int):
    supplier = supplier_for(request, pk)
    access.require(request.user, "manage_organisation_members", supplier.organisation)
    member = _member_of(supplier, user_id)
    try:
        actions.remove_member(request.user, supplier.organisation, member)
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("suppliers:team", supplier.pk)
    messages.success(request, _("%(person)s is no longer a member of %(firm)s.") % {"person": member, "firm": supplier.legal_name})
    if member.pk == request.user.pk:
        return redirect("home")
    return redirect("suppliers:team", supplier.pk)


@login_required
@require_POST
def invitation_revoke(request, pk: int, invitation_id: int):
    supplier = supplier_for(request, pk)
    access.require(request.user, "manage_organisation_members", supplier.organisation)
    invitation = get_object_or_404(Invitation, pk=invitation_id, organisation_id=supplier.organisation_id)
    try:
        actions.revoke_invitation(request.user, invitation)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email})
    return redirect("suppliers:team", supplier.pk)
