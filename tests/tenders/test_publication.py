from datetime import timedelta

import pytest
import time_machine
from django.dispatch import receiver
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marketplace.errors import ActionError, Conflict, Problem
from marketplace.models import AuditEvent, LiveEvent, Role
from tenders import actions, signals
from tenders.actions import CriterionSpec, DraftSpec, LotSpec
from tenders.models import ReferenceCounter, Tender
from tenders.tasks import close_at_deadline
from tests import factories as people
from tests.tenders import factories

pytestmark = pytest.mark.django_db


def codes(error: ActionError) -> set[tuple[str | None, str]]:
    return {(p.field, p.code) for p in error.problems}


def test_publication_gives_the_reference_and_announces_it(draft, officer):
    tender = actions.publish_tender(officer, draft)
    year = timezone.localdate().year
    assert tender.status == Tender.Status.PUBLISHED and tender.reference == f"MOT-{year}-0001"
    assert AuditEvent.objects.filter(action="tender.published", object_id=str(tender.pk)).count() == 1
    assert LiveEvent.objects.filter(subject=f"tender.{tender.pk}", kind="tender.published").exists()
    assert LiveEvent.objects.get(subject="public", kind="tender.published").payload["reference"] == tender.reference


def test_references_count_up_per_agency_and_year(officer, agency, other_officer, other_agency):
    year = timezone.localdate().year
    first = factories.make_published(officer, agency)
    elsewhere = factories.make_published(other_officer, other_agency)
    second = factories.make_published(officer, agency)
    assert [first.reference, second.reference, elsewhere.reference] == [f"MOT-{year}-0001", f"MOT-{year}-0002", f"MOE-{year}-0001"]


def test_references_start_again_each_year(officer, agency):
    with time_machine.travel("2031-12-20 10:00Z"):
        last_year = factories.make_published(officer, agency)
    with time_machine.travel("2032-01-02 10:00Z"):
        this_year = factories.make_published(officer, agency)
    assert (last_year.reference, this_year.reference) == ("MOT-2031-0001", "MOT-2032-0001")


def test_a_failed_publication_leaves_no_gap(officer, agency):
    draft = factories.make_draft(officer, agency)

    def explode(sender, tender, **kwargs):
        raise RuntimeError("the sealing keys could not be made")

    signals.tender_published.connect(explode)
    try:
        with pytest.raises(RuntimeError):
            actions.publish_tender(officer, draft)
    finally:
        signals.tender_published.disconnect(explode)
    draft.refresh_from_db()
    assert draft.status == Tender.Status.DRAFT and draft.reference is None
    assert actions.publish_tender(officer, draft).reference.endswith("-0001")


def test_publication_schedules_the_closing_at_the_deadline(draft, officer):
    tender = actions.publish_tender(officer, draft)
    task = DBTaskResult.objects.get(task_path=close_at_deadline.module_path)
    assert task.run_after == tender.submission_deadline and task.args_kwargs["args"] == [tender.pk]


def test_an_empty_draft_lists_every_problem_at_once(officer, agency):
    draft = actions.create_draft(officer, agency, DraftSpec(fields={"title": "Office chairs"}))
    with pytest.raises(ActionError) as refused:
        actions.publish_tender(officer, draft)
    assert {
        ("description", "required"),
        ("main_category", "required"),
        ("estimated_value", "required"),
        ("items", "required"),
        ("submission_deadline", "required"),
        ("clarification_deadline", "required"),
    } <= codes(refused.value)
    assert refused.value.status == 422


def test_an_invalid_publication_changes_nothing(officer, agency):
    draft = factories.make_draft(officer, agency, factories.complete_spec(submission_deadline=timezone.now() - timedelta(days=1)))
    events = AuditEvent.objects.count()
    with pytest.raises(ActionError):
        actions.publish_tender(officer, draft)
    draft.refresh_from_db()
    assert (draft.status, draft.reference, draft.published_at) == (Tender.Status.DRAFT, None, None)
    assert AuditEvent.objects.count() == events and not ReferenceCounter.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_deadline_exactly_the_minimum_response_time_away_is_accepted(officer, agency, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 10
    with time_machine.travel("2031-03-01 09:00:00Z", tick=False):
        now = timezone.now()
        spec = factories.complete_spec(submission_deadline=now + timedelta(days=10), clarification_deadline=now + timedelta(days=5))
        tender = factories.make_published(officer, agency, spec)
    assert tender.status == Tender.Status.PUBLISHED


def test_deadline_one_second_short_of_the_minimum_is_refused(officer, agency, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 10
    with time_machine.travel("2031-03-01 09:00:00Z", tick=False):
        now = timezone.now()
        spec = factories.complete_spec(
            submission_deadline=now + timedelta(days=10, seconds=-1), clarification_deadline=now + timedelta(days=5)
        )
        with pytest.raises(ActionError) as refused:
            factories.make_published(officer, agency, spec)
    assert codes(refused.value) == {("submission_deadline", "deadline_too_soon")}
    assert "10 days" in refused.value.problems[0].message


def test_request_for_quotation_counts_its_minimum_in_hours(officer, agency, settings):
    settings.MIN_RESPONSE_HOURS_RFQ = 48
    with time_machine.travel("2031-03-01 09:00:00Z", tick=False):
        now = timezone.now()
        soon = factories.complete_spec(
            method="rfq", submission_deadline=now + timedelta(hours=48), clarification_deadline=now + timedelta(hours=24)
        )
        assert factories.make_published(officer, agency, soon).status == Tender.Status.PUBLISHED
        too_soon = factories.complete_spec(
            method="rfq", submission_deadline=now + timedelta(hours=48, seconds=-1), clarification_deadline=now + timedelta(hours=24)
        )
        with pytest.raises(ActionError) as refused:
            factories.make_published(officer, agency, too_soon)
    assert "48 hours" in refused.value.problems[0].message


def test_the_tender_may_ask_for_more_days_than_the_platform(officer, agency, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    spec = factories.complete_spec(min_response_days=30)
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, spec)
    assert codes(refused.value) == {("submission_deadline", "deadline_too_soon")}


def test_a_zero_minimum_allows_a_deadline_one_second_away(officer, agency, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    with time_machine.travel("2031-03-01 09:00:00Z", tick=False):
        now = timezone.now()
        spec = factories.complete_spec(
            submission_deadline=now + timedelta(seconds=1), clarification_deadline=now + timedelta(microseconds=500)
        )
        assert factories.make_published(officer, agency, spec).status == Tender.Status.PUBLISHED


def test_a_deadline_in_the_past_is_refused(officer, agency):
    spec = factories.complete_spec(submission_deadline=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, spec)
    assert ("submission_deadline", "deadline_past") in codes(refused.value)


def test_clarification_deadline_must_come_before_the_submission_deadline(officer, agency):
    deadline = timezone.now() + timedelta(days=20)
    spec = factories.complete_spec(submission_deadline=deadline, clarification_deadline=deadline)
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, spec)
    assert codes(refused.value) == {("clarification_deadline", "deadline_order")}


def test_weights_must_sum_to_100_with_the_price(officer, agency):
    assert factories.make_published(officer, agency, factories.weighted_spec(60, (30, 10))).status == Tender.Status.PUBLISHED
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, factories.weighted_spec(60, (30, 11)))
    assert codes(refused.value) == {("criteria", "weights")}
    assert "101" in refused.value.problems[0].message


def test_weighted_scoring_needs_criteria_and_a_price_weight(officer, agency):
    spec = factories.weighted_spec(price_weight=None, weights=())
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, spec)
    assert {("criteria", "required"), ("price_weight", "required")} <= codes(refused.value)


def test_lowest_price_takes_no_criteria(officer, agency):
    spec = factories.complete_spec()
    spec.criteria = [CriterionSpec(name="Quality", weight=40)]
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, spec)
    assert codes(refused.value) == {("criteria", "criteria")}


@pytest.fixture
def custodians(agency):
    return [people.make_custodian(agency, f"custodian{n}@mot.test") for n in range(1, 4)]


def committee_spec(custodians, threshold):
    spec = factories.complete_spec(custody="committee", custody_threshold=threshold)
    spec.custodians = custodians
    return spec


def test_committee_custody_with_k_of_n_custodians_publishes(officer, agency, custodians):
    tender = factories.make_published(officer, agency, committee_spec(custodians, 2))
    assert [seat.user for seat in tender.custodian_seats.all()] == custodians


def test_k_may_not_exceed_n(officer, agency, custodians):
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, committee_spec(custodians, 4))
    assert codes(refused.value) == {("custody_threshold", "threshold")}


def test_a_single_custodian_is_not_a_committee(officer, agency, custodians):
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, committee_spec(custodians[:1], 1))
    assert {("custodians", "too_few_custodians"), ("custody_threshold", "threshold")} == codes(refused.value)


def test_custodians_must_be_distinct(officer, agency, custodians):
    with pytest.raises(ActionError) as refused:
        actions.create_draft(officer, agency, committee_spec([custodians[0], custodians[0]], 2))
    assert codes(refused.value) == {("custodians.1", "duplicate")}


def test_custodians_must_be_custodians_of_the_agency(officer, agency, custodians, evaluator, other_agency):
    stranger = people.make_custodian(other_agency, "custodian@moe.test")
    with pytest.raises(ActionError) as refused:
        actions.create_draft(officer, agency, committee_spec([custodians[0], evaluator, stranger], 2))
    assert codes(refused.value) == {("custodians.1", "not_custodian"), ("custodians.2", "not_custodian")}


def test_a_custodian_who_lost_the_role_stops_publication(officer, agency, custodians):
    from marketplace.actions import revoke_role
    from marketplace.models import Membership

    draft = factories.make_draft(officer, agency, committee_spec(custodians, 2))
    revoke_role(None, Membership.objects.get(user=custodians[2], role=Role.CUSTODIAN))
    with pytest.raises(ActionError) as refused:
        actions.publish_tender(officer, draft)
    assert codes(refused.value) == {("custodians.2", "not_custodian")}


def test_lots_need_their_items_and_values(officer, agency):
    spec = factories.lots_spec()
    spec.lots[1].items = []
    spec.lots[0].estimated_value = None
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, spec)
    assert codes(refused.value) == {("lots.1.items", "required"), ("lots.0.estimated_value", "required")}


def test_a_tender_divided_into_lots_needs_two(officer, agency):
    spec = factories.lots_spec()
    spec.lots = spec.lots[:1]
    with pytest.raises(ActionError) as refused:
        factories.make_published(officer, agency, spec)
    assert codes(refused.value) == {("lots", "too_few_lots")}


def test_other_apps_can_refuse_publication(draft, officer):
    @receiver(signals.publication_check)
    def no_keys(sender, tender, **kwargs):
        return [Problem("The sealing service is unavailable.", "sealing", None)]

    try:
        with pytest.raises(ActionError) as refused:
            actions.publish_tender(officer, draft)
    finally:
        signals.publication_check.disconnect(no_keys)
    assert codes(refused.value) == {(None, "sealing")}


def test_published_receivers_run_in_the_transaction_with_the_reference(draft, officer):
    seen = []

    def note(sender, tender, actor, now, **kwargs):
        seen.append((tender.reference, tender.status, actor, now == tender.published_at))

    signals.tender_published.connect(note)
    try:
        tender = actions.publish_tender(officer, draft)
    finally:
        signals.tender_published.disconnect(note)
    assert seen == [(tender.reference, Tender.Status.PUBLISHED, officer, True)]


def test_publishing_twice_is_a_conflict(tender, officer):
    with pytest.raises(Conflict):
        actions.publish_tender(officer, tender)


def test_one_lot_tender_keeps_its_lot_in_step(officer, agency):
    tender = factories.make_draft(officer, agency)
    actions.update_draft(officer, tender, DraftSpec(fields={"title": "New title", "estimated_value": 5}))
    [lot] = tender.lots.all()
    assert (lot.number, lot.title, lot.estimated_value) == (1, "New title", 5)


def test_lot_values_add_up_to_the_tender_value(officer, agency):
    tender = factories.make_draft(officer, agency, factories.lots_spec())
    assert tender.estimated_value == 1_000_000


def test_a_tender_not_divided_cannot_have_two_lots(officer, agency):
    spec = factories.complete_spec()
    spec.lots = [LotSpec(items=factories.items()), LotSpec(items=factories.items())]
    with pytest.raises(ActionError) as refused:
        actions.create_draft(officer, agency, spec)
    assert codes(refused.value) == {("lots", "lots")}
