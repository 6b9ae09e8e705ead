from datetime import timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from marketplace.models import AuditEvent, LiveEvent
from tenders import signals
from tenders.actions import close_tender
from tenders.models import Tender
from tenders.tasks import close_at_deadline, sweep_deadlines
from tests.tenders import factories

pytestmark = pytest.mark.django_db


def test_closing_one_second_before_the_deadline_does_nothing(tender):
    with time_machine.travel(tender.submission_deadline - timedelta(seconds=1)):
        assert close_at_deadline.call(tender.pk) is False
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED


def test_closing_at_the_deadline_closes(tender):
    with time_machine.travel(tender.submission_deadline, tick=False):
        assert close_at_deadline.call(tender.pk) is True
    tender.refresh_from_db()
    assert (tender.status, tender.closed_at) == (Tender.Status.CLOSED, tender.submission_deadline)


def test_closing_is_announced_audited_and_signalled(tender):
    seen = []
    signals.tender_closed.connect(lambda sender, tender, now, **kw: seen.append(tender.status), weak=False, dispatch_uid="test-close")
    try:
        with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
            close_tender(tender.pk)
    finally:
        signals.tender_closed.disconnect(dispatch_uid="test-close")
    assert seen == [Tender.Status.CLOSED]
    assert AuditEvent.objects.filter(action="tender.closed").count() == 1
    assert LiveEvent.objects.filter(subject=f"tender.{tender.pk}", kind="tender.closed").count() == 1


def test_closing_twice_closes_once(tender):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        assert [close_at_deadline.call(tender.pk), close_at_deadline.call(tender.pk)] == [True, False]
    assert AuditEvent.objects.filter(action="tender.closed").count() == 1


def test_closing_leaves_other_states_alone(tender, officer):
    from tenders.actions import cancel_tender

    cancel_tender(officer, tender, reason="Withdrawn.")
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        assert close_tender(tender.pk) is False
    tender.refresh_from_db()
    assert tender.status == Tender.Status.CANCELLED


def test_closing_a_tender_that_no_longer_exists_does_nothing(db):
    assert close_tender(999_999) is False


def test_the_sweep_closes_tenders_whose_closing_was_missed(officer, agency):
    early = factories.make_published(officer, agency)
    late = factories.make_published(
        officer, agency, factories.complete_spec(submission_deadline=early.submission_deadline + timedelta(days=3))
    )
    DBTaskResult.objects.all().delete()  # the queue was lost
    with time_machine.travel(early.submission_deadline + timedelta(seconds=1)):
        assert sweep_deadlines.call() == 1
    assert Tender.objects.get(pk=early.pk).status == Tender.Status.CLOSED
    assert Tender.objects.get(pk=late.pk).status == Tender.Status.PUBLISHED


def test_the_sweep_keeps_one_sweep_queued(tender, settings):
    settings.TENDER_CLOSING_SWEEP_SECONDS = 30
    DBTaskResult.objects.all().delete()
    sweep_deadlines.call()
    sweep_deadlines.call()
    [queued] = DBTaskResult.objects.filter(task_path=sweep_deadlines.module_path)
    assert queued.status == "READY"


def test_publication_queues_the_sweep_once(officer, agency):
    factories.make_published(officer, agency)
    factories.make_published(officer, agency)
    assert DBTaskResult.objects.filter(task_path=sweep_deadlines.module_path).count() == 1
