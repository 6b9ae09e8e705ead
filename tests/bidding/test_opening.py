"""The automatic opening at the deadline (platform custody) and its record."""

from datetime import timedelta

import pytest
import time_machine

from bidding import opened, opening
from bidding.models import Bid, Opening, OpeningLine
from marketplace import signing
from marketplace.models import AuditEvent
from tenders.models import EnvelopeMode, Tender
from tests.bidding import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_bids(tender, supplier_a, supplier_b, supplier_org_a, supplier_org_b, supplier_record_a, supplier_record_b):
    from bidding.actions import submit_bid

    first = submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a, prices={1: "1000.00"}))
    second = submit_bid(supplier_b, supplier_org_b, tender, helpers.seal_bid(tender, supplier_org_b, prices={1: "990.5"}))
    return first, second


def test_nothing_opens_one_second_before_the_deadline(tender, two_bids, deadline):
    with time_machine.travel(deadline - timedelta(seconds=1)):
        assert opening.open_tender(tender.pk) is None
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert not OpeningLine.objects.exists()


def test_the_deadline_task_closes_and_opens_the_tender(tender, two_bids, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        result = opening.open_tender(tender.pk)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED
    assert result.status == Opening.Status.COMPLETE and result.round == "bid"
    first, second = two_bids
    assert [line.bid_id for line in result.lines.order_by("position")] == [first.pk, second.pk]
    assert {b.status for b in Bid.objects.all()} == {Bid.Status.OPENED}
    assert opened.prices(second) == {1: opened.Decimal("990.50")} and opened.currency(second) == "EUR"
    assert [d.name for d in opened.documents(first)] == ["offer.txt"]
    assert opened.documents(first)[0].file.read() == b"We offer the works as specified."


def test_the_record_lists_each_bid_and_is_signed(tender, two_bids, deadline, supplier_org_a):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        result = opening.open_tender(tender.pk)
    verification = signing.verify(result.signature)
    assert verification.valid and verification.payload == result.record
    first_line = result.record["lines"][0]
    assert first_line["supplier"] == {"id": supplier_org_a.pk, "name": "Alpha Works Ltd"}
    assert first_line["lots"] == [{"lot": 1, "price": {"amount": "1000.00", "currency": "EUR"}}]
    assert first_line["digests"] == {"bid": two_bids[0].envelopes.get().sha256}
    assert result.record["valid"] == 2 and result.record["rejected"] == 0


def test_running_the_opening_again_changes_nothing(tender, two_bids, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        first = opening.open_tender(tender.pk)
        again = opening.open_tender(tender.pk)
    assert again.pk == first.pk and again.signature == first.signature
    assert OpeningLine.objects.count() == 2
    assert AuditEvent.objects.filter(action="bid.bid_opened").count() == 2


def test_fewer_valid_bids_than_the_minimum_make_the_tender_unsuccessful(officer, deadline, supplier_a, supplier_org_a, supplier_record_a):
    from bidding.actions import submit_bid

    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, min_bids=2), officer)
    submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.UNSUCCESSFUL
    assert "at least 2" in tender.unsuccessful_reason


def test_two_envelopes_open_the_technical_envelopes_only(officer, deadline, supplier_a, supplier_org_a, supplier_record_a):
    from bidding.actions import submit_bid

    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO), officer)
    bid = submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        result = opening.open_tender(tender.pk)
    assert result.round == "technical"
    [line] = result.record["lines"]
    assert "lots" not in line and line["documents"][0]["name"] == "offer.txt"
    assert opened.prices(bid) == {}


def evaluate(tender: Tender, qualified: list[Bid]) -> Tender:
    """Stand in for the evaluation: the tender under evaluation, these bids qualified, the others not."""
    tender.refresh_from_db()
    tender.start_evaluation()
    tender.save()
    for bid in Bid.objects.filter(tender=tender):
        bid.qualify() if bid in qualified else bid.disqualify()
        bid.save()
    return tender


def test_the_financial_opening_reads_only_the_qualified_bids(
    officer, deadline, supplier_a, supplier_b, supplier_org_a, supplier_org_b, supplier_record_a, supplier_record_b
):
    from bidding.actions import submit_bid

    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO), officer)
    kept = submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a, prices={1: "500"}))
    dropped = submit_bid(supplier_b, supplier_org_b, tender, helpers.seal_bid(tender, supplier_org_b, prices={1: "400"}))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        tender = evaluate(tender, [kept])
        financial = opening.open_financial_envelopes(officer, tender, [kept])
    assert financial.status == Opening.Status.COMPLETE and financial.round == "financial"
    assert [line["bid"] for line in financial.record["lines"]] == [str(kept.pk)]
    assert opened.prices(kept) == {1: opened.Decimal("500.00")}
    assert opened.prices(dropped) == {} and opened.line(dropped, "financial") is None
    assert signing.verify(financial.signature).valid


def test_a_single_envelope_tender_has_no_financial_opening(tender, two_bids, officer, deadline):
    from marketplace.errors import Conflict

    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        tender = evaluate(tender, list(two_bids))
        with pytest.raises(Conflict) as single:
            opening.open_financial_envelopes(officer, tender, list(two_bids))
    assert single.value.problems[0].code == "single_envelope"


def test_the_financial_opening_is_refused_a_second_time(officer, deadline, supplier_a, supplier_org_a, supplier_record_a):
    from bidding.actions import submit_bid
    from marketplace.errors import Conflict

    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO), officer)
    bid = submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        tender = evaluate(tender, [bid])
        opening.open_financial_envelopes(officer, tender, [bid])
        with pytest.raises(Conflict) as again:
            opening.open_financial_envelopes(officer, tender, [bid])
    assert again.value.problems[0].code == "already_started"
    assert OpeningLine.objects.filter(opening__round="financial").count() == 1


def test_the_record_carries_the_latest_audit_checkpoint(tender, two_bids, deadline):
    from marketplace import audit

    checkpoint = audit.take_checkpoint()
    with time_machine.travel(deadline + timedelta(seconds=1)):
        result = opening.open_tender(tender.pk)
    assert result.record["audit_checkpoint"] == {"hash": checkpoint.hash, "length": checkpoint.length, "jws": checkpoint.jws}
    assert signing.verify(result.signature).payload == result.record
