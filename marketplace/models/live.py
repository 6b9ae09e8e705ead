"""Stored live events: the record behind every websocket message."""

from django.db import models
from django.utils import timezone


class LiveEvent(models.Model):
    """An event on one subject (`tender.<id>`, `tender.<id>.officers`, `org.<id>`).

    `seq` is global and follows commit order (it is taken under the chain-head lock), so a
    client resuming with `after=<seq>` and a process tailing the table never skip a late commit.
    """

    subject = models.CharField(max_length=100)
    seq = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["subject", "seq"], name="live_subject_seq_idx")]

    def __str__(self) -> str:
        return f"{self.subject} #{self.seq} {self.kind}"

    def as_message(self) -> dict:
        return {
            "subject": self.subject,
            "seq": self.seq,
            "kind": self.kind,
            "payload": self.payload,
            "at": self.created_at.isoformat(),
        }


class WorkerHeartbeat(models.Model):
    """The last time each background worker ran the heartbeat task."""

    worker_id = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.beat_at:%H:%M:%S}"
