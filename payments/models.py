"""Money: payments and refunds through a gateway, the webhook events that move them, the ledger."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from payments.money import Money


class Gateway(models.TextChoices):
    OFFLINE = "offline", _("Bank transfer")  # the payer quotes a reference; a finance officer confirms it arrived
    STRIPE = "stripe", _("Stripe")  # card or bank payment through Stripe, confirmed by its webhook


class Purpose(models.TextChoices):
    BID_DEPOSIT = "bid_deposit", _("Bid deposit")  # bid security a supplier pays before bidding, held and refunded
    INVOICE_SETTLEMENT = "invoice_settlement", _("Invoice settlement")  # a buyer paying what it owes a supplier


class PaymentQuerySet(models.QuerySet):
    def paid(self):
        """Money that arrived (and may since have been refunded)."""
        return self.filter(status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED])

    def open(self):
        """Waiting for the payer or the gateway."""
        return self.filter(status__in=[Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED])


class Payment(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Created")  # recorded on the platform, not yet known to the gateway
        PENDING = "pending", _("Pending")  # the gateway waits for the payer (card entry, bank transfer)
        SUCCEEDED = "succeeded", _("Paid")  # the money arrived
        REFUNDED = "refunded", _("Refunded")  # every unit of it went back to the payer
        FAILED = "failed", _("Failed")  # the last attempt failed; the payer may try again on the same payment
        CANCELLED = "cancelled", _("Cancelled")  # abandoned before any money arrived; final

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = FSMField(_("status"), default=Status.CREATED, choices=Status.choices, protected=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    # Payments sit above tenders: a deposit names the tender it secures.
    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    # What else the purpose refers to (an invoice number, a payment order), for the flows above.
    purpose_reference = models.CharField(_("purpose reference"), max_length=100, blank=True, default="")
    payer = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="payments_made")
    payee = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="payments_received")
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    # The PaymentIntent id, or the bank-transfer reference the payer quotes (ISO 11649).
    gateway_reference = models.CharField(_("gateway reference"), max_length=255, null=True, blank=True, unique=True)
    # The caller's key for "this payment": asking again with it returns this payment.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey("marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    succeeded_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Offline: the bank's own reference of the transfer and who confirmed it; Stripe: the charge.
    confirmation_reference = models.CharField(_("confirmation reference"), max_length=255, blank=True, default="")
    confirmed_by = models.ForeignKey("marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True, default="")
    # Stripe Connect: the group of the PaymentIntent and of the Transfers paid out of it (`contract-<id>`).
    transfer_group = models.CharField(_("transfer group"), max_length=100, blank=True, default="")
    # A bid deposit the buyer kept under the rules (the winner refused to sign, 政府采购法 Art. 46).
    forfeited_at = models.DateTimeField(_("forfeited at"), null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.money} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def is_paid(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.REFUNDED)

    @property
    def finance_organisation_id(self) -> int:
        """The agency whose finance officers confirm its bank transfers: the one receiving a
        deposit, the one paying an invoice."""
        return self.payer_id if self.purpose == Purpose.INVOICE_SETTLEMENT else self.payee_id

    @transition(field=status, source=Status.CREATED, target=Status.PENDING)
    def await_payer(self, reference: str) -> None:
        self.gateway_reference = reference

    @transition(field=status, source=[Status.CREATED, Status.PENDING, Status.FAILED], target=Status.SUCCEEDED)
    def succeed(self, now, confirmation_reference: str = "") -> None:
        self.succeeded_at = now
        self.confirmation_reference = confirmation_reference or self.confirmation_reference
        self.failure_reason = ""

    @transition(field=status, source=[Status.CREATED, Status.PENDING, Status.FAILED], target=Status.FAILED)
    def fail(self, reason: str) -> None:
        self.failure_reason = reason[:500]

    @transition(field=status, source=[Status.CREATED, Status.PENDING, Status.FAILED], target=Status.CANCELLED)
    def cancel(self, reason: str) -> None:
        self.failure_reason = reason[:500]

    @transition(field=status, source=Status.SUCCEEDED, target=Status.REFUNDED)
    def mark_refunded(self) -> None:
        pass


class Refund(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Created")  # decided on the platform, not yet sent to the gateway
        PENDING = "pending", _("Pending")  # sent; the gateway or the finance officer's transfer is under way
        SUCCEEDED = "succeeded", _("Refunded")  # the money went back to the payer
        FAILED = "failed", _("Failed")  # the gateway could not return it; the amount is held again
        CANCELLED = "cancelled", _("Cancelled")  # withdrawn before it was made; the amount is held again

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = FSMField(_("status"), default=Status.CREATED, choices=Status.choices, protected=True, db_index=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=500)
    # The day the rules want the money back by (a bid deposit: 5 working days, 实施条例 Art. 33).
    due_at = models.DateTimeField(_("due by"), null=True, blank=True, db_index=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=255, null=True, blank=True, unique=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    requested_by = models.ForeignKey("marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    succeeded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    confirmation_reference = models.CharField(_("confirmation reference"), max_length=255, blank=True, default="")
    confirmed_by = models.ForeignKey("marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.money} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def holds_money(self) -> bool:
        """Counts against what is left to refund of its payment."""
        return self.status not in (self.Status.FAILED, self.Status.CANCELLED)

    @transition(field=status, source=Status.CREATED, target=Status.PENDING)
    def send(self, reference: str) -> None:
        self.gateway_reference = reference

    @transition(field=status, source=[Status.CREATED, Status.PENDING], target=Status.SUCCEEDED)
    def succeed(self, now, confirmation_reference: str = "") -> None:
        self.succeeded_at = now
        self.confirmation_reference = confirmation_reference or self.confirmation_reference

    @transition(field=status, source=[Status.CREATED, Status.PENDING], target=Status.FAILED)
    def fail(self, reason: str) -> None:
        self.failure_reason = reason[:500]

    @transition(field=status, source=[Status.CREATED, Status.PENDING], target=Status.CANCELLED)
    def cancel(self, reason: str) -> None:
        self.failure_reason = reason[:500]


class GuaranteeQuerySet(models.QuerySet):
    def standing(self):
        """Guarantees that count, or may yet count, as the firm's bid security."""
        return self.filter(status__in=[Guarantee.Status.SUBMITTED, Guarantee.Status.ACCEPTED])


def guarantee_path(guarantee: "Guarantee", filename: str) -> str:
    # `filename` is already the random name `suppliers.uploads` gave the checked file.
    return f"guarantees/{guarantee.tender_id}/{filename}"


class Guarantee(FSMModelMixin, models.Model):
    """An electronic bank guarantee (电子保函) a firm gives as its bid security instead of paying
    a deposit: the bank promises to pay the buyer if the firm withdraws after the deadline or
    refuses to sign. No money moves on the platform; the buyer's finance officer checks it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for the buyer's check")  # the firm uploaded it
        ACCEPTED = "accepted", _("Accepted")  # the buyer's finance officer checked it: the firm may bid
        REFUSED = "refused", _("Refused")  # not acceptable, with the reason; the firm may give another
        RELEASED = "released", _("Released")  # no longer needed; the release notice was sent
        CLAIMED = "claimed", _("Called")  # the winner refused to sign: the buyer calls on the bank

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="guarantees")
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="guarantees")
    status = FSMField(_("status"), default=Status.SUBMITTED, choices=Status.choices, protected=True, db_index=True)
    issuer = models.CharField(_("issuing bank or insurer"), max_length=200)
    number = models.CharField(_("guarantee number"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    valid_until = models.DateField(_("valid until"))
    document = models.FileField(_("document"), upload_to=guarantee_path)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    submitted_by = models.ForeignKey("marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_by = models.ForeignKey("marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("checked"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    release_due_at = models.DateTimeField(_("release due by"), null=True, blank=True)

    objects = GuaranteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank guarantee")
        verbose_name_plural = _("bank guarantees")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="guarantee_amount_positive"),
            # One bank's guarantee secures one bid; giving it twice is a mistake or a fraud.
            models.UniqueConstraint(
                fields=["issuer", "number"],
                condition=models.Q(status__in=["submitted", "accepted", "claimed"]),
                name="guarantee_used_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.number} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @transition(field=status, source=Status.SUBMITTED, target=Status.ACCEPTED)
    def accept(self, actor, now) -> None:
        self.decided_by, self.decided_at, self.reason = actor, now, ""

    @transition(field=status, source=Status.SUBMITTED, target=Status.REFUSED)
    def refuse(self, actor, now, reason: str) -> None:
        self.decided_by, self.decided_at, self.reason = actor, now, reason[:500]

    @transition(field=status, source=[Status.SUBMITTED, Status.ACCEPTED], target=Status.RELEASED)
    def release(self, now, reason: str) -> None:
        self.released_at, self.reason = now, reason[:500]

    @transition(field=status, source=Status.ACCEPTED, target=Status.CLAIMED)
    def claim(self, now, reason: str) -> None:
        self.reason = reason[:500]


class WebhookEvent(models.Model):
    """One Stripe event received; the unique event id makes a second delivery a no-op."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")  # moved a payment or refund forward
        NO_CHANGE = "no_change", _("No change")  # about a known payment, which was already as far or further
        UNKNOWN_OBJECT = "unknown_object", _("Unknown payment")  # about nothing the platform created; ignored
        IGNORED = "ignored", _("Ignored type")  # a type the platform does not act on

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    created = models.DateTimeField(_("created at Stripe"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="webhook_events")
    payload = models.JSONField(_("payload"))

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Account(models.TextChoices):
    """Ledger accounts. Assets grow by debits; liabilities and revenue by credits."""

    CASH_AT_GATEWAY = "cash_at_gateway", _("Cash at the payment gateway")  # asset: paid through Stripe, not yet paid out
    CASH_AT_BANK = "cash_at_bank", _("Cash at bank")  # asset: bank transfers received, confirmed by finance
    DEPOSITS_HELD = "deposits_held", _("Bid deposits held")  # liability: owed back to bidders, or forfeited
    REFUNDS_PAYABLE = "refunds_payable", _("Refunds payable")  # liability: refunds decided, not yet made
    SUPPLIER_PAYABLES = "supplier_payables", _("Supplier payables")  # liability: settlement money owed to suppliers
    FEE_REVENUE = "fee_revenue", _("Platform fee revenue")  # revenue: the operator's per-transaction fee
    FORFEITED_DEPOSITS = "forfeited_deposits", _("Forfeited deposits")  # revenue of the buyer: deposits kept under the rules


class LedgerTransaction(models.Model):
    """One balanced movement of money: its entries' debits equal its credits in every currency.

    Written only by `payments.ledger.post`; `posted` is set last, and the database refuses to set
    it while the entries do not balance, and refuses any entry added to, changed in or deleted
    from a posted transaction (triggers in migration 0002).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What happened, once: `payment:<uuid>:received`, `refund:<uuid>:paid`. A second posting of
    # the same fact is refused by this constraint.
    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    memo = models.CharField(_("memo"), max_length=300, blank=True, default="")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_transactions")
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_transactions")
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    posted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["posted_at", "id"]

    def __str__(self) -> str:
        return self.key


class LedgerEntryQuerySet(models.QuerySet):
    def posted(self):
        return self.filter(transaction__posted=True)


class LedgerEntry(models.Model):
    """One side of a ledger transaction, in integer minor units (ISO 4217): positive debits, negative credits."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(_("account"), max_length=30, choices=Account.choices)
    currency = models.CharField(_("currency"), max_length=3)
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    # Whose money it is, where the account holds it for someone (the bidder of a deposit).
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~models.Q(amount_minor=0), name="ledger_entry_not_zero")]
        indexes = [models.Index(fields=["account", "currency"])]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor} {self.currency}"


def invoice_path(invoice: "Invoice", filename: str) -> str:
    # `filename` is already the random name `suppliers.uploads` gave the checked file.
    return f"invoices/{invoice.contract_id}/{filename}"


class InvoiceQuerySet(models.QuerySet):
    def unpaid(self):
        """Submitted or approved: the buyer still owes the money."""
        return self.filter(status__in=Invoice.UNPAID_STATUSES)

    def overdue_on(self, today):
        """Unpaid past their due date (Directive 2011/7/EU: 30 days from receipt)."""
        return self.unpaid().filter(due_on__lt=today)


class Invoice(FSMModelMixin, models.Model):
    """The supplier's invoice for an accepted milestone, and what became of it: approved by the
    buyer's finance officer (a payment order: the settlement `payment`), or rejected with a reason;
    paid when that payment arrived and the supplier was paid out, less the platform fee."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for approval")  # the supplier submitted it; the buyer's finance officer decides
        APPROVED = "approved", _("Approved, to be paid")  # a payment order exists; the treasury transfer or Stripe settles it
        PAID = "paid", _("Paid")  # settled: the supplier was paid
        REJECTED = "rejected", _("Rejected")  # with a reason; the supplier may invoice the milestone again

    class TransferStatus(models.TextChoices):
        NONE = "", _("None")  # settled offline: the payout is the operator's bank transfer
        QUEUED = "queued", _("To be made")  # settled through Stripe: the Transfer is being made
        MADE = "made", _("Made")  # Stripe took the Transfer to the supplier's connected account
        FAILED = "failed", _("Failed")  # Stripe refused it; retried by the sweep when retryable, else the finance desk acts

    UNPAID_STATUSES = (Status.SUBMITTED, Status.APPROVED)

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("contract"))
    milestone = models.ForeignKey("contracts.Milestone", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("milestone"))
    supplier = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="invoices_issued")
    buyer = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="invoices_received")
    status = FSMField(_("status"), default=Status.SUBMITTED, choices=Status.choices, protected=True, db_index=True)
    number = models.CharField(_("invoice number"), max_length=60)
    issued_on = models.DateField(_("invoice date"))
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    document = models.FileField(_("document"), upload_to=invoice_path, max_length=300)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    submitted_by = models.ForeignKey("marketplace.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("received"))
    due_on = models.DateField(_("to be paid by"))
    decided_by = models.ForeignKey("marketplace.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason for rejection"), max_length=1000, blank=True, default="")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice")
    fee = models.DecimalField(_("platform fee"), max_digits=20, decimal_places=4, null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # Stripe Connect: the Transfer of the settlement, less the fee, to the supplier's connected account.
    transfer_status = models.CharField(_("transfer"), max_length=10, choices=TransferStatus.choices, blank=True, default="", db_index=True)
    transfer_reference = models.CharField(_("Stripe transfer"), max_length=255, null=True, blank=True, unique=True)
    transfer_failure = models.CharField(_("transfer failure"), max_length=500, blank=True, default="")
    transfer_retryable = models.BooleanField(_("transfer retryable"), default=False)
    transfer_attempts = models.PositiveIntegerField(_("transfer attempts"), default=0)
    transferred_at = models.DateTimeField(_("transferred"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoice_amount_positive"),
            # A milestone is invoiced once at a time; a rejected invoice makes room for another.
            models.UniqueConstraint(
                fields=["milestone"], condition=~models.Q(status="rejected"), name="invoice_one_in_force_per_milestone"
            ),
            models.UniqueConstraint(fields=["supplier", "number"], name="invoice_number_once_per_supplier"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    def is_overdue_on(self, today) -> bool:
        return self.status in self.UNPAID_STATUSES and self.due_on < today

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED)
    def approve(self, actor, now, payment: Payment) -> None:
        self.decided_by, self.decided_at, self.payment = actor, now, payment

    @transition(field=status, source=Status.SUBMITTED, target=Status.REJECTED)
    def reject(self, actor, now, reason: str) -> None:
        self.decided_by, self.decided_at, self.reason = actor, now, reason[:1000]

    @transition(field=status, source=Status.APPROVED, target=Status.PAID)
    def settle(self, now, fee) -> None:
        self.paid_at, self.fee = now, fee

    @property
    def payout(self) -> Money:
        """What reaches the supplier: the invoice less the platform fee."""
        return self.money - Money(self.fee, self.currency) if self.fee else self.money

    @property
    def transfer_group(self) -> str:
        return f"contract-{self.contract_id}"


class ConnectedAccount(models.Model):
    """A supplier firm's Stripe connected account (Express), to which its invoices are paid out.

    Its state is Stripe's, copied from `accounts.retrieve` or an `account.updated` event; never
    from what the onboarding's return page says."""

    class Capability(models.TextChoices):
        INACTIVE = "inactive", _("Inactive")
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")

    organisation = models.OneToOneField("marketplace.Organisation", on_delete=models.PROTECT, related_name="connected_account")
    stripe_account = models.CharField(_("Stripe account"), max_length=255, unique=True)
    country = models.CharField(_("country"), max_length=2)
    details_submitted = models.BooleanField(_("details submitted"), default=False)
    payouts_enabled = models.BooleanField(_("payouts enabled"), default=False)
    transfers = models.CharField(_("transfers capability"), max_length=10, choices=Capability.choices, default=Capability.INACTIVE)
    # What Stripe still asks of the firm before it can be paid (`requirements.currently_due`).
    requirements_due = models.JSONField(_("requirements due"), default=list, blank=True)
    # Onboarding links asked for so far: each carries its own idempotency key.
    links_created = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey("marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")

    def __str__(self) -> str:
        return self.stripe_account

    @property
    def can_receive_transfers(self) -> bool:
        return self.details_submitted and self.transfers == self.Capability.ACTIVE
