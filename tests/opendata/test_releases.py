"""A release for every public change of a tender, written with the change, saying nothing of bids
before the deadline."""

import json

import pytest
from django.db import transaction

from opendata.models import Release
from tests.bidding import helpers as bidding
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


def releases(tender) -> list[Release]:
    return list(Release.objects.filter(tender=tender).order_by("position"))


def test_publication_writes_a_tender_release_with_parties_lots_and_cpv_items(officer, deadline, settings):
    tender = h.published(officer, deadline)
    [release] = releases(tender)
    data = release.data
    assert data["ocid"] == f"{settings.OCID_PREFIX}{tender.pk}" and data["id"] == f"{data['ocid']}-tender"
    assert data["tag"] == ["tender"] and release.tags == ["tender"]
    assert data["tender"]["id"] == tender.reference and data["tender"]["status"] == "active"
    assert data["tender"]["value"] == {"amount": 250000.0, "currency": "EUR"}
    assert data["tender"]["lots"][0]["id"] == "1"
    [item] = data["tender"]["items"]
    assert item["classification"]["scheme"] == "CPV" and item["classification"]["id"] == "45233140" and item["relatedLot"] == "1"
    [buyer] = data["parties"]
    assert buyer["roles"] == ["buyer", "procuringEntity"] and buyer["identifier"]["id"] == "MOT"
    assert data["buyer"]["id"] == buyer["id"] and data["tender"]["mainProcurementCategory"] == "works"


def test_the_tender_release_before_the_deadline_says_nothing_of_bids(officer, deadline, firms):
    tender = h.published(officer, deadline)
    for user, organisation in firms:
        h.bid(tender, user, organisation, {1: "900.00"})
    amendment = bidding.amend(tender, officer)
    published, amended = releases(tender)
    assert amended.release_id.endswith(f"-amendment-{amendment.number}") and amended.tags == ["tenderAmendment"]
    for release in (published, amended):
        text = json.dumps(release.data)
        assert "bids" not in release.data and "numberOfTenderers" not in text and "tenderer" not in text
        for _user, organisation in firms:
            assert organisation.name not in text and f"TH-ORG-{organisation.pk}" not in text


def test_closing_tells_the_bid_box_count_and_no_more(officer, deadline, firms):
    tender = h.published(officer, deadline)
    for user, organisation in firms[:2]:
        h.bid(tender, user, organisation, {1: "900.00"})
    with h.past(deadline):
        bidding.close(tender)
    closed = releases(tender)[-1]
    assert closed.tags == ["tenderUpdate"] and closed.release_id.endswith("-closed")
    assert closed.data["bids"] == {"statistics": [{"id": "bids", "measure": "bids", "value": 2, "date": closed.data["date"]}]}
    assert "Alpha Works" not in json.dumps(closed.data)


def test_a_cancellation_is_a_release_with_its_reason(officer, deadline):
    tender = h.published(officer, deadline)
    bidding.cancel(tender, officer)
    cancelled = releases(tender)[-1]
    assert cancelled.tags == ["tenderCancellation"] and cancelled.data["tender"]["status"] == "cancelled"
    [notice] = [d for d in cancelled.data["tender"]["documents"] if d["documentType"] == "cancellationDetails"]
    assert notice["description"] == "Budget withdrawn"


def test_a_release_rolls_back_with_its_change(officer, deadline):
    tender = bidding.make_tender(officer, deadline=deadline)
    with pytest.raises(RuntimeError), transaction.atomic():
        bidding.publish(tender, officer)
        raise RuntimeError("the publication failed after the release was written")
    assert not Release.objects.exists()


def test_feed_positions_follow_the_order_of_the_changes(officer, deadline):
    first = h.published(officer, deadline)
    second = h.published(officer, deadline)
    bidding.amend(first, officer)
    assert [(r.tender_id, r.tags[0]) for r in Release.objects.in_feed_order()] == [
        (first.pk, "tender"),
        (second.pk, "tender"),
        (first.pk, "tenderAmendment"),
    ]
    assert [r.position for r in Release.objects.in_feed_order()] == [1, 2, 3]


def test_an_answer_is_a_tender_update_that_never_names_the_asker(officer, deadline, firms):
    from tenders.actions import answer_question, ask_question

    tender = h.published(officer, deadline)
    (asker, firm), _others = firms[0], firms[1:]
    question = ask_question(asker, tender, question="Is night work allowed?")
    assert len(releases(tender)) == 1  # a question is private to the asker and the agency
    answer_question(officer, question, answer="Yes, between 22:00 and 06:00.")
    update = releases(tender)[-1]
    assert update.tags == ["tenderUpdate"] and update.release_id.endswith("-clarification-1")
    [document] = [d for d in update.data["tender"]["documents"] if d["documentType"] == "clarifications"]
    assert document["description"] == "Is night work allowed?\n\nYes, between 22:00 and 06:00."
    assert update.data["tender"]["hasEnquiries"] is True
    assert firm.name not in json.dumps(update.data) and asker.email not in json.dumps(update.data)
