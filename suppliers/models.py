"""The supplier registry: registered firms, their verification, licences and size."""

import hashlib
import secrets
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from marketplace.models import Role
from suppliers import cpv
from suppliers.cpv import validate_cpv


class SmeClass(models.TextChoices):
    """Enterprise size by the EU definition (Recommendation 2003/361/EC)."""

    MICRO = "micro", _("Micro enterprise")  # fewer than 10 staff, turnover up to €2 million
    SMALL = "small", _("Small enterprise")  # fewer than 50 staff, turnover up to €10 million
    MEDIUM = "medium", _("Medium-sized enterprise")  # fewer than 250 staff, turnover up to €50 million
    LARGE = "large", _("Large enterprise")  # anything bigger


SME_CLASSES = {SmeClass.MICRO, SmeClass.SMALL, SmeClass.MEDIUM}

# Recommendation 2003/361/EC, Annex art. 2: (class, staff strictly below, turnover in euros not above).
SME_THRESHOLDS = [
    (SmeClass.MICRO, 10, Decimal("2000000")),
    (SmeClass.SMALL, 50, Decimal("10000000")),
    (SmeClass.MEDIUM, 250, Decimal("50000000")),
]


def sme_class_for(headcount: int, turnover_eur: Decimal) -> SmeClass:
    """The size class of a firm from its head-count and annual turnover in euros."""
    for size, staff_below, turnover_ceiling in SME_THRESHOLDS:
        if headcount < staff_below and turnover_eur <= turnover_ceiling:
            return size
    return SmeClass.LARGE


class SupplierQuerySet(models.QuerySet):
    def in_directory(self):
        """Verified firms that chose to be listed publicly."""
        return self.filter(status=Supplier.Status.VERIFIED, listed_in_directory=True)

    def debarred_on(self, day: date):
        """Firms excluded on that day: the public debarment list."""
        return self.filter(status=Supplier.Status.DEBARRED).filter(
            models.Q(restricted_until__isnull=True) | models.Q(restricted_until__gte=day)
        )

    def restriction_over_before(self, day: date):
        """Suspended or debarred firms whose last restricted day is before `day`."""
        return self.filter(status__in=[Supplier.Status.SUSPENDED, Supplier.Status.DEBARRED], restricted_until__lt=day)

    def with_category(self, code: str):
        """Firms supplying in `code`: one of their categories is the code, under it, or above it."""
        code = cpv.normalise(code)
        return self.filter(
            models.Q(categories__code__startswith=cpv.significant_prefix(code)) | models.Q(categories__code__in=cpv.enclosing_codes(code))
        ).distinct()


class Supplier(FSMModelMixin, models.Model):
    """A registered firm: the registry's record of a supplier organisation."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")  # registered, waiting for a registry officer
        RETURNED = "returned", _("Returned for correction")  # the firm must edit and resubmit
        VERIFIED = "verified", _("Verified")  # may bid on any tender it qualifies for
        SUSPENDED = "suspended", _("Suspended")  # may not bid until lifted or the end date
        DEBARRED = "debarred", _("Debarred")  # excluded until the end date; on the public list

    organisation = models.OneToOneField("marketplace.Organisation", on_delete=models.PROTECT, related_name="supplier")
    legal_name = models.CharField(_("legal name"), max_length=300)
    country = models.CharField(_("country"), max_length=2)
    registration_number = models.CharField(_("registration number"), max_length=40)
    address = models.TextField(_("address"))
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)

    # Size, as declared (head-count and annual turnover in euros) and the class derived from it.
    headcount = models.PositiveIntegerField(_("staff head-count"), null=True, blank=True)
    turnover_eur = models.DecimalField(
        _("annual turnover (EUR)"), max_digits=18, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    sme_class = models.CharField(_("size"), max_length=10, choices=SmeClass.choices, blank=True)
    size_declared_at = models.DateTimeField(_("size declared"), null=True, blank=True)

    status = FSMField(_("status"), default=Status.APPLIED, choices=Status.choices, protected=True, db_index=True)
    status_reason = models.TextField(_("reason"), blank=True)
    # Last day of a suspension or debarment (inclusive); none means until lifted.
    restricted_until = models.DateField(_("restricted until"), null=True, blank=True)
    # First day of the current suspension or debarment.
    restricted_from = models.DateField(_("restricted from"), null=True, blank=True)
    listed_in_directory = models.BooleanField(_("listed in the public directory"), default=False)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

    objects = SupplierQuerySet.as_manager()

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["legal_name"]
        constraints = [models.UniqueConstraint(fields=["country", "registration_number"], name="supplier_registration_unique")]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_sme(self) -> bool:
        return self.sme_class in SME_CLASSES

    @property
    def has_public_profile(self) -> bool:
        """Verified once: its name, its restrictions and its performance record are public."""
        return self.status in (self.Status.VERIFIED, self.Status.SUSPENDED, self.Status.DEBARRED)

    @property
    def identity_is_editable(self) -> bool:
        """Legal name, country and registration number change only before verification."""
        return self.status in (self.Status.APPLIED, self.Status.RETURNED)

    @property
    def category_codes(self) -> list[str]:
        return sorted(c.code for c in self.categories.all())

    def is_restricted_on(self, day: date) -> bool:
        """Suspended or debarred on that day (a restriction ends after its last day)."""
        if self.status not in (self.Status.SUSPENDED, self.Status.DEBARRED):
            return False
        return self.restricted_until is None or day <= self.restricted_until

    @transition(field=status, source=Status.APPLIED, target=Status.VERIFIED)
    def verify(self) -> None:
        pass

    @transition(field=status, source=Status.APPLIED, target=Status.RETURNED)
    def return_for_correction(self) -> None:
        pass

    @transition(field=status, source=Status.RETURNED, target=Status.APPLIED)
    def resubmit(self) -> None:
        pass

    @transition(field=status, source=Status.VERIFIED, target=Status.SUSPENDED)
    def suspend(self) -> None:
        pass

    @transition(field=status, source=[Status.VERIFIED, Status.SUSPENDED], target=Status.DEBARRED)
    def debar(self) -> None:
        pass

    @transition(field=status, source=[Status.SUSPENDED, Status.DEBARRED], target=Status.VERIFIED)
    def lift(self) -> None:
        pass


class LicenceType(models.Model):
    """A kind of licence or certificate (business licence, tax registration, ISO 9001…)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LicenceRequirement(models.Model):
    """A licence type required to bid on tenders in a CPV category (and its descendants)."""

    licence_type = models.ForeignKey(LicenceType, on_delete=models.CASCADE, related_name="requirements")
    category = models.CharField(_("category (CPV)"), max_length=8, validators=[validate_cpv])

    class Meta:
        verbose_name = _("licence requirement")
        verbose_name_plural = _("licence requirements")
        constraints = [models.UniqueConstraint(fields=["licence_type", "category"], name="licence_requirement_unique")]

    def __str__(self) -> str:
        return f"{self.licence_type} ⇐ {self.category}"


def licence_path(licence: "Licence", filename: str) -> str:
    return f"suppliers/{licence.supplier_id}/licences/{filename}"


class LicenceQuerySet(models.QuerySet):
    def valid_on(self, day: date):
        """Accepted by the registry and in force on `day`: the licences that count for bidding."""
        return self.filter(status=Licence.Status.ACCEPTED, valid_from__lte=day).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day)
        )

    def to_check(self):
        return self.filter(status=Licence.Status.PENDING)


class Licence(models.Model):
    """A licence or certificate the firm holds. It counts for bidding once a registry officer has
    looked at the document and accepted it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the registry's check")
        ACCEPTED = "accepted", _("Accepted by the registry")
        REJECTED = "rejected", _("Refused by the registry")

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="licences", verbose_name=_("supplier"))
    licence_type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="licences", verbose_name=_("type"))
    number = models.CharField(_("number"), max_length=100)
    issuer = models.CharField(_("issued by"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=licence_path, max_length=500, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    media_type = models.CharField(_("media type"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    status = models.CharField(_("registry check"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("checked by")
    )
    check_reason = models.TextField(_("reason for refusal"), blank=True)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["supplier", "licence_type__name", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")), name="licence_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_type} {self.number}"

    def is_valid_on(self, day: date) -> bool:
        """In force on `day` by its dates (whether or not the registry has accepted it yet)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class SupplierCategory(models.Model):
    """A CPV category the firm supplies (the code stands for itself and everything under it)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="categories", verbose_name=_("supplier"))
    code = models.CharField(_("category (CPV)"), max_length=8, validators=[validate_cpv])

    class Meta:
        verbose_name = _("supplied category")
        verbose_name_plural = _("supplied categories")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["supplier", "code"], name="supplier_category_unique")]

    def __str__(self) -> str:
        entry = cpv.get(self.code)
        return entry.label if entry else self.code


class LicenceExpiryWarning(models.Model):
    """A warning sent to the firm that a licence expires soon: one per licence and threshold."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="expiry_warnings")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["licence", "days_before"], name="licence_expiry_warning_once")]

    def __str__(self) -> str:
        return f"{self.licence_id} -{self.days_before}d"


class Follow(models.Model):
    """What a firm watches for: a category, a buyer or a saved keyword search."""

    class Kind(models.TextChoices):
        CATEGORY = "category", _("Category")  # a CPV code and everything under it
        BUYER = "buyer", _("Buyer")  # every tender the agency publishes
        KEYWORDS = "keywords", _("Keywords")  # every word appears in the title or description

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="follows", verbose_name=_("supplier"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    category = models.CharField(_("category (CPV)"), max_length=8, blank=True, validators=[validate_cpv])
    buyer = models.ForeignKey(
        "marketplace.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followers",
        limit_choices_to={"kind": "agency"},
        verbose_name=_("buyer"),
    )
    # Lower-case words separated by single spaces.
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        ordering = ["kind", "category", "keywords", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="category", buyer__isnull=True, keywords="") & ~models.Q(category="")
                    | models.Q(kind="buyer", buyer__isnull=False, category="", keywords="")
                    | models.Q(kind="keywords", buyer__isnull=True, category="") & ~models.Q(keywords="")
                ),
                name="follow_one_target",
            ),
            models.UniqueConstraint(fields=["supplier", "category"], condition=models.Q(kind="category"), name="follow_category_once"),
            models.UniqueConstraint(fields=["supplier", "buyer"], condition=models.Q(kind="buyer"), name="follow_buyer_once"),
            models.UniqueConstraint(fields=["supplier", "keywords"], condition=models.Q(kind="keywords"), name="follow_keywords_once"),
        ]
        # Alerts look follows up by the codes enclosing a tender's categories.
        indexes = [models.Index(fields=["category"], condition=models.Q(kind="category"), name="follow_category_idx")]

    def __str__(self) -> str:
        return self.describe()

    @property
    def words(self) -> list[str]:
        return self.keywords.split()

    def describe(self) -> str:
        if self.kind == self.Kind.CATEGORY:
            entry = cpv.get(self.category)
            return entry.label if entry else self.category
        if self.kind == self.Kind.BUYER:
            return str(self.buyer)
        return f"“{self.keywords}”"

    def matches_text(self, text: str) -> bool:
        """Keyword searches match when every word appears in the (case-folded) text."""
        folded = text.casefold()
        return bool(self.words) and all(word in folded for word in self.words)


class InvitationQuerySet(models.QuerySet):
    def pending(self, now):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """An invitation to join a supplier firm. Only the SHA-256 of the link's key is stored."""

    ROLES = (Role.SUPPLIER_ADMIN, Role.BIDDER)

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")  # the link works until it expires
        ACCEPTED = "accepted", _("Accepted")  # used once; it never works again
        EXPIRED = "expired", _("Expired")  # not used in time
        REVOKED = "revoked", _("Withdrawn")  # withdrawn by an administrator

    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=30, choices=[(r.value, r.label) for r in ROLES])
    digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    def state_at(self, now) -> "Invitation.State":
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if now >= self.expires_at:
            return self.State.EXPIRED
        return self.State.PENDING
