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

    def entered(self):
        """Bids that stand in the tender, whatever became of them since: all but those replaced
        or withdrawn, which were never opened and never will be."""
        return self.exclude(status__in=[Bid.Status.REPLACED, Bid.Status.WITHDRAWN])


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

    # From DISQUALIFIED too: a qualification reconsidered after a challenge was upheld.
    @transition(field=status, source=[Status.OPENED, Status.DISQUALIFIED], target=Status.QUALIFIED)
    def qualify(self) -> None:
        pass

    # From QUALIFIED too: a qualified bid whose financial envelope fails at the financial round.
    @transition(field=status, source=[Status.OPENED, Status.QUALIFIED], target=Status.DISQUALIFIED)
    def disqualify(self) -> None:
        pass

    @transition(field=status, source=Status.QUALIFIED, target=Status.AWARDED)
    def award(self) -> None:
        pass

    @transition(field=status, source=Status.QUALIFIED, target=Status.UNSUCCESSFUL)
    def lose(self) -> None:
        pass

    # A re-award: the lot goes to this bid, ranked next, after the winner refused the contract.
    @transition(field=status, source=Status.UNSUCCESSFUL, target=Status.AWARDED)
    def award_after_refusal(self) -> None:
        pass

    # The winner refused the contract of its only lot (or of every lot it won).
    @transition(field=status, source=Status.AWARDED, target=Status.UNSUCCESSFUL)
    def forgo_award(self) -> None:
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


# The opening ---------------------------------------------------------------------------------


class OpeningQuerySet(models.QuerySet):
    def unfinished(self):
        return self.exclude(status=Opening.Status.COMPLETE)


class Opening(FSMModelMixin, models.Model):
    """One round of a tender's public opening: the envelopes of one name, read out bid by bid.

    Single-envelope tenders have one round, `bid`. Two-envelope tenders open `technical` at the
    deadline and `financial` later, for the bids that passed the technical evaluation only.
    """

    class Round(models.TextChoices):
        BID = "bid", _("Bids")
        TECHNICAL = "technical", _("Technical envelopes")
        FINANCIAL = "financial", _("Financial envelopes")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the custodians")  # committee custody: fewer than k shares released
        RUNNING = "running", _("Being read out")  # envelopes are being decrypted, one line per bid
        COMPLETE = "complete", _("Complete")  # every line read; the record is signed

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="openings", verbose_name=_("tender"))
    round = models.CharField(_("round"), max_length=20, choices=Round.choices)
    status = FSMField(_("status"), default=Status.WAITING, choices=Status.choices, protected=True)
    # The bids this round reads, in order of receipt (their ids), fixed when the round is created,
    # so a resumed run gives every bid the same position.
    bid_ids = models.JSONField(_("bids to open"), default=list, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Committee custody: when the officers are alerted if fewer than k custodians released a share.
    quorum_deadline = models.DateTimeField(_("quorum deadline"), null=True, blank=True)
    quorum_missed_at = models.DateTimeField(_("quorum missed"), null=True, blank=True)
    record = models.JSONField(_("opening record"), null=True, blank=True, editable=False)
    signature = models.TextField(_("signature (JWS)"), blank=True, editable=False)

    objects = OpeningQuerySet.as_manager()

    class Meta:
        verbose_name = _("opening")
        verbose_name_plural = _("openings")
        ordering = ["tender", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["tender", "round"], name="opening_unique_round")]

    def __str__(self) -> str:
        return f"{self.tender_id} {self.round} ({self.status})"

    @property
    def is_complete(self) -> bool:
        return self.status == self.Status.COMPLETE

    @property
    def holds_prices(self) -> bool:
        return self.round in (self.Round.BID, self.Round.FINANCIAL)

    @property
    def is_first_round(self) -> bool:
        return self.round in (self.Round.BID, self.Round.TECHNICAL)

    def quorum_missed_at_time(self, now: datetime) -> bool:
        return self.status == self.Status.WAITING and self.quorum_deadline is not None and now >= self.quorum_deadline

    @transition(field=status, source=Status.WAITING, target=Status.RUNNING)
    def start(self) -> None:
        pass

    @transition(field=status, source=Status.RUNNING, target=Status.COMPLETE)
    def complete(self) -> None:
        pass


class OpeningLine(models.Model):
    """What the opening read out for one bid in one round: written once, never changed."""

    class Result(models.TextChoices):
        OPENED = "opened", _("Opened")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        NONE = "", _("None")
        UNDECRYPTABLE = "undecryptable", _("Cannot be decrypted")
        DIGEST_MISMATCH = "digest_mismatch", _("Does not match its receipt")
        INVALID_CONTENT = "invalid_content", _("Invalid content")
        WRONG_TENDER = "wrong_tender", _("Sealed for another tender")
        WRONG_SUPPLIER = "wrong_supplier", _("Sealed by another supplier")
        WRONG_ENVELOPE = "wrong_envelope", _("Sealed for another envelope")

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="lines", verbose_name=_("opening"))
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="opening_lines", verbose_name=_("bid"))
    position = models.PositiveIntegerField(_("position"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    reason_code = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True, default="")
    reason = models.TextField(_("reason (text)"), blank=True)
    read_at = models.DateTimeField(_("read"))
    # What is read out publicly: supplier, receipt time, digests, prices or documents.
    content = models.JSONField(_("content"), default=dict)

    class Meta:
        verbose_name = _("opening line")
        verbose_name_plural = _("opening lines")
        ordering = ["opening", "position"]
        constraints = [
            models.UniqueConstraint(fields=["opening", "bid"], name="opening_line_unique_bid"),
            models.UniqueConstraint(fields=["opening", "position"], name="opening_line_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.opening_id} #{self.position} {self.result}"

    @property
    def is_opened(self) -> bool:
        return self.result == self.Result.OPENED

    def as_json(self) -> dict:
        return {
            "position": self.position,
            "bid": str(self.bid_id),
            "result": self.result,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "read_at": self.read_at,
        } | self.content


def opened_document_path(document: "OpenedDocument", filename: str) -> str:
    return f"bidding/{document.bid.tender_id}/bids/{document.bid_id}/{document.envelope}/{document.position:03d}-{filename}"


class OpenedDocument(models.Model):
    """A document from an opened envelope, kept for the tender's officers and evaluators.

    The file lives in the private media storage (never served by URL); every download goes
    through a view that checks access and writes an audit event.
    """

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="opened_documents", verbose_name=_("bid"))
    envelope = models.CharField(_("envelope"), max_length=20)
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=120)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    file = models.FileField(_("file"), upload_to=opened_document_path, max_length=500)

    class Meta:
        verbose_name = _("opened document")
        verbose_name_plural = _("opened documents")
        ordering = ["bid", "envelope", "position"]
        constraints = [models.UniqueConstraint(fields=["bid", "envelope", "position"], name="opened_document_unique_position")]

    def __str__(self) -> str:
        return self.name


class ShareRelease(models.Model):
    """A custodian's presence at a committee opening round: failed tries, and the released share.

    The released mnemonic is kept only wrapped (AES-256-GCM under the platform KEK, bound to
    this round and custodian) until k are in and the round has been read out; then it is erased.
    """

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="releases", verbose_name=_("opening"))
    custodian = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("custodian"))
    failed_attempts = models.PositiveSmallIntegerField(_("wrong passphrases in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    wrapped_share = models.BinaryField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("share release")
        verbose_name_plural = _("share releases")
        constraints = [models.UniqueConstraint(fields=["opening", "custodian"], name="share_release_unique_custodian")]

    def __str__(self) -> str:
        return f"{self.opening_id} {self.custodian_id}"

    def is_locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until
