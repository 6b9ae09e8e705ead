"""The closing task run by a real db_worker process on the test database."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.models import AuditEvent
from tenders.models import Tender
from tests import factories as people
from tests.processes import Processes, child_environment
from tests.tenders import factories

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def wait_for_status(tender: Tender, status: str, timeout: float = 30) -> Tender:
    """Polls the database while another process works (the deadline itself is long past)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        tender.refresh_from_db()
        if tender.status == status:
            return tender
        time.sleep(0.2)
    raise TimeoutError(f"tender still {tender.status}")


def test_a_worker_closes_the_tender_its_publication_scheduled():
    agency = people.make_agency(name="Ministry of Workers", code="mow")
    officer = people.make_member(agency, "procurement_officer")
    # Published a month ago with a deadline that passed a minute ago: the closing is due now.
    deadline = timezone.now() - timedelta(minutes=1)
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        spec = factories.complete_spec(submission_deadline=deadline, clarification_deadline=deadline - timedelta(days=5))
        tender = factories.make_published(officer, agency, spec)
    with Processes(child_environment()) as platform:
        platform.worker()
        platform.worker()
        # The closing queues the opening, which finds no bid: the tender ends unsuccessful.
        tender = wait_for_status(tender, Tender.Status.UNSUCCESSFUL)
    assert tender.closed_at >= deadline
    assert AuditEvent.objects.filter(action="tender.closed", object_id=str(tender.pk)).count() == 1
