"""A firm's team: invitations by e-mail, roles (administrator, bidder), leaving.

Team changes lock the organisation row first, so two administrators removing each other at
the same moment cannot leave the firm without one.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import access, audit
from marketplace import actions as platform
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import Membership, Organisation, Role, User
from marketplace.notify import notify
from marketplace.timefmt import shown
from suppliers.actions.common import lock_organisation, members_of
from suppliers.models import Invitation


def invitation_link(key: str) -> str:
    return settings.SITE_URL + reverse("suppliers:invitation", args=[key])


def _send_invitation(invitation: Invitation, key: str) -> None:
    expires = shown(invitation.expires_at)
    body = _(
        "%(inviter)s invites you to join %(firm)s on Tenderhall as %(role)s.\n\n"
        "Accept with this link before %(expires)s (it works once):\n%(link)s\n\n"
        "If you did not expect this invitation, ignore this e-mail."
    ) % {
        "inviter": invitation.invited_by,
        "firm": invitation.organisation.name,
        "role": invitation.get_role_display(),
        "expires": expires,
        "link": invitation_link(key),
    }
    send_mail(_("Invitation to join %(firm)s on Tenderhall") % {"firm": invitation.organisation.name}, body, None, [invitation.email])


@transaction.atomic
def invite_member(actor: User, organisation: Organisation, email: str, role: str, now: datetime | None = None) -> tuple[Invitation, str]:
    """Invite a person by e-mail; returns the invitation and the link's key (not stored)."""
    now = now or timezone.now()
    email = (email or "").strip().lower()
    if role not in Invitation.ROLES:
        raise ActionError(_("Choose administrator or bidder."), code="invalid_role", field="role")
    if not email:
        raise ActionError(_("Enter the e-mail address of the person to invite."), code="required", field="email")
    organisation = lock_organisation(organisation)
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ActionError(_("This person is already a member of your firm."), code="already_member", field="email")
    # A new invitation replaces any earlier one to the same address.
    Invitation.objects.pending(now).filter(organisation=organisation, email=email).update(revoked_at=now)
    key = Invitation.new_key()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        digest=Invitation.digest_of(key),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=settings.SUPPLIER_INVITATION_DAYS),
    )
    audit.record("invitation.sent", actor=actor, organisation=organisation, obj=invitation, payload={"email": email, "role": role}, now=now)
    # A mail server that fails must not turn a recorded invitation into an error: the admin also sees the link.
    transaction.on_commit(lambda: _send_invitation(invitation, key), robust=True)
    return invitation, key


@transaction.atomic
def revoke_invitation(actor: User, invitation: Invitation, now: datetime | None = None) -> None:
    now = now or timezone.now()
    lock_organisation(invitation.organisation)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state_at(now) != Invitation.State.PENDING:
        raise Conflict(_("Only a pending invitation can be withdrawn."), code="not_pending")
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    audit.record("invitation.revoked", actor=actor, organisation=invitation.organisation, obj=invitation, now=now)


def _refuse_unusable(invitation: Invitation, now: datetime) -> None:
    state = invitation.state_at(now)
    if state == Invitation.State.ACCEPTED:
        raise Conflict(_("This invitation has already been used. Sign in to reach your firm."), code="invitation_used")
    if state == Invitation.State.REVOKED:
        raise Conflict(_("This invitation was withdrawn by the firm."), code="invitation_revoked")
    if state == Invitation.State.EXPIRED:
        when = shown(invitation.expires_at)
        raise Conflict(
            _("This invitation expired on %(date)s: ask the firm's administrator for a new one.") % {"date": when},
            code="invitation_expired",
        )


def _new_account(email: str, full_name: str, password: str) -> User:
    if User.objects.filter(email__iexact=email).exists():
        raise ActionError(_("An account with this e-mail address exists: sign in to accept the invitation."), code="account_exists")
    full_name = (full_name or "").strip()
    if not full_name:
        raise ActionError(_("Enter your name."), code="required", field="full_name")
    try:
        validate_password(password or "", user=User(email=email, full_name=full_name))
    except ValidationError as exc:
        raise ActionError(problems=[Problem(message, "weak_password", "password") for message in exc.messages]) from None
    return User.objects.create_user(email, password, full_name=full_name[:200])


@transaction.atomic
def accept_invitation(
    invitation: Invitation, *, user: User | None = None, full_name: str = "", password: str = "", now: datetime | None = None
) -> Membership:
    """Join the firm: as the signed-in person (whose address the invitation names), or with a new account."""
    now = now or timezone.now()
    organisation = lock_organisation(invitation.organisation)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _refuse_unusable(invitation, now)
    if user is not None and user.is_authenticated:
        if user.email.lower() != invitation.email:
            raise Forbidden(
                _("This invitation was sent to %(email)s: sign in with that address to accept it.") % {"email": invitation.email},
                code="wrong_account",
            )
    else:
        user = _new_account(invitation.email, full_name, password)
    membership = platform.grant_role(invitation.invited_by, user, organisation, invitation.role)
    access.forget(user)
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record("invitation.accepted", actor=user, organisation=organisation, obj=invitation, payload={"role": invitation.role}, now=now)
    notify(
        [admin for admin in members_of(organisation, Role.SUPPLIER_ADMIN) if admin.pk != user.pk],
        kind="team.joined",
        title=lambda: (
            _("%(person)s joined %(firm)s as %(role)s") % {"person": user, "firm": organisation.name, "role": invitation.get_role_display()}
        ),
        url=reverse("suppliers:team", args=[organisation.supplier.pk]),
        organisation=organisation,
        email=False,
    )
    return membership


def _refuse_losing_last_admin(organisation: Organisation, user: User) -> None:
    others = Membership.objects.filter(organisation=organisation, role=Role.SUPPLIER_ADMIN, user__is_active=True).exclude(user=user)
    if not others.exists():
        raise Conflict(
            _("Your firm must keep at least one administrator: make someone else an administrator first."),
            code="last_admin",
        )


def _memberships(organisation: Organisation, user: User) -> list[Membership]:
    held = list(Membership.objects.filter(organisation=organisation, user=user).select_related("organisation"))
    if not held:
        raise ActionError(_("This person is not a member of your firm."), code="not_member")
    return held


@transaction.atomic
def set_member_role(actor: User, organisation: Organisation, user: User, role: str) -> Membership:
    """Make a member an administrator or a bidder (one role each)."""
    if role not in Invitation.ROLES:
        raise ActionError(_("Choose administrator or bidder."), code="invalid_role", field="role")
    organisation = lock_organisation(organisation)
    held = _memberships(organisation, user)
    if role != Role.SUPPLIER_ADMIN and any(m.role == Role.SUPPLIER_ADMIN for m in held):
        _refuse_losing_last_admin(organisation, user)
    membership = platform.grant_role(actor, user, organisation, role)
    for other in held:
        if other.role != role:
            platform.revoke_role(actor, other)
    access.forget(user)
    return membership


@transaction.atomic
def remove_member(actor: User, organisation: Organisation, user: User) -> None:
    """Remove a person from the firm (an administrator may also remove themself)."""
    organisation = lock_organisation(organisation)
    held = _memberships(organisation, user)
    if any(m.role == Role.SUPPLIER_ADMIN for m in held):
        _refuse_losing_last_admin(organisation, user)
    for membership in held:
        platform.revoke_role(actor, membership)
    access.forget(user)
