"""Evaluation and award: the committee, qualification, scores, price checks, the report, the
award notices, the standstill and challenges.

The tables keep the names they had while these models lived in the tenders app (`tenders_*`):
the move changed Django's state, not the database (see evaluation/migrations/0001_initial.py)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

MONEY = {"max_digits": 18, "decimal_places": 2}


class Evaluator(FSMModelMixin, models.Model):
    """A member of a tender's evaluation committee, named by the procurement officer."""

    class Status(models.TextChoices):
        APPOINTED = "appointed", _("Appointed")  # named; must declare before seeing any opened bid
        CLEARED = "cleared", _("Declared no conflict")  # declared no conflict with every bidder
        CONFLICTED = "conflicted", _("Replaced (conflict of interest)")  # declared a conflict; off the committee

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="evaluators", verbose_name=_("tender"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluator_seats", verbose_name=_("evaluator")
    )
    status = FSMField(_("status"), default=Status.APPOINTED, choices=Status.choices, protected=True)
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField(_("appointed"), default=timezone.now)
    declared_at = models.DateTimeField(_("declared"), null=True, blank=True)
    # Scores stay private to their author until every serving evaluator has submitted.
    scores_submitted_at = models.DateTimeField(_("scores submitted"), null=True, blank=True)

    class Meta:
        db_table = "tenders_evaluator"
        verbose_name = _("evaluator")
        verbose_name_plural = _("evaluators")
        ordering = ["tender", "appointed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["tender", "user"], name="evaluator_unique_person")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"

    @property
    def is_serving(self) -> bool:
        return self.status != self.Status.CONFLICTED

    @transition(field=status, source=Status.APPOINTED, target=Status.CLEARED)
    def clear(self) -> None:
        pass

    @transition(field=status, source=Status.APPOINTED, target=Status.CONFLICTED)
    def withdraw_for_conflict(self) -> None:
        pass


class ConflictDeclaration(models.Model):
    """What one evaluator declared about one bidder: stored, audited, never changed."""

    evaluator = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="declarations")
    bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, related_name="conflict_declarations")
    conflict = models.BooleanField(_("has a conflict of interest"))
    statement = models.TextField(_("statement"), blank=True)
    declared_at = models.DateTimeField(_("declared"))

    class Meta:
        db_table = "tenders_conflictdeclaration"
        verbose_name = _("conflict of interest declaration")
        verbose_name_plural = _("conflict of interest declarations")
        constraints = [models.UniqueConstraint(fields=["evaluator", "bid"], name="declaration_unique")]

    def __str__(self) -> str:
        return f"{self.evaluator_id} / {self.bid_id}: {'conflict' if self.conflict else 'none'}"


class QualificationCheck(models.Model):
    """One eligibility requirement judged for one bid: pass or fail, with the reason."""

    bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, related_name="qualification_checks")
    requirement = models.CharField(_("requirement"), max_length=80)  # "documents", "licence:<code>", "financial_envelope"
    label = models.CharField(_("requirement"), max_length=300)
    passed = models.BooleanField(_("passed"))
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        db_table = "tenders_qualificationcheck"
        verbose_name = _("qualification check")
        verbose_name_plural = _("qualification checks")
        ordering = ["bid", "pk"]
        constraints = [models.UniqueConstraint(fields=["bid", "requirement"], name="qualification_check_unique")]

    def __str__(self) -> str:
        return f"{self.label}: {'pass' if self.passed else 'fail'}"


class Score(models.Model):
    """One evaluator's score of one bid against one technical criterion."""

    evaluator = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="scores")
    bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey("tenders.Criterion", on_delete=models.PROTECT, related_name="scores")
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    comment = models.TextField(_("comment"), blank=True)
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        db_table = "tenders_score"
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [models.UniqueConstraint(fields=["evaluator", "bid", "criterion"], name="score_unique")]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.value}"


class BidClarification(FSMModelMixin, models.Model):
    """A question to one bidder during the evaluation. The answer explains the bid; it never
    changes it (prices and documents stay as opened)."""

    class Purpose(models.TextChoices):
        QUESTION = "question", _("Clarification")  # any point of the bid
        PRICE_JUSTIFICATION = "price_justification", _("Justification of an abnormally low price")

    class Status(models.TextChoices):
        ASKED = "asked", _("Asked")  # waiting for the bidder until the deadline
        ANSWERED = "answered", _("Answered")  # the bidder answered through the platform

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="bid_clarifications")
    bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, related_name="clarifications")
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices, default=Purpose.QUESTION)
    lot = models.PositiveSmallIntegerField(_("lot"), null=True, blank=True)
    question = models.TextField(_("question"))
    deadline = models.DateTimeField(_("answer by"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("asked"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    status = FSMField(_("status"), default=Status.ASKED, choices=Status.choices, protected=True)

    class Meta:
        db_table = "tenders_bidclarification"
        verbose_name = _("clarification request to a bidder")
        verbose_name_plural = _("clarification requests to bidders")
        ordering = ["tender", "asked_at", "pk"]

    def __str__(self) -> str:
        return self.question[:60]

    def accepts_answer_at(self, now: datetime) -> bool:
        return self.status == self.Status.ASKED and now < self.deadline

    def is_settled_at(self, now: datetime) -> bool:
        """Answered, or its deadline has passed unanswered: the officer may decide on it."""
        return self.status == self.Status.ANSWERED or now >= self.deadline

    @transition(field=status, source=Status.ASKED, target=Status.ANSWERED)
    def record_answer(self) -> None:
        pass


class PriceReview(FSMModelMixin, models.Model):
    """An abnormally low price under review: the bidder is asked to justify it, the officer
    accepts or rejects the justification with reasons before any award."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Justification requested")  # the bidder has been asked
        ACCEPTED = "accepted", _("Justification accepted")  # the price stands; the bid stays in the ranking
        REJECTED = "rejected", _("Justification rejected")  # the bid leaves the ranking of that lot

    bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, related_name="price_reviews")
    lot = models.PositiveSmallIntegerField(_("lot"))
    price = models.DecimalField(_("price"), **MONEY)
    mean_price = models.DecimalField(_("mean qualified price"), max_digits=22, decimal_places=4)
    threshold_percent = models.PositiveSmallIntegerField(_("threshold (percent of the mean)"))
    clarification = models.OneToOneField(BidClarification, on_delete=models.PROTECT, related_name="price_review")
    status = FSMField(_("status"), default=Status.REQUESTED, choices=Status.choices, protected=True)
    reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        db_table = "tenders_pricereview"
        verbose_name = _("abnormally low price review")
        verbose_name_plural = _("abnormally low price reviews")
        constraints = [models.UniqueConstraint(fields=["bid", "lot"], name="price_review_unique")]

    def __str__(self) -> str:
        return f"{self.bid_id} lot {self.lot}: {self.status}"

    @property
    def is_resolved(self) -> bool:
        return self.status != self.Status.REQUESTED

    @transition(field=status, source=Status.REQUESTED, target=Status.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=status, source=Status.REQUESTED, target=Status.REJECTED)
    def reject(self) -> None:
        pass


class EvaluationReport(models.Model):
    """The evaluation report as approved by the officer: built from the data, signed by the
    platform. A new version is approved whenever the evaluation changes (e.g. re-opened)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="evaluation_reports")
    version = models.PositiveSmallIntegerField(_("version"))
    content = models.JSONField(_("content"))
    # SHA-256 of the RFC 8785 JSON of `content` without its approval block: equal digests, same evaluation.
    digest = models.CharField(_("SHA-256 of the evaluation"), max_length=64)
    signature = models.TextField(_("signature (JWS)"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved"))

    class Meta:
        db_table = "tenders_evaluationreport"
        verbose_name = _("evaluation report")
        verbose_name_plural = _("evaluation reports")
        ordering = ["tender", "-version"]
        constraints = [models.UniqueConstraint(fields=["tender", "version"], name="evaluation_report_version_unique")]

    def __str__(self) -> str:
        return f"{self.tender_id} v{self.version}"


class AwardNoticeQuerySet(models.QuerySet):
    def public(self):
        return self.select_related("tender__buyer")


class AwardNotice(FSMModelMixin, models.Model):
    """The public notice of a tender's outcome: the winners per lot, or why it was unsuccessful."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award")  # at least one lot awarded; standstill running
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")  # no bid qualified

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")  # in force
        CANCELLED = "cancelled", _("Cancelled")  # a challenge was upheld; the evaluation re-opened

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="award_notices", verbose_name=_("tender"))
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = FSMField(_("status"), default=Status.PUBLISHED, choices=Status.choices, protected=True)
    report = models.ForeignKey(EvaluationReport, on_delete=models.PROTECT, null=True, blank=True, related_name="notices")
    content = models.JSONField(_("content"))
    signature = models.TextField(_("signature (JWS)"))
    bids_count = models.PositiveIntegerField(_("bids received"))
    published_at = models.DateTimeField(_("published"), db_index=True)
    standstill_ends_at = models.DateTimeField(_("standstill ends"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)

    objects = AwardNoticeQuerySet.as_manager()

    class Meta:
        db_table = "tenders_awardnotice"
        verbose_name = _("award notice")
        verbose_name_plural = _("award notices")
        ordering = ["-published_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="award_notice_number_unique")]

    def __str__(self) -> str:
        return f"{self.tender_id} #{self.number} ({self.kind})"

    def in_standstill_at(self, now: datetime) -> bool:
        return self.standstill_ends_at is not None and now < self.standstill_ends_at

    @transition(field=status, source=Status.PUBLISHED, target=Status.CANCELLED)
    def cancel(self) -> None:
        pass


class Award(FSMModelMixin, models.Model):
    """One lot awarded to one bid."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # decided, notice not yet published
        ACTIVE = "active", _("Active (standstill)")  # notice published; bidders may challenge until the standstill ends
        CONFIRMED = "confirmed", _("Confirmed")  # standstill over with no open challenge: ready for a contract
        CANCELLED = "cancelled", _("Cancelled")  # a challenge was upheld, or the winner declined or failed to sign the contract

    IN_FORCE_STATUSES = (Status.PENDING, Status.ACTIVE, Status.CONFIRMED)

    notice = models.ForeignKey(AwardNotice, on_delete=models.PROTECT, related_name="awards")
    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="awards")
    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="awards")
    bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, related_name="awards")
    supplier = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="awards_won")
    price = models.DecimalField(_("price"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    status = FSMField(_("status"), default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    created_at = models.DateTimeField(_("decided"))
    activated_at = models.DateTimeField(_("published"), null=True, blank=True)
    standstill_ends_at = models.DateTimeField(_("standstill ends"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # Why a confirmed award was cancelled: the winner declined the contract or did not sign in time.
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)

    class Meta:
        db_table = "tenders_award"
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["tender", "lot__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["lot"], condition=models.Q(status__in=["pending", "active", "confirmed"]), name="award_one_in_force_per_lot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lot} → {self.supplier_id}"

    @transition(field=status, source=Status.PENDING, target=Status.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.CONFIRMED)
    def confirm(self) -> None:
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=status, source=Status.CONFIRMED, target=Status.CANCELLED)
    def withdraw(self) -> None:
        pass


class ChallengeQuerySet(models.QuerySet):
    def open(self):
        """Challenges that block the award's confirmation."""
        return self.filter(status__in=Challenge.OPEN_STATUSES)


class Challenge(FSMModelMixin, models.Model):
    """A bidder's challenge of an award notice during the standstill."""

    class Status(models.TextChoices):
        LODGED = "lodged", _("Lodged")  # waiting for the agency's answer
        ANSWERED = "answered", _("Answered")  # the agency answered; the challenger accepts or escalates
        ESCALATED = "escalated", _("Escalated to the review body")  # a review officer decides
        UPHELD = "upheld", _("Upheld")  # the award is cancelled and the evaluation re-opens
        DISMISSED = "dismissed", _("Dismissed")  # the award proceeds

    class Decision(models.TextChoices):
        UPHOLD = "uphold", _("Uphold the challenge (cancel the award)")
        DISMISS = "dismiss", _("Dismiss the challenge (the award stands)")

    OPEN_STATUSES = (Status.LODGED, Status.ANSWERED, Status.ESCALATED)

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="challenges")
    notice = models.ForeignKey(AwardNotice, on_delete=models.PROTECT, related_name="challenges")
    bid = models.ForeignKey("bidding.Bid", on_delete=models.PROTECT, related_name="challenges")
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="+")
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grounds = models.TextField(_("grounds"))
    lodged_at = models.DateTimeField(_("lodged"))
    answer_due_at = models.DateTimeField(_("answer due"))
    status = FSMField(_("status"), default=Status.LODGED, choices=Status.choices, protected=True, db_index=True)
    answer = models.TextField(_("agency's answer"), blank=True)
    agency_decision = models.CharField(_("agency's decision"), max_length=10, choices=Decision.choices, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalation_reason = models.TextField(_("reason for escalating"), blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        db_table = "tenders_challenge"
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["tender", "lodged_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tender_id}: {self.grounds[:40]}"

    def answer_overdue_at(self, now: datetime) -> bool:
        return self.status == self.Status.LODGED and now >= self.answer_due_at

    def answer_stands_at(self, now: datetime, response_days: int) -> bool:
        """The challenger left the agency's answer without reply for `response_days`: it stands."""
        return self.status == self.Status.ANSWERED and now >= self.answered_at + timedelta(days=response_days)

    @transition(field=status, source=Status.LODGED, target=Status.ANSWERED)
    def record_answer(self) -> None:
        pass

    @transition(field=status, source=[Status.LODGED, Status.ANSWERED], target=Status.ESCALATED)
    def escalate(self) -> None:
        pass

    @transition(field=status, source=[Status.ANSWERED, Status.ESCALATED], target=Status.UPHELD)
    def uphold(self) -> None:
        pass

    @transition(field=status, source=[Status.ANSWERED, Status.ESCALATED], target=Status.DISMISSED)
    def dismiss(self) -> None:
        pass


def challenge_document_path(document: "ChallengeDocument", filename: str) -> str:
    return f"tenders/{document.challenge.tender_id}/challenges/{document.challenge_id}/{filename}"


class ChallengeDocument(models.Model):
    """A document lodged with a challenge; stored privately, read by the parties and the review body."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=challenge_document_path, max_length=500)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        db_table = "tenders_challengedocument"
        ordering = ["challenge", "pk"]

    def __str__(self) -> str:
        return self.name
