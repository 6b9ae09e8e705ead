"""The supplier registry: registered firms, their verification, licences and size."""

from datetime import date
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from suppliers.cpv import validate_cpv


class SmeClass(models.TextChoices):
    """Enterprise size by the EU definition (Recommendation 2003/361/EC)."""

    MICRO = "micro", _("Micro enterprise")  # fewer than 10 staff, turnover up to €2 million
    SMALL = "small", _("Small enterprise")  # fewer than 50 staff, turnover up to €10 million
    MEDIUM = "medium", _("Medium-sized enterprise")  # fewer than 250 staff, turnover up to €50 million
    LARGE = "large", _("Large enterprise")  # anything bigger


SME_CLASSES = {SmeClass.MICRO, SmeClass.SMALL, SmeClass.MEDIUM}


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
    listed_in_directory = models.BooleanField(_("listed in the public directory"), default=False)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

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
        return self.filter(valid_from__lte=day).filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day))


class Licence(models.Model):
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
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
