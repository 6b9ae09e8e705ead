"""Tenders: a buyer's call for bids, from draft to completion."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin


class TenderQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=Tender.Status.DRAFT)


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

    buyer = models.ForeignKey(
        "marketplace.Organisation",
        on_delete=models.PROTECT,
        related_name="tenders",
        limit_choices_to={"kind": "agency"},
        verbose_name=_("buyer"),
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True, null=True, blank=True)
    title = models.CharField(_("title"), max_length=300)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    submission_deadline = models.DateTimeField(_("submission deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenderQuerySet.as_manager()

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reference or _('draft')} · {self.title}"

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT
