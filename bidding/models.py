"""Sealed bids: the envelope keys of each tender, their custody, and the bids received."""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class EnvelopeKey(models.Model):
    """The P-256 key pair of one envelope of one tender, created at publication.

    The public half is published (JWK with `kid`); bidders seal to it. The private half is
    either wrapped under the platform KEK (`platform` custody) or split among the custodians
    (`committee` custody, see CustodianShare), in which case it is stored nowhere.
    """

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="envelope_keys", verbose_name=_("tender"))
    name = models.CharField(_("envelope"), max_length=20)
    kid = models.CharField(_("key id"), max_length=64, unique=True)
    public_jwk = models.JSONField(_("public key (JWK)"))
    custody = models.CharField(_("custody"), max_length=10)
    # platform custody: nonce ‖ AES-256-GCM(KEK, 32-byte private scalar, aad=kid). Emptied when
    # the tender is cancelled, so its bids can never be opened.
    wrapped_private_key = models.BinaryField(null=True, blank=True, editable=False)
    # committee custody: k of the n shares rebuild the key; the SLIP-39 identifier ties shares to it.
    threshold = models.PositiveSmallIntegerField(_("custodians needed (k)"), null=True, blank=True)
    share_identifier = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    destroyed_at = models.DateTimeField(_("destroyed"), null=True, blank=True)

    class Meta:
        verbose_name = _("envelope key")
        verbose_name_plural = _("envelope keys")
        ordering = ["tender", "pk"]
        constraints = [models.UniqueConstraint(fields=["tender", "name"], name="envelope_key_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kid})"


class CustodianKey(models.Model):
    """A custodian's personal opening key pair (P-256).

    The public half receives the custodian's shares at publication. The private half is kept
    only wrapped: AES-256-GCM under scrypt(opening passphrase, salt). The passphrase itself is
    never stored, so nobody but the custodian can unwrap it.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opening_key")
    kid = models.CharField(max_length=64, unique=True)
    public_jwk = models.JSONField()
    wrapped_private_key = models.BinaryField(editable=False)
    salt = models.BinaryField(editable=False)
    scrypt_log_n = models.PositiveSmallIntegerField()
    scrypt_r = models.PositiveSmallIntegerField()
    scrypt_p = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    passphrase_changed_at = models.DateTimeField(_("passphrase changed"), default=timezone.now)

    class Meta:
        verbose_name = _("custodian opening key")
        verbose_name_plural = _("custodian opening keys")

    def __str__(self) -> str:
        return f"{self.user} ({self.kid})"


class CustodianShare(models.Model):
    """One SLIP-39 share of a committee-custody envelope key, sealed to one custodian's key."""

    envelope_key = models.ForeignKey(EnvelopeKey, on_delete=models.CASCADE, related_name="shares")
    custodian = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opening_shares")
    position = models.PositiveSmallIntegerField()
    # Compact JWE (ECDH-ES, A256GCM) of the share's mnemonic to the custodian's CustodianKey.
    sealed_share = models.TextField(editable=False)
    recipient_kid = models.CharField(max_length=64)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        ordering = ["envelope_key", "position"]
        constraints = [models.UniqueConstraint(fields=["envelope_key", "custodian"], name="custodian_share_unique")]

    def __str__(self) -> str:
        return f"{self.envelope_key} #{self.position}"


class BidQuerySet(models.QuerySet):
    def live(self):
        """Bids that will be opened: submitted and neither replaced nor withdrawn."""
        return self.filter(status=Bid.Status.SUBMITTED)

    def of_organisation(self, organisation):
        return self.filter(organisation=organisation)


class Bid(FSMModelMixin, models.Model):
    """A supplier's sealed bid: its envelopes as received, the receipt, and what became of it.

    The primary key is random, so a bid's identifier reveals nothing about how many others exist.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")  # sealed and in the box; will be opened
        REPLACED = "replaced", _("Replaced")  # superseded by a newer bid of the same firm; never opened
        WITHDRAWN = "withdrawn", _("Withdrawn")  # taken back before the deadline; never opened
        OPENED = "opened", _("Opened and read out")  # decrypted and read out at the opening
        REJECTED = "rejected", _("Rejected")  # could not be decrypted, digest mismatch or invalid content
        QUALIFIED = "qualified", _("Qualified")  # passed the evaluation of eligibility and conformity
        DISQUALIFIED = "disqualified", _("Disqualified")  # failed the evaluation, with reasons
        AWARDED = "awarded", _("Won")  # won at least one lot
        UNSUCCESSFUL = "unsuccessful", _("Not awarded")  # qualified but not awarded

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="bids", verbose_name=_("tender"))
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="bids", verbose_name=_("supplier"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by"))
    # The lots this bid is for, as declared in clear by the bidder (the prices stay sealed).
    lots = models.JSONField(_("lots"), default=list)
    status = FSMField(_("status"), default=Status.SUBMITTED, choices=Status.choices, protected=True, db_index=True)
    # Server clock under the tender lock, the instant the bid was accepted.
    received_at = models.DateTimeField(_("received"))
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by", verbose_name=_("replaces")
    )
    receipt = models.TextField(_("receipt (JWS)"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_receipt = models.TextField(_("withdrawal receipt (JWS)"), blank=True)
    # The number of the latest amendment published after this bid was sealed, if any.
    sealed_before_amendment = models.PositiveSmallIntegerField(_("sealed before amendment"), null=True, blank=True)
    status_reason = models.TextField(_("reason"), blank=True)

    objects = BidQuerySet.as_manager()

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["tender", "received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "organisation"], condition=models.Q(status="submitted"), name="bid_one_live_per_supplier"
            )
        ]

    def __str__(self) -> str:
        return f"{_('Bid')} {self.short_id}"

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def can_be_changed_at(self, now: datetime) -> bool:
        """Replace and withdraw are open to a live bid until the tender's deadline."""
        return self.is_live and self.tender.accepts_bids_at(now)

    # Transitions (called only from actions, which audit them) ------------------------------
    @transition(field=status, source=Status.SUBMITTED, target=Status.REPLACED)
    def supersede(self) -> None:
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.OPENED)
    def open(self) -> None:
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=status, source=Status.OPENED, target=Status.QUALIFIED)
    def qualify(self) -> None:
        pass

    @transition(field=status, source=Status.OPENED, target=Status.DISQUALIFIED)
    def disqualify(self) -> None:
        pass

    @transition(field=status, source=Status.QUALIFIED, target=Status.AWARDED)
    def award(self) -> None:
        pass

    @transition(field=status, source=Status.QUALIFIED, target=Status.UNSUCCESSFUL)
    def lose(self) -> None:
        pass


class Envelope(models.Model):
    """One sealed envelope of a bid, stored exactly as received (compact JWE)."""

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="envelopes", verbose_name=_("bid"))
    name = models.CharField(_("envelope"), max_length=20)
    kid = models.CharField(_("key id"), max_length=64)
    jwe = models.TextField(_("sealed content (compact JWE)"))
    # SHA-256 (hex) of the compact JWE's ASCII bytes: what the receipt and the bid box show.
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("sealed envelope")
        verbose_name_plural = _("sealed envelopes")
        ordering = ["bid", "name"]
        constraints = [models.UniqueConstraint(fields=["bid", "name"], name="envelope_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} {self.sha256[:12]}"
