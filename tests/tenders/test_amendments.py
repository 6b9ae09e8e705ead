from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marketplace.errors import ActionError, Conflict
from marketplace.models import AuditEvent, LiveEvent, Notification
from tenders import actions, signals
from tenders.models import Amendment, Tender
from tenders.tasks import close_at_deadline
from tests.tenders import factories

pytestmark = pytest.mark.django_db


def codes(error):
    return {(p.field, p.code) for p in error.problems}


def test_amendment_is_numbered_and_lists_every_change(tender, officer):
    first = actions.amend_tender(officer, tender, reason="Typo in the title.", changes={"title": "Resurfacing of the N7"})
    second = actions.amend_tender(
        officer, tender, reason="Budget revised.", changes={"estimated_value": Decimal("1300000"), "deposit_amount": Decimal("20000")}
    )
    assert (first.number, second.number) == (1, 2)
    assert first.changes == [{"field": "title", "old": "Resurfacing of the N7 between Naas and Kildare", "new": "Resurfacing of the N7"}]
    assert second.changes == [
        {"field": "estimated_value", "old": "1200000.00", "new": "1300000.00"},
        {"field": "deposit_amount", "old": None, "new": "20000.00"},
    ]
    tender.refresh_from_db()
    assert tender.title == "Resurfacing of the N7" and tender.lots.get().title == "Resurfacing of the N7"


def test_amendment_is_public_audited_and_live(tender, officer, public):
    actions.amend_tender(
        officer, tender, reason="More time.", changes={"submission_deadline": tender.submission_deadline + timedelta(days=5)}
    )
    assert AuditEvent.objects.filter(action="tender.amended").count() == 1
    assert LiveEvent.objects.get(subject=f"tender.{tender.pk}", kind="tender.amended").payload["number"] == 1
    text = public.get(f"/tenders/{tender.pk}/").text
    assert "Amendment 1" in text and "More time." in text and "Submission deadline" in text


def test_followers_are_notified_of_an_amendment(tender, officer, supplier_b, verified_b):
    actions.follow_tender(supplier_b, tender)
    actions.amend_tender(officer, tender, reason="Typo.", changes={"title": "Resurfacing of the N7"})
    assert Notification.objects.get(user=supplier_b).kind == "tender.amended"


def test_amendment_receivers_get_the_amendment(tender, officer):
    seen = []

    def note(sender, tender, amendment, **kwargs):
        seen.append(amendment.number)

    signals.tender_amended.connect(note)
    try:
        actions.amend_tender(officer, tender, reason="Typo.", changes={"title": "Resurfacing of the N7"})
    finally:
        signals.tender_amended.disconnect(note)
    assert seen == [1]


def test_deadline_moves_out_when_too_little_time_is_left(officer, agency, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 10
    with time_machine.travel("2031-03-01 09:00:00Z", tick=False):
        tender = factories.make_published(officer, agency)  # deadline 2031-03-21 09:00
    with time_machine.travel("2031-03-12 09:00:01Z", tick=False):
        amendment = actions.amend_tender(officer, tender, reason="New drawings.", changes={"description": "With new drawings."})
    tender.refresh_from_db()
    assert amendment.deadline_extended and tender.submission_deadline.isoformat() == "2031-03-22T09:01:00+00:00"
    assert amendment.changes[-1] == {
        "field": "submission_deadline",
        "old": "2031-03-21T09:00:00+00:00",
        "new": "2031-03-22T09:01:00+00:00",
        "automatic": True,
    }


def test_deadline_stays_when_exactly_the_minimum_is_left(officer, agency, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 10
    with time_machine.travel("2031-03-01 09:00:00Z", tick=False):
        tender = factories.make_published(officer, agency)
    with time_machine.travel("2031-03-11 09:00:00Z", tick=False):
        amendment = actions.amend_tender(officer, tender, reason="New drawings.", changes={"description": "With new drawings."})
    tender.refresh_from_db()
    assert not amendment.deadline_extended and tender.submission_deadline.isoformat() == "2031-03-21T09:00:00+00:00"


def test_an_extended_deadline_reschedules_the_closing(officer, agency, settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 10
    with time_machine.travel("2031-03-01 09:00:00Z", tick=False):
        tender = factories.make_published(officer, agency)
    with time_machine.travel("2031-03-20 09:00:00Z", tick=False):
        actions.amend_tender(officer, tender, reason="New drawings.", changes={"description": "With new drawings."})
    runs = sorted(DBTaskResult.objects.filter(task_path=close_at_deadline.module_path).values_list("run_after", flat=True))
    assert [r.isoformat() for r in runs] == ["2031-03-21T09:00:00+00:00", "2031-03-30T09:00:00+00:00"]


def test_an_explicit_deadline_too_soon_is_refused(tender, officer):
    with pytest.raises(ActionError) as refused:
        actions.amend_tender(officer, tender, reason="Hurry.", changes={"submission_deadline": timezone.now() + timedelta(days=2)})
    assert codes(refused.value) == {("submission_deadline", "deadline_too_soon"), ("clarification_deadline", "deadline_order")}


def test_a_deadline_in_the_past_is_refused(tender, officer):
    with pytest.raises(ActionError) as refused:
        actions.amend_tender(officer, tender, reason="Oops.", changes={"submission_deadline": timezone.now() - timedelta(minutes=1)})
    assert ("submission_deadline", "deadline_past") in codes(refused.value)


def test_amending_after_the_deadline_is_refused_even_before_the_closing_ran(tender, officer):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)), pytest.raises(Conflict) as refused:
        actions.amend_tender(officer, tender, reason="Late.", changes={"title": "Too late"})
    assert refused.value.problems[0].code == "deadline_passed"
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED and not Amendment.objects.exists()


def test_amending_one_second_before_the_deadline_is_allowed(tender, officer):
    with time_machine.travel(tender.submission_deadline - timedelta(seconds=1)):
        amendment = actions.amend_tender(officer, tender, reason="Last minute.", changes={"title": "Resurfacing"})
    assert amendment.deadline_extended


def test_amending_a_closed_tender_is_a_conflict(tender, officer):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        actions.close_tender(tender.pk)
    with pytest.raises(Conflict):
        actions.amend_tender(officer, tender, reason="Late.", changes={"title": "Too late"})


def test_fields_fixed_at_publication_cannot_be_amended(tender, officer):
    with pytest.raises(ActionError) as refused:
        actions.amend_tender(officer, tender, reason="Change.", changes={"currency": "USD", "custody": "committee"})
    assert codes(refused.value) == {("currency", "not_amendable"), ("custody", "not_amendable")}


def test_a_reason_is_required(tender, officer):
    with pytest.raises(ActionError) as refused:
        actions.amend_tender(officer, tender, reason=" ", changes={"title": "New"})
    assert codes(refused.value) == {("reason", "required")}


def test_an_amendment_that_changes_nothing_is_refused(tender, officer):
    with pytest.raises(ActionError) as refused:
        actions.amend_tender(officer, tender, reason="Nothing.", changes={"title": tender.title, "estimated_value": Decimal("1200000")})
    assert codes(refused.value) == {(None, "no_change")}


def test_an_unknown_cpv_is_refused_and_nothing_changes(tender, officer):
    with pytest.raises(ActionError) as refused:
        actions.amend_tender(officer, tender, reason="Category.", changes={"main_category": "99999999", "title": "New"})
    assert ("main_category", "unknown_cpv") in codes(refused.value)
    tender.refresh_from_db()
    assert tender.title != "New" and not Amendment.objects.exists()


def test_lots_are_amended_and_the_total_follows(officer, agency):
    tender = factories.make_published(officer, agency, factories.lots_spec())
    amendment = actions.amend_tender(
        officer, tender, reason="Bridge costs more.", changes={}, lot_changes={2: {"estimated_value": Decimal("400000")}}
    )
    tender.refresh_from_db()
    assert tender.estimated_value == Decimal("1100000")
    assert [c["field"] for c in amendment.changes] == ["lots.2.estimated_value", "estimated_value"]


def test_the_value_of_a_tender_with_lots_is_amended_through_its_lots(officer, agency):
    tender = factories.make_published(officer, agency, factories.lots_spec())
    with pytest.raises(ActionError) as refused:
        actions.amend_tender(officer, tender, reason="More.", changes={"estimated_value": Decimal("5")})
    assert codes(refused.value) == {("estimated_value", "lots")}
