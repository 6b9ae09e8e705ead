"""`seed_demo` keeps a live opening a few minutes ahead, with sealed bids the worker opens."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from bidding import opening
from bidding.demo import LIVE_OPENING_MINUTES, LIVE_OPENING_TITLE
from bidding.models import Bid
from marketplace import signing
from tenders.models import Tender

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def demo_tenders():
    return Tender.objects.filter(title=LIVE_OPENING_TITLE).order_by("pk")


def test_seed_demo_publishes_a_tender_opening_in_a_few_minutes_with_sealed_bids():
    before = timezone.now()
    printed = seed()
    after = timezone.now()
    [tender] = demo_tenders()
    assert tender.status == Tender.Status.PUBLISHED
    minutes = timedelta(minutes=LIVE_OPENING_MINUTES)
    assert before + minutes - timedelta(seconds=1) <= tender.submission_deadline <= after + minutes
    bids = list(tender.bids.select_related("organisation"))
    assert sorted(b.organisation.name for b in bids) == ["Continental Build Group", "Harbour Tech Co.", "Lotus Engineering Ltd"]
    assert all(b.status == Bid.Status.SUBMITTED and signing.verify(b.receipt).valid for b in bids)
    assert f"/tenders/{tender.pk}/opening/" in printed


def test_running_again_keeps_the_upcoming_demo_opening():
    seed()
    seed()
    assert demo_tenders().count() == 1


def test_a_fresh_demo_opening_once_the_last_has_passed_its_deadline():
    seed()
    [first] = demo_tenders()
    with time_machine.travel(first.submission_deadline - timedelta(seconds=1)):
        seed()
        assert demo_tenders().count() == 1
    with time_machine.travel(first.submission_deadline + timedelta(seconds=1)):
        seed()
    second = demo_tenders().last()
    assert second.pk != first.pk and second.submission_deadline > first.submission_deadline
    assert second.bids.count() == 3


def test_the_demo_bids_open_at_the_deadline():
    seed()
    [tender] = demo_tenders()
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        result = opening.open_tender(tender.pk)
    assert result.is_complete and result.record["valid"] == 3 and result.record["rejected"] == 0
    prices = sorted(line["lots"][0]["price"]["amount"] for line in result.record["lines"])
    assert prices == ["39980.50", "41250.00", "44100.00"]
