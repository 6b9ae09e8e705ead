"""Who may see and do what in the evaluation: pages and rules, table-driven."""

import pytest
from django.urls import reverse

from evaluation import actions
from marketplace import access
from marketplace.models import Role
from tests import factories
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(officer, evaluator, other_officer, auditor, supplier_a, supplier_c, outsider, review_officer, firms):
    return {
        "officer": officer,
        "evaluator": evaluator,
        "other_officer": other_officer,
        "auditor": auditor,
        "bidder": supplier_a,
        "non_bidder": supplier_c,
        "outsider": outsider,
        "review_officer": review_officer,
        "public": None,
    }


@pytest.fixture
def in_evaluation(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        yield h.refresh(tender), bids, clock


@pytest.fixture
def awarded(in_evaluation, officer, evaluator):
    tender, bids, _clock = in_evaluation
    h.declare_clear(evaluator, tender=tender)
    for bid in bids:
        actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
    actions.approve_report(officer, tender)
    return h.refresh(tender), actions.award_tender(officer, tender), bids


def status_for(client, user, url) -> int:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


@pytest.mark.parametrize(
    "who, expected",
    [("officer", 200), ("evaluator", 200), ("other_officer", 403), ("auditor", 403), ("bidder", 403), ("outsider", 403), ("public", 302)],
)
def test_the_evaluation_workspace(client, people, in_evaluation, who, expected):
    tender, _bids, _clock = in_evaluation
    assert status_for(client, people[who], reverse("tenders:evaluation", args=[tender.pk])) == expected


def test_an_evaluator_sees_no_opened_bid_before_the_declaration(client, evaluator, in_evaluation):
    tender, _bids, _clock = in_evaluation
    client.force_login(evaluator)
    before = client.get(reverse("tenders:evaluation", args=[tender.pk])).content.decode()
    assert "900.00" not in before and "made your declaration" in before
    assert not access.can(evaluator, "view_opened_bids", tender)
    client.post(reverse("tenders:evaluation-declare", args=[tender.pk]))
    after = client.get(reverse("tenders:evaluation", args=[tender.pk])).content.decode()
    assert "900.00" in after and access.can(evaluator, "view_opened_bids", tender)


def test_an_evaluator_with_a_conflict_never_sees_the_bids(evaluator, in_evaluation):
    tender, bids, _clock = in_evaluation
    actions.declare_interests(evaluator, tender, conflicts={str(bids[0].pk): "Former employer."})
    assert not access.can(evaluator, "view_opened_bids", tender) and not access.can(evaluator, "score_bids", tender)


@pytest.mark.parametrize(
    "who, expected",
    [("officer", 200), ("evaluator", 200), ("auditor", 200), ("other_officer", 403), ("bidder", 403), ("public", 302)],
)
def test_the_evaluation_report(client, people, awarded, who, expected):
    tender, _notice, _bids = awarded
    assert status_for(client, people[who], reverse("tenders:evaluation-report", args=[tender.pk, 1])) == expected


def test_a_committee_member_who_has_not_declared_reads_no_report(client, agency, officer, awarded):
    tender, _notice, _bids = awarded
    # Named after the report was approved (a replacement, say): no declaration yet.
    newcomer = factories.make_member(agency, Role.EVALUATOR, "newcomer@mot.test")
    colleague = factories.make_member(agency, Role.EVALUATOR, "colleague@mot.test")
    from evaluation.models import Evaluator

    Evaluator.objects.create(tender=tender, user=newcomer, appointed_by=officer)
    url = reverse("tenders:evaluation-report", args=[tender.pk, 1])
    assert status_for(client, newcomer, url) == 403
    assert status_for(client, colleague, url) == 200  # an agency member not on the committee


@pytest.mark.parametrize("who, expected", [("bidder", 200), ("non_bidder", 404), ("officer", 404), ("public", 302)])
def test_the_bidders_result_page(client, people, awarded, who, expected):
    tender, _notice, _bids = awarded
    assert status_for(client, people[who], reverse("tenders:result", args=[tender.pk])) == expected


def test_the_bidder_sees_its_rank_and_the_winning_price(client, supplier_b, awarded):
    tender, _notice, _bids = awarded
    client.force_login(supplier_b)
    page = client.get(reverse("tenders:result", args=[tender.pk])).content.decode()
    assert "2 / 2" in page and "900.00 EUR" in page and "Lodge the challenge" in page


@pytest.mark.parametrize("who, expected", [("review_officer", 200), ("auditor", 200), ("officer", 403), ("bidder", 403), ("public", 302)])
def test_the_review_queue(client, people, who, expected):
    assert status_for(client, people[who], reverse("tenders:reviews")) == expected


@pytest.mark.parametrize("who", ["public", "outsider", "bidder", "officer"])
def test_award_notices_are_public(client, people, awarded, who):
    _tender, notice, _bids = awarded
    assert status_for(client, people[who], reverse("awards:list")) == 200
    assert status_for(client, people[who], reverse("awards:detail", args=[notice.pk])) == 200


def test_only_the_review_body_decides_and_never_on_its_own_agency(people, awarded, agency):
    tender, _notice, _bids = awarded
    challenge = actions.lodge_challenge(people["bidder"], tender.bids.first().organisation, tender, grounds="Wrong ranking.")
    assert access.can(people["review_officer"], "decide_challenge", challenge)
    assert not access.can(people["officer"], "decide_challenge", challenge)
    inside = factories.make_member(agency, Role.AUDITOR)
    factories.actions.grant_role(None, inside, people["review_officer"].memberships.get().organisation, Role.REVIEW_OFFICER)
    assert not access.can(inside, "decide_challenge", challenge)


@pytest.mark.parametrize("who, expected", [("officer", True), ("evaluator", False), ("bidder", False), ("public", False)])
def test_only_the_buyers_officers_manage_the_evaluation(people, in_evaluation, who, expected):
    tender, _bids, _clock = in_evaluation
    assert access.can(people[who], "manage_evaluation", tender) is expected


def test_a_refused_action_on_the_page_shows_the_reason_and_changes_nothing(client, officer, in_evaluation):
    tender, _bids, _clock = in_evaluation
    client.force_login(officer)
    response = client.post(reverse("tenders:evaluation-award", args=[tender.pk]), {"confirmed": "yes"})
    assert response.status_code == 422 and "Every evaluator must first declare" in response.content.decode()
    assert h.refresh(tender).status == "evaluating"


def test_the_tender_page_links_the_notice_the_workspace_and_the_result(client, people, awarded):
    tender, notice, _bids = awarded
    url = reverse("tenders:detail", args=[tender.pk])
    public = client.get(url).content.decode()
    assert reverse("awards:detail", args=[notice.pk]) in public and reverse("tenders:evaluation", args=[tender.pk]) not in public
    client.force_login(people["officer"])
    assert reverse("tenders:evaluation", args=[tender.pk]) in client.get(url).content.decode()
    client.force_login(people["bidder"])
    assert reverse("tenders:result", args=[tender.pk]) in client.get(url).content.decode()
