"""The feed never skips a release that a slow transaction commits late: two writers on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from marketplace.models import Role
from opendata.models import Release
from tenders import actions as tender_actions
from tests import factories
from tests.bidding import helpers as bidding

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (DATABASE_URL): they run in CI")


def drafts() -> list:
    """Two tenders of two agencies, so the publications share no lock but the feed's."""
    deadline = timezone.now() + timedelta(days=7)
    tenders = []
    for code in ("slow", "fast"):
        officer = factories.make_member(factories.make_agency(code=code), Role.PROCUREMENT_OFFICER)
        tenders.append((officer, bidding.make_tender(officer, deadline=deadline)))
    return tenders


def in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def feed_after(public, after: int) -> list[dict]:
    return public.get(f"/api/v1/ocds/releases/?after={after}").json()["releases"]


def test_a_release_committed_late_is_not_skipped_by_a_follower(public):
    (slow_officer, slow), (fast_officer, fast) = drafts()
    slow_written, slow_may_commit, fast_done = threading.Event(), threading.Event(), threading.Event()

    def publish_slowly():
        with transaction.atomic():
            bidding.publish(slow, slow_officer)
            slow_written.set()
            slow_may_commit.wait(30)

    def publish_fast():
        slow_written.wait(30)
        bidding.publish(fast, fast_officer)
        fast_done.set()

    slow_thread, fast_thread = in_thread(publish_slowly), in_thread(publish_fast)
    assert slow_written.wait(30)
    fast_thread.join(1)
    # The fast publication waits for the slow one's feed position to commit before taking the next.
    assert not fast_done.is_set() and feed_after(public, 0) == []
    slow_may_commit.set()
    slow_thread.join(30)
    fast_thread.join(30)
    assert fast_done.is_set()
    received = [r["ocid"] for r in feed_after(public, 0)]
    assert received == [f"ocds-000000-{slow.pk}", f"ocds-000000-{fast.pk}"]
    assert list(Release.objects.in_feed_order().values_list("position", flat=True)) == [1, 2]


def test_two_closings_at_the_deadline_take_feed_positions_in_commit_order(public):
    """Closing is the first writer in its transaction to take the feed's lock, so the order here is
    the feed's own doing: a slow closing holds back the next one until it commits."""
    (slow_officer, slow), (fast_officer, fast) = drafts()
    bidding.publish(slow, slow_officer)
    bidding.publish(fast, fast_officer)
    slow_written, slow_may_commit, fast_done = threading.Event(), threading.Event(), threading.Event()

    def close_slowly():
        with transaction.atomic():
            assert tender_actions.close_tender(slow.pk)
            slow_written.set()
            slow_may_commit.wait(30)

    def close_fast():
        slow_written.wait(30)
        assert tender_actions.close_tender(fast.pk)
        fast_done.set()

    with time_machine.travel(slow.submission_deadline + timedelta(seconds=1)):
        cursor = Release.objects.in_feed_order().last().position
        slow_thread, fast_thread = in_thread(close_slowly), in_thread(close_fast)
        assert slow_written.wait(30)
        fast_thread.join(1)
        assert not fast_done.is_set() and feed_after(public, cursor) == []
        slow_may_commit.set()
        slow_thread.join(30)
        fast_thread.join(30)
    assert fast_done.is_set()
    assert [(r["ocid"], r["tag"]) for r in feed_after(public, cursor)] == [
        (f"ocds-000000-{slow.pk}", ["tenderUpdate"]),
        (f"ocds-000000-{fast.pk}", ["tenderUpdate"]),
    ]


def test_a_follower_reading_between_two_commits_gets_the_second_after_its_cursor(public):
    (first_officer, first), (second_officer, second) = drafts()
    bidding.publish(first, first_officer)
    [seen] = feed_after(public, 0)
    cursor = Release.objects.get(release_id=seen["id"]).position
    bidding.publish(second, second_officer)
    assert [r["ocid"] for r in feed_after(public, cursor)] == [f"ocds-000000-{second.pk}"]
