"""Contracts from confirmed awards, their signatures, their milestones and the deliveries made
against them, the buyer's rating of the supplier's performance, and the certificates the
platform's CA issues to signatories (`contracts.authority`)."""

import json
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

MONEY = {"max_digits": 18, "decimal_places": 2}


class ContractQuerySet(models.QuerySet):
    def public(self):
        """Contracts the public may read: signed by both parties (and what follows)."""
        return self.filter(status__in=Contract.PUBLIC_STATUSES)

    def awaiting_signatures(self):
        return self.filter(status=Contract.Status.AWAITING_SIGNATURES)

    def finished(self):
        """Contracts whose performance is over, one way or the other."""
        return self.filter(status__in=Contract.FINISHED_STATUSES)


class Contract(FSMModelMixin, models.Model):
    """The contract for one confirmed award. Value, items and supplier are the award's
    (政府采购法 Art. 46: the contract may not depart from the tender and the winning bid); the
    parties' registry details are copied when it is drawn up, so later edits of a profile do not
    change a signed contract."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # the buyer's officer prepares it: dates, signatories, special terms
        AWAITING_SIGNATURES = "awaiting_signatures", _("Awaiting signatures")  # the document is fixed; supplier signs, then buyer
        ACTIVE = "active", _("Active")  # signed by both parties; public
        COMPLETED = "completed", _("Completed")  # every obligation fulfilled
        TERMINATED = "terminated", _("Terminated")  # ended early, with a reason
        CANCELLED = "cancelled", _("Cancelled")  # the winner declined or did not sign in time; the award is cancelled too

    PUBLIC_STATUSES = (Status.ACTIVE, Status.COMPLETED, Status.TERMINATED)
    SIGNABLE_STATUSES = (Status.DRAFT, Status.AWAITING_SIGNATURES)
    FINISHED_STATUSES = (Status.COMPLETED, Status.TERMINATED)

    class Party(models.TextChoices):
        SUPPLIER = "supplier", _("Supplier")
        BUYER = "buyer", _("Buyer")

    award = models.OneToOneField("evaluation.Award", on_delete=models.PROTECT, related_name="contract", verbose_name=_("award"))
    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("tender"))
    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("lot"))
    buyer = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.PROTECT, related_name="contracts_bought", verbose_name=_("buyer")
    )
    supplier = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.PROTECT, related_name="contracts_supplied", verbose_name=_("supplier")
    )
    number = models.CharField(_("number"), max_length=60, unique=True)  # <tender reference>-C<n>
    # The parties as the registries knew them when the contract was drawn up:
    # {"legal_name", "country", "registration_number", "address", "signatories": [{"name", "title", "email"}]}
    buyer_details = models.JSONField(_("buyer's details"))
    supplier_details = models.JSONField(_("supplier's details"))
    value = models.DecimalField(_("value"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    period_start = models.DateField(_("performance from"), null=True, blank=True)
    period_end = models.DateField(_("performance until"), null=True, blank=True)
    special_terms = models.TextField(_("special terms"), blank=True)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    signing_deadline = models.DateTimeField(_("sign by"))
    # Bumped by every edit of the draft: a document rendered from an older version is not sent.
    version = models.PositiveIntegerField(_("version"), default=1)
    # The rendered document (kept under MEDIA_ROOT, never served directly) and, after each
    # signature, the signed file with the signatures so far.
    document = models.FileField(_("document"), upload_to="contracts/", max_length=300, blank=True)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    document_language = models.CharField(_("document language"), max_length=10, blank=True)
    signed_document = models.FileField(_("signed document"), upload_to="contracts/", max_length=300, blank=True)
    signed_sha256 = models.CharField(_("signed document SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("drawn up"))
    sent_at = models.DateTimeField(_("sent for signature"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed by both"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("terminated"), null=True, blank=True)
    termination_reason = models.TextField(_("reason for termination"), blank=True)
    # What the contract came to in the end: the accepted milestones on completion, the amount
    # paid on termination.
    final_value = models.DecimalField(_("final value"), null=True, blank=True, **MONEY)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATUSES

    def signing_period_over(self, now) -> bool:
        return now >= self.signing_deadline

    def signature_of(self, party: str):
        return next((s for s in self.signatures.all() if s.party == party), None)

    def obligations_fulfilled(self) -> bool:
        """Whether the contract may be completed: it has milestones and every one is accepted
        and paid (payments settle the invoices; `payments.invoices.settle` completes it)."""
        statuses = [m.status for m in self.milestones.all()]
        return bool(statuses) and all(status == Milestone.Status.PAID for status in statuses)

    @transition(field=status, source=Status.DRAFT, target=Status.AWAITING_SIGNATURES)
    def send_for_signature(self) -> None:
        pass

    @transition(field=status, source=Status.AWAITING_SIGNATURES, target=Status.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=status, source=SIGNABLE_STATUSES, target=Status.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.COMPLETED)
    def complete(self) -> None:
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.TERMINATED)
    def terminate(self) -> None:
        pass


class ContractItem(models.Model):
    """An item of the awarded lot, with its quantity. The bid states a price per lot; a unit
    price is stored only where it follows exactly from it (`contracts.drafting.unit_prices`)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="items", verbose_name=_("contract"))
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=40)
    cpv = models.CharField(_("category (CPV)"), max_length=8)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("contract item")
        verbose_name_plural = _("contract items")
        ordering = ["contract", "position"]
        constraints = [models.UniqueConstraint(fields=["contract", "position"], name="contract_item_position")]

    def __str__(self) -> str:
        return self.description


class MilestoneQuerySet(models.QuerySet):
    def awaiting_delivery(self):
        """Milestones the supplier has still to deliver: never delivered, or delivered and rejected."""
        return self.filter(status__in=Milestone.AWAITING_DELIVERY_STATUSES)

    def awaiting_decision(self):
        """Milestones delivered, waiting for the buyer to accept or reject the delivery."""
        return self.filter(status=Milestone.Status.DELIVERED)

    def of_active_contracts(self):
        return self.filter(contract__status=Contract.Status.ACTIVE)

    def overdue_on(self, today: date):
        """Milestones of active contracts due before `today` and still to be delivered."""
        return self.of_active_contracts().awaiting_delivery().filter(due_date__lt=today)

    def overdue_unflagged(self, today: date):
        """Overdue milestones the parties have not yet been told of."""
        return self.overdue_on(today).filter(overdue_notified_at__isnull=True)


class Milestone(FSMModelMixin, models.Model):
    """A part of the contract delivered, accepted and paid on its own. The amounts of a
    contract's milestones sum to its value exactly; they are written while it is a draft and
    fixed by the signatures like the rest of the document."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")  # to be delivered by its due date
        DELIVERED = "delivered", _("Delivered")  # the supplier reported delivery; the buyer's officer decides
        ACCEPTED = "accepted", _("Accepted")  # the buyer accepted the delivery; the amount may be invoiced
        REJECTED = "rejected", _("Rejected")  # the buyer rejected the delivery, with a reason; to be delivered again
        INVOICED = "invoiced", _("Invoiced")  # the supplier invoiced the accepted amount
        PAID = "paid", _("Paid")  # the invoice is settled

    AWAITING_DELIVERY_STATUSES = (Status.PLANNED, Status.REJECTED)
    # Accepted, and what follows acceptance.
    ACCEPTED_STATUSES = (Status.ACCEPTED, Status.INVOICED, Status.PAID)

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("contract"))
    number = models.PositiveSmallIntegerField(_("number"))
    description = models.CharField(_("description"), max_length=500)
    deliverables = models.TextField(_("deliverables"), blank=True)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    status = FSMField(_("status"), default=Status.PLANNED, choices=Status.choices, protected=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    invoiced_at = models.DateTimeField(_("invoiced"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # Set when the parties were told the milestone is overdue: they are told once.
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["contract", "number"]
        constraints = [models.UniqueConstraint(fields=["contract", "number"], name="contract_milestone_number")]

    def __str__(self) -> str:
        return f"{self.contract} · {self.number}"

    @property
    def awaits_delivery(self) -> bool:
        return self.status in self.AWAITING_DELIVERY_STATUSES

    def is_overdue_on(self, today: date) -> bool:
        """Due on its date: overdue from the next day while still to be delivered."""
        return self.awaits_delivery and self.due_date < today

    @transition(field=status, source=AWAITING_DELIVERY_STATUSES, target=Status.DELIVERED)
    def deliver(self) -> None:
        pass

    @transition(field=status, source=Status.DELIVERED, target=Status.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=status, source=Status.DELIVERED, target=Status.REJECTED)
    def reject(self) -> None:
        pass

    # Driven by payments: the supplier invoices an accepted milestone, finance settles it.
    @transition(field=status, source=Status.ACCEPTED, target=Status.INVOICED)
    def invoice(self, now: datetime) -> None:
        self.invoiced_at = now

    @transition(field=status, source=Status.INVOICED, target=Status.PAID)
    def mark_paid(self, now: datetime) -> None:
        self.paid_at = now

    # The buyer's finance officer rejected the invoice: the amount may be invoiced again.
    @transition(field=status, source=Status.INVOICED, target=Status.ACCEPTED)
    def reopen_invoicing(self) -> None:
        self.invoiced_at = None


class Delivery(models.Model):
    """One report of delivery against a milestone, and the buyer's decision on it. A rejected
    delivery stays on record when the supplier delivers again."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("milestone"))
    note = models.TextField(_("delivery note"))
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("delivered by"))
    delivered_at = models.DateTimeField(_("delivered"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["milestone", "delivered_at", "pk"]

    def __str__(self) -> str:
        return f"{self.milestone} · {self.delivered_at:%Y-%m-%d}"


def delivery_document_path(document: "DeliveryDocument", filename: str) -> str:
    return f"contracts/deliveries/{document.delivery.milestone.contract_id}/{filename}"


class DeliveryDocument(models.Model):
    """A file the supplier attached to a delivery, checked by its content
    (`suppliers.uploads.check_licence_file`) and stored under a random name."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="documents", verbose_name=_("delivery"))
    file = models.FileField(_("file"), upload_to=delivery_document_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("delivery document")
        verbose_name_plural = _("delivery documents")
        ordering = ["delivery", "pk"]

    def __str__(self) -> str:
        return self.filename


class ContractSignature(models.Model):
    """One party's PAdES signature of the contract document, applied by the platform with the
    signatory's certificate after they re-authenticated."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("contract"))
    party = models.CharField(_("party"), max_length=10, choices=Contract.Party.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by"))
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(
        "contracts.SignatoryCertificate", on_delete=models.PROTECT, related_name="signatures", verbose_name=_("certificate")
    )
    field_name = models.CharField(_("signature field"), max_length=40)
    signed_at = models.DateTimeField(_("signed"))
    sha256 = models.CharField(_("SHA-256 of the signed file"), max_length=64)

    class Meta:
        verbose_name = _("contract signature")
        verbose_name_plural = _("contract signatures")
        ordering = ["contract", "signed_at"]
        constraints = [models.UniqueConstraint(fields=["contract", "party"], name="one_signature_per_party")]

    def __str__(self) -> str:
        return f"{self.contract} · {self.party}"


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


class AmendmentQuerySet(models.QuerySet):
    def in_force(self):
        """Amendments signed by both parties: the contract's value and period are theirs."""
        return self.filter(status=Amendment.Status.ACTIVE)


class Amendment(FSMModelMixin, models.Model):
    """A change of an active contract, with its coded reason (the ProZorro list): each change
    old → new, the old values recorded when it is proposed. The buyer's procurement officer
    signs it in proposing it; signed by the supplier's administrator too it is in force and the
    contract's value and period are the new ones. Amendments are public, as the contract is."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")  # signed by the buyer's officer, awaiting the supplier's signature
        ACTIVE = "active", _("In force")  # signed by both parties; the contract was changed
        DECLINED = "declined", _("Declined")  # the supplier refused it, with a reason; nothing changed

    class Rationale(models.TextChoices):
        DURATION_EXTENSION = "durationExtension", _("Extension of the period of performance")
        PRICE_REDUCTION = "priceReduction", _("Price reduction")
        QUALITY_IMPROVEMENT = "qualityImprovement", _("Improvement of quality")
        TAX_RATE = "taxRate", _("Change of the tax rate")
        VOLUME_CUTS = "volumeCuts", _("Reduction of the volume")
        ITEM_PRICE_VARIATION = "itemPriceVariation", _("Variation of the item price")
        OTHER = "other", _("Other")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("contract"))
    number = models.PositiveSmallIntegerField(_("number"))
    rationale = models.CharField(_("rationale"), max_length=30, choices=Rationale.choices)
    rationale_text = models.TextField(_("explanation"), blank=True)  # required for `other`
    old_value = models.DecimalField(_("value before"), **MONEY)
    new_value = models.DecimalField(_("new value"), null=True, blank=True, **MONEY)  # null: the value does not change
    old_period_end = models.DateField(_("performance until, before"), null=True, blank=True)
    new_period_end = models.DateField(_("new end of performance"), null=True, blank=True)  # null: the period does not change
    status = FSMField(_("status"), default=Status.PROPOSED, choices=Status.choices, protected=True, db_index=True)
    # SHA-256 of `canonical_text()`, the text both parties sign.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed"))
    decided_at = models.DateTimeField(_("signed or declined"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    objects = AmendmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="contract_amendment_number"),
            # One proposal at a time: each is checked against the contract as it then stands.
            models.UniqueConstraint(fields=["contract"], condition=models.Q(status="proposed"), name="one_proposed_amendment_per_contract"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {_('amendment')} {self.number}"

    @property
    def increase(self) -> Decimal:
        """By how much this amendment raises the value (zero when it lowers or keeps it)."""
        if self.new_value is None or self.new_value <= self.old_value:
            return Decimal("0")
        return self.new_value - self.old_value

    def canonical_text(self) -> str:
        """What the parties sign: the amendment as JSON with sorted keys and no spaces."""
        changes = {}
        if self.new_value is not None:
            changes["value"] = {"old": f"{self.old_value:.2f}", "new": f"{self.new_value:.2f}", "currency": self.contract.currency}
        if self.new_period_end is not None:
            changes["period_end"] = {
                "old": self.old_period_end.isoformat() if self.old_period_end else None,
                "new": self.new_period_end.isoformat(),
            }
        text = {
            "contract": self.contract.number,
            "amendment": self.number,
            "rationale": self.rationale,
            "rationale_text": self.rationale_text,
            "changes": changes,
        }
        return json.dumps(text, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def signature_of(self, party: str):
        return next((s for s in self.signatures.all() if s.party == party), None)

    @transition(field=status, source=Status.PROPOSED, target=Status.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=status, source=Status.PROPOSED, target=Status.DECLINED)
    def decline(self) -> None:
        pass


class AmendmentSignature(models.Model):
    """One party's signature of an amendment: an ECDSA P-256 / SHA-256 signature of its
    canonical text with the signatory's certificate key, applied by the platform after they
    re-authenticated. Anyone can check it against the certificate and the published root."""

    amendment = models.ForeignKey(Amendment, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("amendment"))
    party = models.CharField(_("party"), max_length=10, choices=Contract.Party.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by"))
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(
        "contracts.SignatoryCertificate", on_delete=models.PROTECT, related_name="amendment_signatures", verbose_name=_("certificate")
    )
    signed_at = models.DateTimeField(_("signed"))
    sha256 = models.CharField(_("SHA-256 of the signed text"), max_length=64)
    signature = models.BinaryField(_("signature (DER)"))

    class Meta:
        verbose_name = _("amendment signature")
        verbose_name_plural = _("amendment signatures")
        ordering = ["amendment", "signed_at"]
        constraints = [models.UniqueConstraint(fields=["amendment", "party"], name="one_amendment_signature_per_party")]

    def __str__(self) -> str:
        return f"{self.amendment} · {self.party}"


SCORE_RANGE = (1, 5)
SCORE_FIELDS = ("quality", "timeliness", "compliance")


def _score_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, validators=[MinValueValidator(SCORE_RANGE[0]), MaxValueValidator(SCORE_RANGE[1])])


class PerformanceRatingQuerySet(models.QuerySet):
    def of_supplier(self, organisation_id: int):
        """The firm's ratings, newest first, with their contracts."""
        return self.filter(contract__supplier_id=organisation_id).select_related("contract").order_by("-rated_at", "-pk")


class PerformanceRating(models.Model):
    """The buyer's rating of the supplier's performance of a finished contract (业绩评价), once
    per contract, and the supplier's one answer to it. Public, as the contract is."""

    contract = models.OneToOneField(Contract, on_delete=models.PROTECT, related_name="rating", verbose_name=_("contract"))
    quality = _score_field(_("quality"))
    timeliness = _score_field(_("timeliness"))
    compliance = _score_field(_("compliance"))
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rated by"))
    rated_at = models.DateTimeField(_("rated"))
    answer = models.TextField(_("supplier's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = PerformanceRatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("performance rating")
        verbose_name_plural = _("performance ratings")
        ordering = ["-rated_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": SCORE_RANGE[0], f"{name}__lte": SCORE_RANGE[1]}), name=f"rating_{name}_1_to_5"
            )
            for name in SCORE_FIELDS
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.quality}/{self.timeliness}/{self.compliance}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
