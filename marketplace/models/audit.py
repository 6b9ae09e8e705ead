"""The audit chain: an append-only, hash-linked record of every consequential act."""

from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")

    def _raw_delete(self, using):
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One link of the chain. `hash = SHA-256(prev_hash ‖ RFC 8785 JSON of the event)`."""

    seq = models.PositiveBigIntegerField(_("number"), unique=True, editable=False)
    created_at = models.DateTimeField(_("time"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    organisation = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    # The hash of the previous link; unique, so two writers can never both extend one head.
    prev_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)
    # The journal row this event was sequenced from (`marketplace.journal`), if any; not hashed.
    # The database lets a journal row be deleted only once an event made from it is stored.
    journal_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")

    def canonical_fields(self) -> dict:
        """What the hash covers, in the form it is hashed (see `marketplace.audit`)."""
        return {
            "seq": self.seq,
            "at": self.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "organisation": self.organisation_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "payload": self.payload,
            "ip": self.ip,
        }


class ChainHead(models.Model):
    """The single row that serialises writers of the audit chain and of live events.

    Locking it (SELECT … FOR UPDATE) is the only way to append to either; holding one lock for
    both keeps lock order trivial and makes live-event numbers follow commit order. A bid's
    submission never waits for it: it takes it only if free, else leaves its events in the
    journal (`ChainJournal`) for the sequencer (`marketplace.journal`).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    audit_length = models.PositiveBigIntegerField(default=0)
    audit_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    live_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="chain_head_single_row")]

    def __str__(self) -> str:
        return f"audit {self.audit_length} · live {self.live_seq}"


class ChainJournalQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("journal rows cannot be updated")

    def delete(self):
        raise AppendOnlyError("journal rows are removed only by the sequencer, as it appends them to the chain")

    def _raw_delete(self, using):
        raise AppendOnlyError("journal rows are removed only by the sequencer, as it appends them to the chain")


class ChainJournal(models.Model):
    """Audit and live events of one committed transaction, not yet in the chain.

    Written in the transaction of the act (a bid's submission) when the chain head is held by
    another writer; the sequencer (`marketplace.journal.drain`) appends them to the chain in
    order under the head lock and deletes the row in the same transaction. `entries` are audit
    events as `record()` takes them (ids and ISO times), `live` the live events
    `{"subject", "kind", "payload", "refresh"}`.
    """

    created_at = models.DateTimeField(editable=False)
    entries = models.JSONField(editable=False)
    live = models.JSONField(default=list, editable=False)

    objects = ChainJournalQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"journal #{self.pk}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("journal rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("journal rows are removed only by the sequencer, as it appends them to the chain")


class AuditCheckpointQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit checkpoints cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit checkpoints cannot be deleted")

    def _raw_delete(self, using):
        raise AppendOnlyError("audit checkpoints cannot be deleted")


class AuditCheckpoint(models.Model):
    """The chain head at a moment, signed by the platform: `jws` is a compact JWS over
    `{"hash", "length", "at"}`. Anyone who keeps a copy can later show a rewrite of the chain
    up to `length`, even by someone who controls the database."""

    length = models.PositiveBigIntegerField(_("events"), unique=True, editable=False)
    hash = models.CharField(_("head hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("time"), editable=False)
    jws = models.TextField(_("signature"), editable=False)

    objects = AuditCheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["length"]

    def __str__(self) -> str:
        return f"{self.hash}@{self.length}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit checkpoints cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit checkpoints cannot be deleted")

    def signed_content(self) -> dict:
        return {"hash": self.hash, "length": self.length, "at": self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}

    def reference(self) -> dict:
        return {"hash": self.hash, "length": self.length, "jws": self.jws}
