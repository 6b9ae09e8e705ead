"""Tenders: a buyer's call for bids, from draft to completion."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from marketplace.currencies import validate_currency
from suppliers.cpv import validate_cpv

MONEY = {"max_digits": 18, "decimal_places": 2}


class ProcurementMethod(models.TextChoices):
    OPEN = "open", _("Open procedure")  # anyone eligible may bid; minimum response time in days
    RFQ = "rfq", _("Request for quotation")  # small purchases; minimum response time in hours


class EnvelopeMode(models.TextChoices):
    SINGLE = "single", _("One envelope")  # one sealed envelope named "bid"
    TWO = "two", _("Two envelopes: technical, then financial")  # prices open only for qualified bids


class AwardMethod(models.TextChoices):
    LOWEST_PRICE = "lowest_price", _("Lowest price")  # the lowest qualified price per lot wins
    WEIGHTED = "weighted", _("Weighted scoring")  # technical criteria and price, weights summing to 100


class Custody(models.TextChoices):
    PLATFORM = "platform", _("Platform")  # key wrapped under the platform KEK; opens automatically
    COMMITTEE = "committee", _("Committee of custodians")  # key split k-of-n; k custodians must unlock


class SearchIndex(GinIndex):
    """A GIN index on PostgreSQL. Elsewhere (SQLite) a plain index: the search column stays
    empty there and the public search falls back to matching words with LIKE."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        return models.Index.create_sql(self, model, schema_editor, using=using, **kwargs)


class TenderQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=Tender.Status.DRAFT)

    def past_deadline_not_closed(self, now: datetime):
        """Published tenders whose deadline has passed: the closing task is due (or missed)."""
        return self.filter(status=Tender.Status.PUBLISHED, submission_deadline__lte=now)


class Tender(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # being written; only the buyer's officers see it
        PUBLISHED = "published", _("Published")  # open for questions and bids until the deadline
        CLOSED = "closed", _("Closed")  # past the deadline; sealed bids wait for the opening
        OPENING = "opening", _("Opening")  # envelopes are being decrypted and read out
        OPENED = "opened", _("Opened")  # the opening record is complete
        EVALUATING = "evaluating", _("Evaluating")  # the committee qualifies and scores bids
        AWARDED = "awarded", _("Awarded")  # award notice published; standstill running
        COMPLETED = "completed", _("Completed")  # contracts signed and finished
        CANCELLED = "cancelled", _("Cancelled")  # withdrawn before award, with a public reason
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")  # too few valid bids, or none qualified

    # What the buyer publishes -----------------------------------------------------------
    buyer = models.ForeignKey(
        "marketplace.Organisation",
        on_delete=models.PROTECT,
        related_name="tenders",
        limit_choices_to={"kind": "agency"},
        verbose_name=_("buyer"),
    )
    # <agency code>-<year>-<sequence>, assigned at publication (gap-free, see ReferenceCounter).
    reference = models.CharField(_("reference"), max_length=40, unique=True, null=True, blank=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    method = models.CharField(_("procurement method"), max_length=10, choices=ProcurementMethod.choices, default=ProcurementMethod.OPEN)
    main_category = models.CharField(_("main category (CPV)"), max_length=8, blank=True, validators=[validate_cpv])
    estimated_value = models.DecimalField(_("estimated value"), **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(_("currency"), max_length=3, default="EUR", validators=[validate_currency])
    # A tender not divided into lots has exactly one lot (number 1): bids and awards are always per lot.
    divided_into_lots = models.BooleanField(_("divided into lots"), default=False)

    # How bids are sealed, opened and judged ----------------------------------------------
    envelope_mode = models.CharField(_("envelopes"), max_length=10, choices=EnvelopeMode.choices, default=EnvelopeMode.SINGLE)
    award_method = models.CharField(_("award method"), max_length=20, choices=AwardMethod.choices, default=AwardMethod.LOWEST_PRICE)
    price_weight = models.PositiveSmallIntegerField(_("price weight"), null=True, blank=True, validators=[MaxValueValidator(100)])
    abnormally_low_percent = models.PositiveSmallIntegerField(
        _("abnormally low threshold (percent of the mean qualified price)"), default=80, validators=[MaxValueValidator(100)]
    )
    evaluation_committee_required = models.BooleanField(_("requires an evaluation committee (odd, three or more)"), default=False)
    min_bids = models.PositiveSmallIntegerField(_("minimum valid bids"), default=1, validators=[MinValueValidator(1)])
    max_envelope_bytes = models.PositiveIntegerField(_("largest sealed envelope (bytes)"), default=25 * 1024 * 1024)

    # Money --------------------------------------------------------------------------------
    deposit_amount = models.DecimalField(_("bid deposit"), **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))])
    deposit_waived_for_sme = models.BooleanField(_("deposit waived for SMEs"), default=False)
    # China's rules want bid security possible in a non-cash form (政府采购法实施条例 Art. 33):
    # a bank guarantee the buyer's finance officer checks. On by default.
    deposit_guarantee_accepted = models.BooleanField(_("bank guarantee accepted instead of the deposit"), default=True)
    # How long bids bind their bidders after the deadline; a guarantee must cover it.
    bid_validity_days = models.PositiveSmallIntegerField(
        _("bid validity (days after the deadline)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )

    # Time ---------------------------------------------------------------------------------
    min_response_days = models.PositiveSmallIntegerField(_("minimum response days"), default=0)
    clarification_deadline = models.DateTimeField(_("clarification deadline"), null=True, blank=True)
    submission_deadline = models.DateTimeField(_("submission deadline"), null=True, blank=True)
    standstill_days = models.PositiveSmallIntegerField(_("standstill days"), default=10)
    challenge_answer_days = models.PositiveSmallIntegerField(_("days to answer a challenge"), default=5)

    # Opening custody ----------------------------------------------------------------------
    custody = models.CharField(_("opening custody"), max_length=10, choices=Custody.choices, default=Custody.PLATFORM)
    custody_threshold = models.PositiveSmallIntegerField(_("custodians needed to open (k)"), null=True, blank=True)
    custodians = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TenderCustodian", related_name="custodian_of", blank=True, verbose_name=_("custodians")
    )
    opening_quorum_hours = models.PositiveSmallIntegerField(_("hours for the custodians to reach the quorum"), default=2)

    # Eligibility --------------------------------------------------------------------------
    required_licence_types = models.ManyToManyField(
        "suppliers.LicenceType", blank=True, related_name="required_by_tenders", verbose_name=_("required licences")
    )

    # Life ---------------------------------------------------------------------------------
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)
    unsuccessful_reason = models.TextField(_("why the tender was unsuccessful"), blank=True)

    # The main category and the items' categories, space-separated: what a category search
    # matches (a code matches its descendants by prefix). Written by the drafting actions.
    category_codes = models.TextField(_("categories (CPV)"), blank=True, default="", editable=False)
    # Full-text search (PostgreSQL): reference, title, description and the category codes as a
    # tsvector, written by a trigger on every insert and update (migration 0002), so no code path
    # can forget it. One GIN index answers words and categories together.
    search_document = SearchVectorField(null=True, editable=False)

    objects = TenderQuerySet.as_manager()

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "submission_deadline"], name="tender_status_deadline_idx"),
            models.Index(fields=["status", "published_at"], name="tender_status_published_idx"),
            models.Index(fields=["status", "estimated_value"], name="tender_status_value_idx"),
            SearchIndex(fields=["search_document"], name="tender_search_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference or _('draft')} · {self.title}"

    # Predicates ---------------------------------------------------------------------------
    @staticmethod
    def categories_of(main_category: str, item_codes) -> str:
        """The value of `category_codes` for a main category and the items' categories."""
        return " ".join(sorted({code for code in (main_category, *item_codes) if code}))

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    def envelope_names(self) -> list[str]:
        return ["bid"] if self.envelope_mode == EnvelopeMode.SINGLE else ["technical", "financial"]

    def is_past_deadline(self, now: datetime) -> bool:
        return self.submission_deadline is not None and now >= self.submission_deadline

    def accepts_bids_at(self, now: datetime) -> bool:
        """Bids are received strictly before the deadline, whatever the stored state says later."""
        return self.status == self.Status.PUBLISHED and self.submission_deadline is not None and now < self.submission_deadline

    def status_at(self, now: datetime) -> str:
        """The status the public sees: past its deadline a published tender is closed, whether or
        not the closing task has run yet."""
        if self.status == self.Status.PUBLISHED and self.is_past_deadline(now):
            return self.Status.CLOSED
        return self.status

    def status_label_at(self, now: datetime) -> str:
        return self.Status(self.status_at(now)).label

    def accepts_questions_at(self, now: datetime) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.clarification_deadline is not None
            and now < self.clarification_deadline
            and not self.is_past_deadline(now)
        )

    # Transitions (called only from actions, which audit them) ------------------------------
    @transition(field=status, source=Status.DRAFT, target=Status.PUBLISHED)
    def publish(self) -> None:
        pass

    @transition(field=status, source=Status.PUBLISHED, target=Status.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=status, source=Status.CLOSED, target=Status.OPENING)
    def start_opening(self) -> None:
        pass

    @transition(field=status, source=Status.OPENING, target=Status.OPENED)
    def finish_opening(self) -> None:
        pass

    @transition(field=status, source=Status.OPENED, target=Status.EVALUATING)
    def start_evaluation(self) -> None:
        pass

    @transition(field=status, source=Status.EVALUATING, target=Status.AWARDED)
    def award(self) -> None:
        pass

    @transition(field=status, source=Status.AWARDED, target=Status.EVALUATING)
    def reopen_evaluation(self) -> None:
        """A challenge was upheld: the award is cancelled and the evaluation starts again."""

    @transition(field=status, source=Status.AWARDED, target=Status.COMPLETED)
    def complete(self) -> None:
        pass

    @transition(field=status, source=[Status.CLOSED, Status.OPENING, Status.OPENED, Status.EVALUATING], target=Status.UNSUCCESSFUL)
    def declare_unsuccessful(self) -> None:
        pass

    @transition(
        field=status, source=[Status.DRAFT, Status.PUBLISHED, Status.CLOSED, Status.OPENED, Status.EVALUATING], target=Status.CANCELLED
    )
    def cancel(self) -> None:
        pass


class ReferenceCounter(models.Model):
    """The last reference number an agency used in a year. Locked while a tender is published,
    so references are gap-free (a rolled-back publication rolls the counter back too)."""

    buyer = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["buyer", "year"], name="reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.buyer_id}/{self.year}: {self.last}"


class Lot(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lots", verbose_name=_("tender"))
    number = models.PositiveSmallIntegerField(_("lot number"), validators=[MinValueValidator(1)])
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    estimated_value = models.DecimalField(_("estimated value"), **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))])
    # Only small and medium-sized enterprises may bid for a reserved lot.
    sme_reserved = models.BooleanField(_("reserved for SMEs"), default=False)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["tender", "number"]
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="lot_number_unique")]

    def __str__(self) -> str:
        return f"{_('Lot')} {self.number}: {self.title}"


class Item(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="items", verbose_name=_("tender"))
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items", verbose_name=_("lot"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))])
    unit = models.CharField(_("unit"), max_length=40)
    cpv = models.CharField(_("category (CPV)"), max_length=8, validators=[validate_cpv])

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["lot__number", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.description}"


class Criterion(models.Model):
    """A technical award criterion of a weighted-scoring tender (price has its own weight)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("tender"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), validators=[MinValueValidator(1), MaxValueValidator(100)])
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=10, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("award criterion")
        verbose_name_plural = _("award criteria")
        ordering = ["tender", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class TenderCustodian(models.Model):
    """A named agency member who holds one share of the opening key (committee custody)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="custodian_seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="custodian_seats")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["tender", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "user"], name="custodian_unique_person"),
            models.UniqueConstraint(fields=["tender", "position"], name="custodian_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.user} #{self.position}"


def document_path(version: "DocumentVersion", filename: str) -> str:
    return f"tenders/{version.document.tender_id}/documents/{version.document_id}/v{version.version}/{filename}"


class DocumentType(models.TextChoices):
    """The OCDS documentType codes a tender's documents use."""

    TENDER_NOTICE = "tenderNotice", _("Tender notice")
    BIDDING_DOCUMENTS = "biddingDocuments", _("Bidding documents")
    TECHNICAL_SPECIFICATIONS = "technicalSpecifications", _("Technical specifications")
    EVALUATION_CRITERIA = "evaluationCriteria", _("Evaluation criteria")
    ELIGIBILITY_CRITERIA = "eligibilityCriteria", _("Eligibility criteria")
    BILL_OF_QUANTITY = "billOfQuantity", _("Bill of quantities")
    CONTRACT_DRAFT = "contractDraft", _("Draft contract")
    CLARIFICATIONS = "clarifications", _("Clarifications")
    OTHER = "other", _("Other")


class Document(models.Model):
    """A tender document; each upload is a new version and the old ones stay on record."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents", verbose_name=_("tender"))
    title = models.CharField(_("title"), max_length=300)
    document_type = models.CharField(_("type"), max_length=60, choices=DocumentType.choices, default=DocumentType.BIDDING_DOCUMENTS)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["tender", "created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def current(self) -> "DocumentVersion | None":
        return self.versions.order_by("-version").first()


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions", verbose_name=_("document"))
    version = models.PositiveSmallIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=document_path, max_length=500)
    filename = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "-version"]
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="document_version_unique")]

    def __str__(self) -> str:
        return f"{self.filename} v{self.version}"


class Amendment(models.Model):
    """A numbered, public change to a published tender, with every changed field old → new."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("tender"))
    number = models.PositiveSmallIntegerField(_("number"))
    reason = models.TextField(_("reason"))
    # [{"field": "submission_deadline", "label": "...", "old": "...", "new": "..."}]
    changes = models.JSONField(_("changes"), default=list)
    deadline_extended = models.BooleanField(_("deadline moved out automatically"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["tender", "number"]
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="amendment_number_unique")]

    def __str__(self) -> str:
        return f"{_('Amendment')} {self.number}"


class Clarification(FSMModelMixin, models.Model):
    """A supplier's question (private to the asker and the agency until answered), or a notice
    the officer publishes on their own. Answers are public and never name the asker."""

    class Status(models.TextChoices):
        ASKED = "asked", _("Asked")  # waiting for the agency; only asker and agency see it
        ANSWERED = "answered", _("Answered")  # published to everyone, without the asker's name

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="clarifications", verbose_name=_("tender"))
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)  # given when published
    question = models.TextField(_("question"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    asker_organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    asked_at = models.DateTimeField(_("asked"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    status = FSMField(_("status"), default=Status.ASKED, choices=Status.choices, protected=True)

    class Meta:
        verbose_name = _("clarification")
        verbose_name_plural = _("clarifications")
        ordering = ["tender", "asked_at", "pk"]

    def __str__(self) -> str:
        return self.question[:60]

    @transition(field=status, source=Status.ASKED, target=Status.ANSWERED)
    def publish_answer(self) -> None:
        pass


class TenderFollower(models.Model):
    """A supplier firm following a tender: its members hear of answers, amendments and the
    cancellation. A firm that asks a question follows the tender from then on."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="followers", verbose_name=_("tender"))
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("firm"))
    followed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("tender follower")
        verbose_name_plural = _("tender followers")
        constraints = [models.UniqueConstraint(fields=["tender", "organisation"], name="tender_follower_unique")]

    def __str__(self) -> str:
        return f"{self.organisation_id} → {self.tender_id}"


class TenderAlert(models.Model):
    """A firm was alerted to a published tender: each firm hears of a tender once."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.CASCADE, related_name="+")
    matched = models.JSONField(default=list)  # descriptions of the follows that matched
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "suppliers_tenderalert"  # the table the registry created before alerts moved here
        constraints = [models.UniqueConstraint(fields=["tender", "organisation"], name="tender_alert_once")]

    def __str__(self) -> str:
        return f"{self.tender_id} → {self.organisation_id}"
