"""A bid submitted while the chain head is busy: acknowledged at once, its events in the journal
until the sequencer appends them; the count stays true, the opening sees it in the chain first,
and nobody but the firm learns anything more than before."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.db import connection

from bidding import actions, opening
from bidding.models import Bid
from marketplace import audit
from marketplace.models import AuditEvent, ChainJournal, LiveEvent
from tests.bidding import helpers
from tests.marketplace.test_chain_journal import HeldHead

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("a busy chain head needs PostgreSQL's row locks (SQLite serialises every writer)")


def test_bids_behind_a_busy_head_wait_in_the_journal_and_the_opening_chains_them_first(
    officer, deadline, supplier_a, supplier_org_a, supplier_b, supplier_org_b
):
    helpers.make_supplier(supplier_org_a)
    helpers.make_supplier(supplier_org_b)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    with HeldHead():
        first = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
        second = actions.submit_bid(supplier_b, supplier_org_b, tender, helpers.seal_bid(tender, supplier_org_b))
    # Acknowledged (stored, with their receipts) while their events wait: the holder ended without
    # draining, as a process killed after its commit would.
    assert Bid.objects.filter(pk__in=[first.pk, second.pk], receipt__isnull=False).count() == 2
    assert ChainJournal.objects.count() == 2
    assert not AuditEvent.objects.filter(action="bid.submitted").exists()
    assert not LiveEvent.objects.filter(kind="bids.count").exists()
    assert ChainJournal not in admin.site._registry  # staff have no list of it

    with time_machine.travel(deadline + timedelta(seconds=1)):
        result = opening.open_tender(tender.pk)
    assert ChainJournal.objects.count() == 0
    actions_in_order = list(AuditEvent.objects.order_by("seq").values_list("action", "object_id"))
    submitted = [i for i, (action, _) in enumerate(actions_in_order) if action == "bid.submitted"]
    started = actions_in_order.index(("tender.opening_started", str(tender.pk)))
    assert [actions_in_order[i][1] for i in submitted] == [str(first.pk), str(second.pk)] and max(submitted) < started
    assert sorted(line.bid_id for line in result.lines.all()) == sorted([first.pk, second.pk])
    # Each count was taken when its event joined the chain: the last one is the true number.
    counts = list(LiveEvent.objects.filter(kind="bids.count").order_by("seq").values_list("subject", "payload"))
    assert counts[-1] == (f"tender.{tender.pk}.officers", {"tender": tender.pk, "count": 2})
    assert audit.verify_chain().ok


def test_a_replacement_and_a_withdrawal_behind_a_busy_head_keep_their_order(
    officer, deadline, supplier_a, supplier_org_a, supplier_b, supplier_org_b
):
    helpers.make_supplier(supplier_org_a)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    with HeldHead():
        replacement = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a), replacing=bid)
        actions.withdraw_bid(supplier_a, replacement)
    assert ChainJournal.objects.count() == 2
    checkpoint = audit.take_checkpoint()  # a checkpoint drains first: it covers every acknowledged act
    assert ChainJournal.objects.count() == 0
    bid_events = list(AuditEvent.objects.filter(action__startswith="bid.").order_by("seq").values_list("action", "object_id", "journal_id"))
    assert [(a, o) for a, o, _ in bid_events] == [
        ("bid.submitted", str(bid.pk)),
        ("bid.replaced", str(bid.pk)),
        ("bid.submitted", str(replacement.pk)),
        ("bid.withdrawn", str(replacement.pk)),
    ]
    assert bid_events[0][2] is None and bid_events[1][2] == bid_events[2][2] < bid_events[3][2]
    assert LiveEvent.objects.filter(kind="bids.count").order_by("-seq").first().payload == {"tender": tender.pk, "count": 0}
    assert checkpoint.length == AuditEvent.objects.count() and audit.verify_chain(audit.checkpoint_pins()[0]).ok
