from datetime import timedelta

import pytest
import time_machine

from marketplace.errors import ActionError, Conflict
from marketplace.models import AuditEvent, LiveEvent, Notification
from tenders import actions, signals
from tenders.models import Tender

pytestmark = pytest.mark.django_db


def test_published_tender_is_cancelled_with_a_public_reason(tender, officer):
    cancelled = actions.cancel_tender(officer, tender, reason="The budget was withdrawn.")
    assert (cancelled.status, cancelled.cancellation_reason) == (Tender.Status.CANCELLED, "The budget was withdrawn.")
    assert AuditEvent.objects.filter(action="tender.cancelled").count() == 1
    assert LiveEvent.objects.get(subject="public", kind="tender.cancelled").payload["reason"] == "The budget was withdrawn."


def test_closed_tender_can_still_be_cancelled_before_the_opening(tender, officer):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        actions.close_tender(tender.pk)
        assert actions.cancel_tender(officer, tender, reason="Only one bid arrived.").status == Tender.Status.CANCELLED


def test_cancellation_after_the_opening_started_is_refused(tender, officer):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        actions.close_tender(tender.pk)
    tender.refresh_from_db()
    tender.start_opening()
    tender.save()
    with pytest.raises(Conflict) as refused:
        actions.cancel_tender(officer, tender, reason="Too late.")
    assert refused.value.problems[0].code == "opening_started"


def test_a_draft_is_discarded_not_cancelled(draft, officer):
    with pytest.raises(Conflict):
        actions.cancel_tender(officer, draft, reason="Never mind.")
    actions.discard_draft(officer, draft)
    assert not Tender.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.get(action="tender.draft_discarded").payload["title"] == draft.title


def test_a_published_tender_cannot_be_discarded(tender, officer):
    with pytest.raises(Conflict):
        actions.discard_draft(officer, tender)


def test_a_reason_is_required(tender, officer):
    with pytest.raises(ActionError) as refused:
        actions.cancel_tender(officer, tender, reason="  ")
    assert refused.value.problems[0].field == "reason"
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED


def test_followers_hear_of_the_cancellation(tender, officer, supplier_b, verified_b):
    actions.follow_tender(supplier_b, tender)
    actions.cancel_tender(officer, tender, reason="The budget was withdrawn.")
    assert Notification.objects.get(user=supplier_b).body == "The budget was withdrawn."


def test_cancelled_receivers_run_in_the_transaction(tender, officer):
    seen = []

    def note(sender, tender, **kwargs):
        seen.append(Tender.objects.get(pk=tender.pk).status)

    signals.tender_cancelled.connect(note)
    try:
        actions.cancel_tender(officer, tender, reason="Withdrawn.")
    finally:
        signals.tender_cancelled.disconnect(note)
    assert seen == [Tender.Status.CANCELLED]


def test_a_cancelled_tender_cannot_be_cancelled_again(tender, officer):
    actions.cancel_tender(officer, tender, reason="Withdrawn.")
    with pytest.raises(Conflict):
        actions.cancel_tender(officer, tender, reason="Again.")
