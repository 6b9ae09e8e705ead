"""Platform staff see no sealed bid in the admin before the deadline.

Bids, envelopes and keys are not registered at all. The platform's own lists of audit events,
live events and notifications are narrowed (and the task queue is not listed at all) so that the rows about a bid for a tender still
before its deadline (which name the firm, or carry the count) do not appear there.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marketplace.admin import AuditEventAdmin, LiveEventAdmin, ReadOnlyAdmin
from marketplace.models import AuditEvent, LiveEvent, Notification
from tenders.models import Tender

SEALED_AUDIT_ACTIONS = ["bid.submitted", "bid.replaced", "bid.withdrawn", "bid.sealed_before_amendment"]
SEALED_LIVE_KINDS = ["bid.received", "bid.withdrawn", "bids.count"]
SEALED_NOTIFICATION_KINDS = ["bid.sealed_before_amendment"]


def sealed_tender_ids() -> list[int]:
    """Tenders whose deadline has not passed: their bids' existence is still secret."""
    return list(Tender.objects.exclude(submission_deadline__lte=timezone.now()).values_list("pk", flat=True))


class SealedAuditEventAdmin(AuditEventAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).exclude(Q(action__in=SEALED_AUDIT_ACTIONS) & Q(payload__tender__in=sealed_tender_ids()))


class SealedLiveEventAdmin(LiveEventAdmin):
    def get_queryset(self, request):
        sealed = Q(kind__in=SEALED_LIVE_KINDS) & Q(payload__tender__in=sealed_tender_ids())
        return super().get_queryset(request).exclude(sealed | Q(kind="notification", payload__kind__in=SEALED_NOTIFICATION_KINDS))


class SealedNotificationAdmin(ReadOnlyAdmin):
    """Amendment flags name the firms that bid; they stay out of the staff's list."""

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(kind__in=SEALED_NOTIFICATION_KINDS)


# The task queue lists each e-mail task with the notification ids it sends and when it was
# queued: a bidder's own notices among them would number and time the bids. Staff follow the
# workers on their heartbeats instead; the queue is read with the database's own tools.
admin.site.unregister(DBTaskResult)

for model, model_admin in [(AuditEvent, SealedAuditEventAdmin), (LiveEvent, SealedLiveEventAdmin), (Notification, SealedNotificationAdmin)]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
