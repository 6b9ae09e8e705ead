"""Open data: every public change of a tender as an OCDS release, in the order it committed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
