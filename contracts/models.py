"""Contracts from awards: electronic signatures, milestones, deliveries, amendments.

So far: the certificates the platform's CA issues to signatories (`contracts.authority`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignatoryCertificateQuerySet(models.QuerySet):
    def current(self):
        """The certificate each person now signs with for each organisation (not superseded)."""
        return self.filter(superseded_at__isnull=True)


class SignatoryCertificate(models.Model):
    """A certificate the platform's CA issued to one person signing for one organisation.

    The private key is stored only wrapped: AES-256-GCM under `SIGNATORY_KEK`, with the
    certificate's serial, person and organisation as associated data, so it unwraps for this
    row alone (`contracts.certificates.unwrapped_key`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatory_certificates", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.PROTECT, related_name="signatory_certificates", verbose_name=_("organisation")
    )
    serial = models.CharField(_("serial number"), max_length=40, unique=True)  # hexadecimal
    subject = models.CharField(_("subject"), max_length=1000)  # RFC 4514
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    certificate_pem = models.TextField(_("certificate (PEM)"))
    wrapped_key = models.BinaryField(_("wrapped private key"))
    # Which key-encryption key wrapped it (`contracts.certificates.kek_id`): after a change of
    # SIGNATORY_KEK the next signature gets a new certificate instead of an unusable key.
    kek_id = models.CharField(_("key-encryption key"), max_length=16)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    issued_at = models.DateTimeField(_("issued"))
    # Set when a new certificate replaces this one (expired, or the person or firm renamed).
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    objects = SignatoryCertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("signatory certificate")
        verbose_name_plural = _("signatory certificates")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], condition=models.Q(superseded_at__isnull=True), name="one_current_signatory_certificate"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.serial})"

    @property
    def key_aad(self) -> str:
        return f"signatory-certificate:{self.serial}:{self.user_id}:{self.organisation_id}"

    def is_valid_at(self, now) -> bool:
        return self.not_before <= now < self.not_after
