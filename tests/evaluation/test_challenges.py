"""The standstill, challenges and confirmation, with awards made from real sealed bids."""

from datetime import timedelta

import pytest

from bidding.models import Bid
from evaluation import actions, tasks
from evaluation.models import Award, AwardNotice, Challenge
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Notification
from tenders.models import Tender
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(officer, evaluator, deadline, firms):
    """Alpha (900) wins against Beta (1000); Gamma did not bid. Standstill 10 days, answers in 5."""
    tender = h.published(officer, deadline, standstill_days=10, challenge_answer_days=5)
    winner = h.bid(tender, *firms[0], {1: "900.00"})
    loser = h.bid(tender, *firms[1], {1: "1000.00"})
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in (winner, loser):
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        notice = actions.award_tender(officer, tender)
        yield h.refresh(tender), notice, winner, loser, clock


def lodge(user, organisation, tender):
    return actions.lodge_challenge(user, organisation, tender, grounds="The winner's licence had expired at the deadline.")


def test_a_challenge_one_second_before_the_standstill_ends_is_lodged(awarded, supplier_b, supplier_org_b):
    tender, notice, _w, _l, clock = awarded
    clock.move_to(notice.standstill_ends_at - timedelta(seconds=1))
    challenge = lodge(supplier_b, supplier_org_b, tender)
    assert challenge.status == Challenge.Status.LODGED
    assert challenge.answer_due_at == notice.standstill_ends_at - timedelta(seconds=1) + timedelta(days=5)


def test_a_challenge_one_second_after_the_standstill_is_refused(awarded, supplier_b, supplier_org_b):
    tender, notice, _w, _l, clock = awarded
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        lodge(supplier_b, supplier_org_b, tender)
    assert refused.value.problems[0].code == "standstill_over" and not Challenge.objects.exists()


def test_a_firm_that_did_not_bid_cannot_challenge(awarded, supplier_c, supplier_org_c):
    tender, *_rest = awarded
    with pytest.raises(Forbidden) as refused:
        lodge(supplier_c, supplier_org_c, tender)
    assert refused.value.problems[0].code == "not_a_bidder" and not Challenge.objects.exists()


def test_a_challenge_needs_grounds(awarded, supplier_b, supplier_org_b):
    tender, *_rest = awarded
    with pytest.raises(ActionError):
        actions.lodge_challenge(supplier_b, supplier_org_b, tender, grounds="  ")
    assert not Challenge.objects.exists()


def test_a_firm_has_one_open_challenge_per_award(awarded, officer, supplier_b, supplier_org_b):
    tender, *_rest = awarded
    first = lodge(supplier_b, supplier_org_b, tender)
    with pytest.raises(Conflict) as refused:
        lodge(supplier_b, supplier_org_b, tender)  # a second click, or a second thought
    assert refused.value.problems[0].code == "challenge_pending"
    assert list(Challenge.objects.all()) == [first]
    # Once the first is decided, the firm may challenge again within the standstill.
    actions.answer_challenge(officer, first, answer="The licence was valid at the deadline.", decision=Challenge.Decision.DISMISS)
    actions.accept_answer(supplier_b, first)
    assert lodge(supplier_b, supplier_org_b, tender).status == Challenge.Status.LODGED


def test_the_award_is_confirmed_only_after_the_standstill(awarded, officer):
    tender, notice, winner, loser, clock = awarded
    clock.move_to(notice.standstill_ends_at - timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        actions.confirm_awards(officer, tender)
    assert refused.value.problems[0].code == "standstill_running"
    assert tasks.confirm_at_standstill_end.call(tender.pk) == 0
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    assert tasks.confirm_at_standstill_end.call(tender.pk) == 1
    assert Award.objects.get().status == Award.Status.CONFIRMED
    assert (h.refresh(winner).status, h.refresh(loser).status) == (Bid.Status.AWARDED, Bid.Status.UNSUCCESSFUL)


def test_confirming_with_an_open_challenge_is_refused(awarded, officer, supplier_b, supplier_org_b):
    tender, notice, *_rest, clock = awarded
    lodge(supplier_b, supplier_org_b, tender)
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        actions.confirm_awards(officer, tender)
    assert refused.value.problems[0].code == "challenge_open"
    assert tasks.sweep_awards.call()["confirmed"] == 0
    assert Award.objects.get().status == Award.Status.ACTIVE


def test_an_upheld_challenge_cancels_the_award_and_reopens_the_evaluation(awarded, officer, supplier_b, supplier_org_b):
    tender, notice, *_rest = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    actions.answer_challenge(officer, challenge, answer="The licence had indeed expired.", decision=Challenge.Decision.UPHOLD)
    actions.accept_answer(supplier_b, challenge)
    assert h.refresh(challenge).status == Challenge.Status.UPHELD
    assert h.refresh(notice).status == AwardNotice.Status.CANCELLED and Award.objects.get().status == Award.Status.CANCELLED
    assert h.refresh(tender).status == Tender.Status.EVALUATING


def test_after_an_upheld_challenge_the_officer_requalifies_and_awards_again(awarded, officer, supplier_b, supplier_org_b):
    tender, _notice, winner, loser, _clock = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    actions.answer_challenge(officer, challenge, answer="The licence had indeed expired.", decision=Challenge.Decision.UPHOLD)
    actions.accept_answer(supplier_b, challenge)
    actions.qualify_bid(officer, tender, winner, h.fail_documents(tender, "Licence expired before the deadline."), reconsider=True)
    assert h.refresh(winner).status == Bid.Status.DISQUALIFIED
    with pytest.raises(Conflict) as refused:
        actions.award_tender(officer, tender)
    assert refused.value.problems[0].code == "report_outdated"
    actions.approve_report(officer, tender)
    again = actions.award_tender(officer, tender)
    assert again.number == 2 and again.awards.get().bid_id == loser.pk


def test_an_answer_the_challenger_leaves_unanswered_stands_after_the_answer_period(awarded, officer, supplier_b, supplier_org_b):
    tender, _notice, *_rest, clock = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    answered = actions.answer_challenge(officer, challenge, answer="Valid licence.", decision=Challenge.Decision.DISMISS)
    clock.move_to(answered.answered_at + timedelta(days=5) - timedelta(seconds=1))
    assert actions.settle_stale_answers(h.now()) == 0
    clock.move_to(answered.answered_at + timedelta(days=5) + timedelta(seconds=1))
    assert tasks.sweep_awards.call()["settled"] == 1
    assert h.refresh(challenge).status == Challenge.Status.DISMISSED


def test_a_dismissed_challenge_lets_the_award_proceed(awarded, officer, review_officer, supplier_b, supplier_org_b):
    tender, notice, *_rest, clock = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    actions.answer_challenge(officer, challenge, answer="The licence was valid until 2027.", decision=Challenge.Decision.DISMISS)
    actions.escalate_challenge(supplier_b, challenge, reason="The registry shows otherwise.")
    actions.decide_challenge(review_officer, challenge, uphold=False, reason="The licence was valid at the deadline.")
    assert h.refresh(challenge).status == Challenge.Status.DISMISSED
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    assert tasks.sweep_awards.call()["confirmed"] == 1
    assert Award.objects.get().status == Award.Status.CONFIRMED and h.refresh(tender).status == Tender.Status.AWARDED


def test_a_challenge_dismissed_after_the_standstill_confirms_the_award(
    awarded, officer, supplier_b, supplier_org_b, django_capture_on_commit_callbacks
):
    tender, notice, *_rest, clock = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    actions.answer_challenge(officer, challenge, answer="Valid licence.", decision=Challenge.Decision.DISMISS)
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        actions.accept_answer(supplier_b, challenge)
    assert Award.objects.get().status == Award.Status.CONFIRMED


def test_an_unanswered_challenge_is_escalated_when_its_answer_period_ends(awarded, supplier_b, supplier_org_b):
    tender, _notice, *_rest, clock = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    clock.move_to(challenge.answer_due_at - timedelta(seconds=1))
    assert tasks.escalate_if_unanswered.call(challenge.pk) is False
    clock.move_to(challenge.answer_due_at + timedelta(seconds=1))
    assert tasks.sweep_awards.call()["escalated"] == 1
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.ESCALATED and "did not answer" in challenge.escalation_reason


def test_the_agency_cannot_answer_after_its_answer_period(awarded, officer, supplier_b, supplier_org_b):
    tender, _notice, *_rest, clock = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    clock.move_to(challenge.answer_due_at + timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        actions.answer_challenge(officer, challenge, answer="Late.", decision=Challenge.Decision.DISMISS)
    assert refused.value.problems[0].code == "answer_overdue" and h.refresh(challenge).answer == ""


def test_only_an_escalated_challenge_goes_to_the_review_officer(awarded, review_officer, supplier_b, supplier_org_b):
    tender, *_rest = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    with pytest.raises(Conflict):
        actions.decide_challenge(review_officer, challenge, uphold=True, reason="Too early.")
    assert h.refresh(challenge).status == Challenge.Status.LODGED


def test_every_notification_of_a_challenge_links_its_recipient_to_a_page_they_can_open(
    awarded, client, officer, review_officer, supplier_a, supplier_b, supplier_org_b
):
    tender, *_rest, _clock = awarded
    challenge = lodge(supplier_b, supplier_org_b, tender)
    actions.answer_challenge(officer, challenge, answer="The licence was valid.", decision=Challenge.Decision.DISMISS)
    client.force_login(review_officer)
    assert client.get(f"/tenders/{tender.pk}/opened-bids/").status_code == 404  # not before the dispute reaches the review body
    actions.escalate_challenge(supplier_b, challenge, reason="The licence had expired; here is the registry's extract.")
    client.force_login(review_officer)
    assert client.get(f"/tenders/{tender.pk}/opened-bids/").status_code == 200
    assert f'href="/tenders/{tender.pk}/opened-bids/"' in client.get("/tenders/reviews/").text
    actions.decide_challenge(review_officer, challenge, uphold=True, reason="The winner's licence had expired.")
    notifications = list(Notification.objects.exclude(kind__startswith="bid.").select_related("user"))
    kinds = {(n.kind, n.user.email) for n in notifications}
    assert ("award.cancelled", supplier_a.email) in kinds  # the winner whose award fell is told
    assert {"challenge.escalated", "challenge.upheld"} <= {kind for kind, _email in kinds}
    for notification in notifications:
        client.force_login(notification.user)
        assert notification.url, notification.kind
        assert client.get(notification.url).status_code == 200, (notification.kind, notification.user.email, notification.url)
    page = client.get(f"/awards/{challenge.notice_id}/").text
    assert "This notice is cancelled" in page and "<del>Winner" in page
