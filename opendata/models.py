"""Open data: every public change of a tender as an OCDS release, in the order it committed."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReleaseQuerySet(models.QuerySet):
    def in_feed_order(self):
        return self.order_by("position")

    def of(self, ocid: str):
        return self.filter(ocid=ocid).order_by("position")


class Release(models.Model):
    """One OCDS release, written in the transaction of the change it reports and never changed.

    `position` is the release's place in the change feed. It is taken while the writer holds the
    audit chain's head lock (`opendata.actions.record_release`), which every lifecycle action
    holds until it commits, so positions follow commit order: a client that has read up to
    position N will never see a release below N appear later.
    """

    position = models.PositiveBigIntegerField(_("feed position"), unique=True)
    ocid = models.CharField(_("open contracting ID"), max_length=100, db_index=True)
    # The OCDS release id: stable and unique, made from the event (e.g. `<ocid>-amendment-2`).
    release_id = models.CharField(_("release ID"), max_length=200, unique=True)
    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="releases", verbose_name=_("tender"))
    tags = models.JSONField(_("tags"), default=list)
    date = models.DateTimeField(_("date"))
    data = models.JSONField(_("release"))

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("OCDS release")
        verbose_name_plural = _("OCDS releases")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.release_id


class RedFlagQuerySet(models.QuerySet):
    def raised(self):
        return self.filter(status=RedFlag.Status.RAISED)

    def public_listing(self):
        return self.select_related("tender__buyer").order_by("-computed_at", "tender_id", "code")


class RedFlag(models.Model):
    """One integrity indicator of one tender as last computed (`opendata.redflags`), rewritten in
    the transaction of each change that feeds it. A flag whose data is not public yet has no row."""

    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")  # the indicator's condition holds; worth a closer look, not proof
        CLEAR = "clear", pgettext_lazy("red flag", "Clear")  # the condition does not hold
        NOT_ENOUGH_DATA = "not_enough_data", _("Not enough data")  # it cannot be judged from what is recorded

    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="red_flags", verbose_name=_("tender"))
    code = models.CharField(_("code"), max_length=30)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    reason = models.TextField(_("reason"))
    # What the flag measured (per lot), as decimal strings: the population outlier flags compare with.
    figures = models.JSONField(_("figures"), default=list)
    computed_at = models.DateTimeField(_("computed"))

    objects = RedFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("red flag")
        verbose_name_plural = _("red flags")
        ordering = ["tender", "code"]
        constraints = [models.UniqueConstraint(fields=["tender", "code"], name="red_flag_unique_code")]
        indexes = [models.Index(fields=["code", "status"], name="red_flag_code_status_idx")]

    def __str__(self) -> str:
        return f"{self.tender_id} {self.code} {self.status}"
