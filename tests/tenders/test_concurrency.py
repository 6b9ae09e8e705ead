"""Races settled by PostgreSQL row locks: publications of one agency, closings by two workers."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from marketplace.models import AuditEvent
from tenders import actions
from tenders.models import Tender
from tests import factories as people
from tests.tenders import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (DATABASE_URL): they run in CI")


def at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; return results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def desk():
    agency = people.make_agency(name="Ministry of Races", code="mor")
    return agency, people.make_member(agency, "procurement_officer")


def test_concurrent_publications_get_gap_free_references(desk):
    agency, officer = desk
    drafts = [factories.make_draft(officer, agency) for _ in range(8)]
    results = at_once(8, lambda i: actions.publish_tender(officer, drafts[i]).reference)
    year = timezone.localdate().year
    assert sorted(results) == [f"MOR-{year}-{n:04d}" for n in range(1, 9)]


def test_first_publications_of_a_year_race_to_create_the_counter(desk):
    agency, officer = desk
    with time_machine.travel(timezone.now().replace(year=timezone.now().year + 1, month=1, day=2)):
        # New year: no counter row yet; all four try to create it at once.
        drafts = [factories.make_draft(officer, agency) for _ in range(4)]
        results = at_once(4, lambda i: actions.publish_tender(officer, drafts[i]).reference)
    assert sorted(r[-4:] for r in results) == ["0001", "0002", "0003", "0004"]


def test_two_workers_closing_at_once_close_once(desk):
    agency, officer = desk
    tender = factories.make_published(officer, agency)
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        results = at_once(2, lambda i: actions.close_tender(tender.pk))
    assert sorted(results) == [False, True]
    assert Tender.objects.get(pk=tender.pk).status == Tender.Status.CLOSED
    assert AuditEvent.objects.filter(action="tender.closed").count() == 1


def test_an_amendment_racing_the_closing_at_the_deadline_never_lands_after_it(desk):
    agency, officer = desk
    tender = factories.make_published(officer, agency)

    def work(i):
        if i == 0:
            return actions.close_tender(tender.pk)
        return actions.amend_tender(officer, tender, reason="Late change.", changes={"title": "Changed"}).number

    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        results = at_once(2, work)
    assert results[0] is True and isinstance(results[1], actions.lifecycle.Conflict)
    assert not tender.amendments.exists()
