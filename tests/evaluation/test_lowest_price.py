"""Lowest price on a single-envelope tender, end to end with real sealed bids."""

import pytest
from django.core import mail  # noqa: F401

from bidding.models import Bid
from evaluation import actions
from evaluation.models import Award, AwardNotice, ConflictDeclaration
from marketplace import signing
from marketplace.errors import ActionError, Conflict
from marketplace.models import AuditEvent, Notification
from tenders.models import Tender
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(officer, deadline, firms):
    """Bids of 1000.00, 950.00 and 990.00 opened past the deadline; the clock stays there."""
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, user, org, {1: price}) for (user, org), price in zip(firms, ["1000.00", "950.00", "990.00"], strict=True)]
    with h.past(deadline) as clock:
        yield h.open_at_deadline(tender), bids, clock


@pytest.fixture
def evaluating(opened, officer, evaluator):
    tender, bids, clock = opened
    actions.start_evaluation(officer, tender, [evaluator])
    h.declare_clear(evaluator, tender=tender)
    return h.refresh(tender), bids, clock


def test_the_lowest_qualified_price_wins(evaluating, officer, evaluator):
    tender, (a, b, c), _clock = evaluating
    actions.qualify_bid(evaluator, tender, a, h.pass_all(tender))
    actions.qualify_bid(officer, tender, b, h.fail_documents(tender))
    actions.qualify_bid(officer, tender, c, h.pass_all(tender))
    report = actions.approve_report(officer, tender)
    notice = actions.award_tender(officer, tender)
    [award] = notice.awards.all()
    assert award.bid_id == c.pk and award.price == h.helpers.Decimal("990.00") and award.status == Award.Status.ACTIVE
    assert h.refresh(tender).status == Tender.Status.AWARDED
    assert notice.content["lots"][0]["winner"]["price"] == {"amount": "990.00", "currency": "EUR"}
    assert notice.content["bids_received"] == 3 and notice.content["standstill_ends_at"]
    assert signing.verify(notice.signature).payload == notice.content
    assert signing.verify(report.signature).payload == report.content
    assert [row["supplier"]["name"] for row in report.content["lots"][0]["ranking"]] == ["Gamma Build Ltd", "Alpha Works Ltd"]


def test_every_bidder_is_told_its_rank_and_the_winning_price(evaluating, officer, evaluator, supplier_a, supplier_b):
    tender, (a, b, c), _clock = evaluating
    actions.qualify_bid(officer, tender, a, h.pass_all(tender))
    actions.qualify_bid(officer, tender, b, h.fail_documents(tender, "No method statement."))
    actions.qualify_bid(officer, tender, c, h.pass_all(tender))
    actions.approve_report(officer, tender)
    actions.award_tender(officer, tender)
    to_a = Notification.objects.get(user=supplier_a, kind="award.result")
    assert "rank 2 of 2" in to_a.body and "990.00 EUR" in to_a.body
    to_b = Notification.objects.get(user=supplier_b, kind="award.result")
    assert "disqualified" in to_b.body and "No method statement." in to_b.body


def test_a_tie_on_price_goes_to_the_earlier_receipt(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline)
    first = h.bid(tender, *firms[0], {1: "700.00"})
    h.bid(tender, *firms[1], {1: "700.00"})
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in Bid.objects.filter(tender=tender):
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        report = actions.approve_report(officer, tender)
        notice = actions.award_tender(officer, tender)
    assert notice.awards.get().bid_id == first.pk
    assert report.content["lots"][0]["ranking"][1]["tie_broken_by"] == "receipt"


def test_awarding_a_disqualified_bid_is_refused(evaluating, officer):
    tender, (a, b, c), _clock = evaluating
    for bid, checks in ((a, h.pass_all(tender)), (b, h.fail_documents(tender)), (c, h.pass_all(tender))):
        actions.qualify_bid(officer, tender, bid, checks)
    actions.approve_report(officer, tender)
    with pytest.raises(ActionError) as refused:
        actions.award_tender(officer, tender, choices={1: str(b.pk)})
    assert refused.value.problems[0].code == "disqualified"
    with pytest.raises(ActionError) as refused:
        actions.award_tender(officer, tender, choices={1: str(a.pk)})
    assert refused.value.problems[0].code == "not_best_ranked"
    assert h.refresh(tender).status == Tender.Status.EVALUATING and not AwardNotice.objects.exists()


def test_awarding_before_every_bid_is_judged_is_refused(evaluating, officer):
    tender, (a, _b, _c), _clock = evaluating
    actions.qualify_bid(officer, tender, a, h.pass_all(tender))
    with pytest.raises(ActionError) as refused:
        actions.approve_report(officer, tender)
    assert "qualification" in {p.code for p in refused.value.problems}
    with pytest.raises(ActionError):
        actions.award_tender(officer, tender)
    assert not Award.objects.exists()


def test_a_report_approved_before_a_change_must_be_approved_again(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, *firm, {1: "100.00"}) for firm in firms[:2]]
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        actions.ask_bidder(officer, tender, bids[0], question="Confirm the delivery date.", deadline=h.now() + h.helpers.timedelta(days=2))
        with pytest.raises(Conflict) as refused:
            actions.award_tender(officer, tender)
        assert refused.value.problems[0].code == "report_outdated"
        assert actions.approve_report(officer, tender).version == 2


def test_when_no_bid_qualifies_the_tender_is_unsuccessful_with_a_public_notice(evaluating, officer):
    tender, bids, _clock = evaluating
    for bid in bids:
        actions.qualify_bid(officer, tender, bid, h.fail_documents(tender))
    actions.approve_report(officer, tender)
    notice = actions.award_tender(officer, tender)
    assert notice.kind == AwardNotice.Kind.UNSUCCESSFUL and notice.content["lots"][0]["status"] == "unsuccessful"
    assert h.refresh(tender).status == Tender.Status.UNSUCCESSFUL and not Award.objects.exists()


def test_qualification_needs_a_reason_for_every_requirement(evaluating, officer):
    tender, (a, _b, _c), _clock = evaluating
    with pytest.raises(ActionError) as refused:
        actions.qualify_bid(officer, tender, a, {"documents": (True, "  ")})
    assert refused.value.problems[0].field == "checks.documents"
    assert h.refresh(a).status == Bid.Status.OPENED


def test_declarations_are_stored_per_bidder_and_audited(evaluating, evaluator):
    _tender, bids, _clock = evaluating
    assert ConflictDeclaration.objects.filter(evaluator__user=evaluator, conflict=False).count() == len(bids)
    event = AuditEvent.objects.get(action="evaluator.declared")
    assert len(event.payload["bidders"]) == 3


def test_the_award_notice_is_announced_live_on_the_tender_and_public_subjects(evaluating, officer):
    from marketplace.models import LiveEvent

    tender, bids, _clock = evaluating
    for bid in bids:
        actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
    notice = actions.award_tender(officer, tender) if actions.approve_report(officer, tender) else None
    on_tender = LiveEvent.objects.get(subject=f"tender.{tender.pk}", kind="award.published")
    on_public = LiveEvent.objects.get(subject="public", kind="award.published")
    assert on_tender.payload["notice"] == on_public.payload["notice"] == notice.pk
    assert on_tender.payload["signature"] == notice.signature


def test_the_award_notice_carries_the_latest_audit_checkpoint(evaluating, officer):
    from marketplace import audit

    tender, bids, _clock = evaluating
    for bid in bids:
        actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
    actions.approve_report(officer, tender)
    checkpoint = audit.take_checkpoint()
    notice = actions.award_tender(officer, tender)
    assert notice.content["audit_checkpoint"] == {"hash": checkpoint.hash, "length": checkpoint.length, "jws": checkpoint.jws}
    assert signing.verify(notice.signature).payload == notice.content


def test_the_notice_page_accounts_for_every_bid_and_shows_its_rule_in_the_readers_language(evaluating, officer, client):
    tender, (a, b, c), _clock = evaluating
    actions.qualify_bid(officer, tender, a, h.pass_all(tender))
    actions.qualify_bid(officer, tender, b, h.fail_documents(tender))
    actions.qualify_bid(officer, tender, c, h.pass_all(tender))
    actions.approve_report(officer, tender)
    notice = actions.award_tender(officer, tender)
    page = client.get(f"/awards/{notice.pk}/").content.decode()
    assert "1 of them is not ranked" in page and "lowest qualified price wins" in page
    chinese = client.get(f"/awards/{notice.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "lowest qualified price wins" not in chinese and "最低" in chinese
