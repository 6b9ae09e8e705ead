"""The opening's tasks: queued by the closing at the deadline, moved by amendments, and a sweep
that picks up what a lost worker left."""

from datetime import timedelta

import pytest
import time_machine
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from bidding import actions, opening, tasks
from bidding.models import Bid, Opening
from marketplace.models import Notification, Role
from tenders import tasks as tender_tasks
from tenders.actions import amend_tender
from tenders.models import Custody, Tender
from tests.bidding import helpers
from tests.factories import make_custodian

pytestmark = pytest.mark.django_db


@pytest.fixture
def bid(tender, supplier_a, supplier_org_a, supplier_record_a):
    return actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))


def queued_openings() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=tasks.open_at_deadline.module_path, status=TaskResultStatus.READY))


def test_the_closing_task_queues_the_opening_which_opens_the_tender(tender, bid, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert tender_tasks.close_at_deadline.call(tender.pk)
        [queued] = queued_openings()
        assert queued.args_kwargs["args"] == [tender.pk]
        assert tasks.open_at_deadline.call(tender.pk)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED and Bid.objects.get().status == Bid.Status.OPENED


def test_the_closing_queues_the_opening_sweep(tender, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        helpers.close(tender)
    assert DBTaskResult.objects.filter(task_path=tasks.sweep_openings.module_path, status=TaskResultStatus.READY).count() == 1


def test_an_amended_deadline_moves_the_opening(tender, bid, officer, deadline):
    later = deadline + timedelta(days=3)
    amend_tender(officer, tender, reason="More time.", changes={"submission_deadline": later})
    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert opening.open_tender(tender.pk) is None
    with time_machine.travel(later - timedelta(seconds=1)):
        assert opening.open_tender(tender.pk) is None
    with time_machine.travel(later + timedelta(seconds=1)):
        assert opening.open_tender(tender.pk).status == Opening.Status.COMPLETE


def test_the_sweep_opens_a_closed_tender_whose_opening_was_lost(tender, bid, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        helpers.close(tender)
        DBTaskResult.objects.filter(task_path=tasks.open_at_deadline.module_path).delete()  # the queue was lost
        tasks.sweep_openings.call()
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED


def test_the_sweep_alerts_the_officers_when_the_quorum_window_ends(
    officer, agency, deadline, supplier_a, supplier_org_a, supplier_record_a
):
    custodians = [make_custodian(agency, f"keeper{n}@mot.test") for n in range(2)]
    tender = helpers.make_tender(officer, deadline=deadline, custody=Custody.COMMITTEE, custodians=custodians, threshold=2)
    tender = helpers.publish(tender, officer)
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
    window_end = deadline + timedelta(seconds=1, hours=tender.opening_quorum_hours)
    with time_machine.travel(window_end - timedelta(seconds=1)):
        tasks.sweep_openings.call()
    assert not Notification.objects.filter(kind="opening.quorum_missed").exists()
    with time_machine.travel(window_end + timedelta(seconds=1)):
        tasks.sweep_openings.call()
        tasks.check_quorum.call(Opening.objects.get().pk)  # the task queued for the window's end finds it done
    assert Notification.objects.filter(kind="opening.quorum_missed", user=officer).count() == 1


def test_a_cancelled_tender_is_never_opened(tender, bid, officer, deadline):
    helpers.cancel(tender, officer)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert opening.open_tender(tender.pk) is None
        tasks.sweep_openings.call()
    assert not Opening.objects.exists() and Bid.objects.get().status == Bid.Status.SUBMITTED


def test_an_officer_of_another_role_cannot_start_it(tender, bid, agency, deadline, client):
    from tests.factories import make_member

    finance = make_member(agency, Role.FINANCE_OFFICER)
    client.force_login(finance)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert client.post(f"/api/v1/tenders/{tender.pk}/opening/").status_code == 403


def test_the_command_opens_the_tender_and_prints_the_record(tender, bid, deadline, supplier_org_a):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with time_machine.travel(deadline - timedelta(seconds=1)), pytest.raises(CommandError, match="nothing to open"):
        call_command("open_tender", tender.pk)
    out = StringIO()
    with time_machine.travel(deadline + timedelta(seconds=1)):
        call_command("open_tender", tender.pk, stdout=out)
    assert f"1. {supplier_org_a.name}" in out.getvalue() and "lot 1 1234.50 EUR" in out.getvalue()
    assert Tender.objects.get(pk=tender.pk).status == Tender.Status.OPENED
