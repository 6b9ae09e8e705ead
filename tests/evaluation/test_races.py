"""Races settled by PostgreSQL row locks: two officers awarding at once, two sweeps confirming."""

from datetime import timedelta

import pytest
from django.db import connection

from evaluation import actions, tasks
from evaluation.models import Award, AwardNotice
from marketplace.errors import ActionError
from marketplace.models import AuditEvent
from tests import factories
from tests.evaluation import helpers as h
from tests.tenders.test_concurrency import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (DATABASE_URL): they run in CI")


@pytest.fixture
def ready_to_award(officer, evaluator, agency, deadline, firms):
    second_officer = factories.make_member(agency, "procurement_officer", "officer2@mot.test")
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        yield h.refresh(tender), [officer, second_officer], clock


def test_two_officers_awarding_at_once_publish_one_notice(ready_to_award):
    tender, officers, _clock = ready_to_award
    results = at_once(2, lambda i: actions.award_tender(officers[i], tender))
    assert sum(isinstance(r, AwardNotice) for r in results) == 1
    assert sum(isinstance(r, ActionError) for r in results) == 1
    assert AwardNotice.objects.count() == 1 and Award.objects.count() == 1


def test_two_sweeps_confirm_an_award_once(ready_to_award):
    tender, officers, clock = ready_to_award
    notice = actions.award_tender(officers[0], tender)
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    results = at_once(3, lambda i: tasks.confirm_at_standstill_end.call(tender.pk))
    assert sorted(results) == [0, 0, 1]
    assert AuditEvent.objects.filter(action="award.confirmed").count() == 1
