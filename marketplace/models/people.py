"""People, the organisations they act for, and the roles they hold there."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)

    def with_membership(self, *roles: str, organisation=None):
        """Active people holding one of `roles` (any role when none is named), in `organisation`
        when one is given: an Organisation, its pk, or a queryset of either."""
        memberships = Membership.objects.active()
        if roles:
            memberships = memberships.with_role(*roles)
        if isinstance(organisation, models.QuerySet):
            memberships = memberships.filter(organisation__in=organisation)
        elif organisation is not None:
            memberships = memberships.filter(organisation=organisation)
        return self.filter(pk__in=memberships.values("user_id"))


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with an e-mail address; acts through memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Platform staff may use the Django admin; that is a technical role, not a procurement one.
    is_staff = models.BooleanField(_("platform staff"), default=False)
    # The language the person chose with the language switcher: notifications and e-mails to
    # them are written in it. Blank: the platform's (LANGUAGE_CODE).
    language = models.CharField(_("Language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    @property
    def reading_language(self) -> str:
        """The language notifications and e-mails to this person are written in."""
        return self.language or settings.LANGUAGE_CODE

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def is_officer(self) -> bool:
        """Platform staff, or a holder of any officer role (`OFFICER_ROLES`)."""
        return self.is_staff or self.memberships.filter(role__in=OFFICER_ROLES).exists()


class Organisation(models.Model):
    class Kind(models.TextChoices):
        AGENCY = "agency", _("Contracting agency")  # publishes tenders and awards contracts
        SUPPLIER = "supplier", _("Supplier")  # registers, bids and delivers
        PLATFORM = "platform", _("Platform operator")  # runs the registry and audits
        REVIEW_BODY = "review_body", _("Review body")  # decides escalated challenges

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=300)
    # Agencies use it as the prefix of tender references (e.g. MOH-2026-0001).
    code = models.SlugField(_("code"), max_length=20, unique=True, null=True, blank=True)
    country = models.CharField(_("country"), max_length=2, default="", blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PROCUREMENT_OFFICER = "procurement_officer", _("Procurement officer")  # drafts, publishes, awards
    EVALUATOR = "evaluator", _("Evaluator")  # scores bids after declaring no conflict
    CUSTODIAN = "custodian", _("Opening custodian")  # holds a share of an opening key
    FINANCE_OFFICER = "finance_officer", _("Finance officer")  # settles invoices and deposits
    SUPPLIER_ADMIN = "supplier_admin", _("Supplier administrator")  # runs the firm's account
    BIDDER = "bidder", _("Bidder")  # prepares and submits the firm's bids
    REGISTRY_OFFICER = "registry_officer", _("Registry officer")  # verifies and debars suppliers
    AUDITOR = "auditor", _("Auditor")  # reads everything after the fact
    REVIEW_OFFICER = "review_officer", _("Review officer")  # decides escalated challenges


# Roles that act for the state (or run the platform): their sessions end when left idle
# (`OFFICER_IDLE_MINUTES`). Suppliers' roles keep the normal session length.
OFFICER_ROLES = frozenset(Role) - {Role.SUPPLIER_ADMIN, Role.BIDDER}


# Which roles an organisation of each kind can confer.
ROLES_BY_KIND = {
    Organisation.Kind.AGENCY: {Role.PROCUREMENT_OFFICER, Role.EVALUATOR, Role.CUSTODIAN, Role.FINANCE_OFFICER, Role.AUDITOR},
    Organisation.Kind.SUPPLIER: {Role.SUPPLIER_ADMIN, Role.BIDDER},
    Organisation.Kind.PLATFORM: {Role.REGISTRY_OFFICER, Role.AUDITOR},
    Organisation.Kind.REVIEW_BODY: {Role.REVIEW_OFFICER},
}


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(user__is_active=True)

    def with_role(self, *roles: str):
        return self.filter(role__in=roles)


class Membership(models.Model):
    """A person holding one role in one organisation; roles are never global."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.organisation_id and self.role not in ROLES_BY_KIND[self.organisation.kind]:
            raise ValidationError({"role": _("A %(kind)s cannot confer this role.") % {"kind": self.organisation.get_kind_display()}})


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        """Not revoked; possibly expired (`ApiToken.is_expired`)."""
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once, at creation."""

    PREFIX = "th_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def lifetime() -> timedelta:
        return timedelta(days=settings.API_TOKEN_DAYS)

    @property
    def expires_at(self):
        """A token stops working `API_TOKEN_DAYS` after its creation."""
        return self.created_at + self.lifetime()

    def is_expired(self, now) -> bool:
        return now >= self.expires_at

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class Notification(models.Model):
    """An in-app message to one person (the e-mail, if any, is sent separately)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=60)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title
