from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import AuditEvent, LiveEvent, Notification
from tenders import actions
from tenders.models import Clarification, TenderFollower
from tests.tenders import factories

pytestmark = pytest.mark.django_db


def test_verified_supplier_asks_one_second_before_the_clarification_deadline(tender, supplier_a, verified_a):
    with time_machine.travel(tender.clarification_deadline - timedelta(seconds=1)):
        question = actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    assert (question.status, question.asker_organisation, question.number) == (Clarification.Status.ASKED, verified_a.organisation, None)


def test_question_one_second_after_the_clarification_deadline_is_refused(tender, supplier_a, verified_a):
    with time_machine.travel(tender.clarification_deadline + timedelta(seconds=1)), pytest.raises(Conflict) as refused:
        actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    assert refused.value.problems[0].code == "clarification_closed" and not Clarification.objects.exists()


def test_question_at_the_clarification_deadline_is_refused(tender, supplier_a, verified_a):
    with time_machine.travel(tender.clarification_deadline, tick=False), pytest.raises(Conflict):
        actions.ask_question(supplier_a, tender, question="Is night work allowed?")


@pytest.mark.parametrize("status", ["applied", "suspended", "debarred"])
def test_only_verified_suppliers_ask(tender, supplier_a, supplier_org_a, status):
    factories.make_supplier(supplier_org_a, status=status)
    with pytest.raises(Forbidden):
        actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    assert not Clarification.objects.exists()


def test_a_suspension_that_ended_no_longer_stops_questions(tender, supplier_a, supplier_org_a):
    factories.make_supplier(supplier_org_a, status="suspended", restricted_until=timezone.localdate() - timedelta(days=1))
    assert actions.ask_question(supplier_a, tender, question="Is night work allowed?").pk


def test_an_unregistered_firm_cannot_ask(tender, supplier_a):
    with pytest.raises(Forbidden) as refused:
        actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    assert "not registered as a supplier" in refused.value.message


def test_an_empty_question_is_refused(tender, supplier_a, verified_a):
    with pytest.raises(ActionError) as refused:
        actions.ask_question(supplier_a, tender, question="   ")
    assert refused.value.problems[0].field == "question"


def test_asking_makes_the_firm_follow_and_tells_the_officers(tender, supplier_a, verified_a, officer):
    actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    assert TenderFollower.objects.filter(tender=tender, organisation=verified_a.organisation).exists()
    assert Notification.objects.filter(user=officer, kind="tender.question").exists()
    event = LiveEvent.objects.get(subject=f"tender.{tender.pk}.officers")
    assert event.payload["waiting"] == 1 and "night work" not in str(event.payload)
    assert not LiveEvent.objects.filter(subject=f"tender.{tender.pk}", kind="question.asked").exists()


def test_answer_is_published_live_without_the_asker(tender, supplier_a, verified_a, officer):
    question = actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    answered = actions.answer_question(officer, question, answer="Yes, between 22:00 and 06:00.")
    assert (answered.status, answered.number) == (Clarification.Status.ANSWERED, 1)
    live = LiveEvent.objects.get(subject=f"tender.{tender.pk}", kind="clarification.published")
    assert live.payload == {"number": 1, "question": "Is night work allowed?", "answer": "Yes, between 22:00 and 06:00."}
    assert AuditEvent.objects.filter(action="clarification.answered").count() == 1


def test_answer_emails_reach_every_follower(tender, supplier_a, verified_a, officer, supplier_b, verified_b):
    from marketplace.notify import send_notification_emails

    actions.follow_tender(supplier_b, tender)
    question = actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    actions.answer_question(officer, question, answer="Yes.")
    ids = list(Notification.objects.filter(kind="tender.clarification").values_list("pk", flat=True))
    send_notification_emails.call(ids)
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@alpha.test", "admin@beta.test"]
    assert all("Is night work allowed?" in m.body and "Yes." in m.body for m in mail.outbox)


def test_officer_may_reword_the_question_and_the_original_stays_in_the_audit(tender, supplier_a, verified_a, officer):
    question = actions.ask_question(supplier_a, tender, question="Alpha Works asks: is night work allowed?")
    actions.answer_question(officer, question, answer="Yes.", question="Is night work allowed?")
    question.refresh_from_db()
    audit = AuditEvent.objects.get(action="clarification.answered")
    assert question.question == "Is night work allowed?" and audit.payload["asked"].startswith("Alpha Works asks")


def test_a_question_is_answered_once(tender, supplier_a, verified_a, officer):
    question = actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    actions.answer_question(officer, question, answer="Yes.")
    with pytest.raises(Conflict):
        actions.answer_question(officer, question, answer="No.")


def test_answers_after_the_submission_deadline_are_refused(tender, supplier_a, verified_a, officer):
    question = actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    with time_machine.travel(tender.submission_deadline - timedelta(seconds=1)):
        actions.publish_clarification(officer, tender, question="Site visit", answer="On Monday at 10:00.")
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)), pytest.raises(Conflict):
        actions.answer_question(officer, question, answer="Yes.")


def test_officer_publishes_a_clarification_of_their_own(tender, officer):
    first = actions.publish_clarification(officer, tender, question="Site visit", answer="On Monday at 10:00.")
    second = actions.publish_clarification(officer, tender, question="Parking", answer="At the depot.")
    assert (first.number, second.number, first.asked_by, first.status) == (1, 2, None, Clarification.Status.ANSWERED)


def test_numbers_follow_the_order_of_publication_not_of_asking(tender, supplier_a, verified_a, officer):
    early = actions.ask_question(supplier_a, tender, question="First asked")
    late = actions.ask_question(supplier_a, tender, question="Second asked")
    actions.answer_question(officer, late, answer="A")
    actions.answer_question(officer, early, answer="B")
    early.refresh_from_db()
    late.refresh_from_db()
    assert (late.number, early.number) == (1, 2)


def test_a_member_of_two_firms_must_say_which_one_asks(tender, supplier_a, verified_a, supplier_org_b, verified_b):
    from marketplace.actions import grant_role

    grant_role(None, supplier_a, supplier_org_b, "bidder")
    with pytest.raises(ActionError) as refused:
        actions.ask_question(supplier_a, tender, question="Which firm am I?")
    assert refused.value.problems[0].field == "organisation"
    assert actions.ask_question(supplier_a, tender, question="Beta asks", organisation=supplier_org_b).asker_organisation == supplier_org_b


def test_a_draft_cannot_be_asked_about(draft, supplier_a, verified_a):
    with pytest.raises(Conflict):
        actions.ask_question(supplier_a, draft, question="Is it out yet?")


def test_unfollowing_stops_the_messages(tender, supplier_b, verified_b, officer):
    actions.follow_tender(supplier_b, tender)
    actions.unfollow_tender(supplier_b, tender)
    actions.publish_clarification(officer, tender, question="Site visit", answer="On Monday.")
    assert not Notification.objects.filter(user=supplier_b).exists()
