"""State-changing use cases of the platform core: organisations, memberships, API tokens."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace import audit, live
from marketplace.errors import ActionError
from marketplace.models import ROLES_BY_KIND, ApiToken, Membership, Notification, Organisation, User


@transaction.atomic
def create_organisation(actor: User | None, *, kind: str, name: str, code: str | None = None, country: str = "") -> Organisation:
    organisation = Organisation.objects.create(kind=kind, name=name, code=code or None, country=country)
    audit.record("organisation.created", actor=actor, organisation=organisation, obj=organisation, payload={"kind": kind, "name": name})
    return organisation


@transaction.atomic
def grant_role(actor: User | None, user: User, organisation: Organisation, role: str) -> Membership:
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ActionError(f"A {organisation.get_kind_display()} cannot confer the role {role}.", code="role_not_allowed", field="role")
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    if created:
        audit.record("membership.granted", actor=actor, organisation=organisation, obj=membership, payload={"user": user.pk, "role": role})
    return membership


@transaction.atomic
def revoke_role(actor: User | None, membership: Membership) -> None:
    audit.record(
        "membership.revoked",
        actor=actor,
        organisation=membership.organisation,
        obj=membership,
        payload={"user": membership.user_id, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ActionError("Give the token a name, so you can recognise it later.", code="required", field="name")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name[:100], digest=ApiToken.digest_of(key), hint=key[:10])
    audit.record("api_token.issued", actor=user, obj=token, payload={"name": token.name, "hint": token.hint})
    return token, key


@transaction.atomic
def revoke_api_token(user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise ActionError("This token is not yours.", code="forbidden")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("api_token.revoked", actor=user, obj=token, payload={"hint": token.hint})


@transaction.atomic
def revoke_credentials_after_password_change(user: User, *, reason: str) -> int:
    """A new password ends everything the old one opened: every API token is revoked here, and
    every other session ends by itself (Django signs sessions with a hash of the password)."""
    now = timezone.now()
    revoked = ApiToken.objects.live().filter(user=user).update(revoked_at=now)
    audit.record("user.password_changed", actor=user, obj=user, now=now, payload={"reason": reason, "tokens_revoked": revoked})
    return revoked


@transaction.atomic
def mark_notifications_read(user: User, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    count = unread.update(read_at=timezone.now())
    remaining = Notification.objects.filter(user=user, read_at__isnull=True).count()
    # Other open tabs of this person update their badge.
    live.publish(f"user.{user.pk}", "notifications.read", {"unread": remaining})
    return count


def choose_language(user: User, language: str) -> None:
    """Remember the language the person reads in, for the notifications and e-mails they get.
    A preference, not a fact of any procedure: it is not audited."""
    if language not in dict(settings.LANGUAGES):
        raise ActionError(f"{language} is not a language of the platform.", code="invalid", field="language")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
