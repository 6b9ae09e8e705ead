"""The opening is read out live: each line reaches websocket clients in order, on the in-memory
layer and on real Redis, and a client that reconnects with `?after=<seq>` gets what it missed."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.test import override_settings
from django.utils import timezone

from bidding import actions, opening
from marketplace import live
from marketplace.models import Role
from tests.bidding import helpers
from tests.conftest import redis_url
from tests.factories import make_agency, make_member, make_supplier_organisation
from tests.live import connect, receive, receive_events, reset_layers
from tests.marketplace.test_live import MEMORY, redis_layer

pytestmark = pytest.mark.django_db(transaction=True)

BIDS = 4


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings):
    if request.param == "redis" and not redis_url():
        pytest.skip("REDIS_URL is not set: the Redis variant runs with REDIS_URL")
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    with override_settings(CHANNEL_LAYERS=MEMORY if request.param == "memory" else redis_layer()):
        reset_layers()
        yield request.param
        live.StoreTailer._task and live.StoreTailer._task.cancel()
        reset_layers()


@sync_to_async
def tender_with_bids():
    agency = make_agency()
    officer = make_member(agency, Role.PROCUREMENT_OFFICER)
    deadline = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    for n in range(BIDS):
        firm = make_supplier_organisation(name=f"Firm {n}")
        helpers.make_supplier(firm)
        person = make_member(firm, Role.BIDDER)
        actions.submit_bid(person, firm, tender, helpers.seal_bid(tender, firm, prices={1: f"{100 + n}.00"}))
    return tender


@sync_to_async
def open_tender(tender):
    return opening.open_tender(tender.pk)


def past_the_deadline(tender):
    """The whole conversation happens past the deadline: the channel layers date group
    memberships by the clock, so the watcher connects on the same (travelled) clock."""
    return time_machine.travel(tender.submission_deadline + timedelta(seconds=1))


def lines(events: list[dict]) -> list[dict]:
    return [e for e in events if e["kind"] == "opening.line"]


async def test_watchers_hear_every_line_in_order_of_receipt(layer):
    tender = await tender_with_bids()
    with past_the_deadline(tender):
        watcher = await connect(f"tender.{tender.pk}")
        assert (await receive(watcher))["type"] == "hello"
        await open_tender(tender)
        # tender.closed, tender.opening, opening.started, 4 lines, tender.opened, opening.completed
        events = await receive_events(watcher, 5 + BIDS)
    kinds = [e["kind"] for e in events]
    assert kinds[:3] == ["tender.closed", "tender.opening", "opening.started"] and kinds[-1] == "opening.completed"
    read_out = lines(events)
    assert [e["payload"]["position"] for e in read_out] == [1, 2, 3, 4]
    assert [e["payload"]["lots"][0]["price"]["amount"] for e in read_out] == ["100.00", "101.00", "102.00", "103.00"]
    assert read_out[0]["payload"]["supplier"]["name"] == "Firm 0" and read_out[0]["payload"]["result"] == "opened"
    assert events[-1]["payload"]["valid"] == BIDS and events[-1]["payload"]["signature"].count(".") == 2
    await watcher.disconnect()


async def test_a_watcher_that_reconnects_gets_the_lines_it_missed(layer):
    tender = await tender_with_bids()
    with past_the_deadline(tender):
        first = await connect(f"tender.{tender.pk}")
        await receive(first)
        await open_tender(tender)
        events = await receive_events(first, 5 + BIDS)
        await first.disconnect()
        second_line = lines(events)[1]
        again = await connect(f"tender.{tender.pk}", after=second_line["seq"])
        assert (await receive(again))["seq"] == second_line["seq"]
        rest = await receive_events(again, len(events) - events.index(second_line) - 1)
    assert [e["payload"]["position"] for e in lines(rest)] == [3, 4]
    assert [e["seq"] for e in rest] == [e["seq"] for e in events[events.index(second_line) + 1 :]]
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()


@pytest.mark.processes
@pytest.mark.parametrize("channel_layer", ["memory", "redis"])
def test_a_worker_reads_the_opening_out_to_a_client_of_daphne(channel_layer, settings, tmp_path):
    """Real processes: the closing task at the deadline queues the opening; a db_worker reads it;
    a client of daphne (tailing the store, or through Redis) hears every line in order."""
    from tests.live import SocketListener
    from tests.processes import Processes

    if channel_layer == "redis" and not redis_url():
        pytest.skip("REDIS_URL is not set: the Redis variant runs with REDIS_URL")
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    agency = make_agency()
    officer = make_member(agency, Role.PROCUREMENT_OFFICER)
    deadline = timezone.now() + timedelta(seconds=6)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    for n in range(BIDS):
        firm = make_supplier_organisation(name=f"Firm {n}")
        helpers.make_supplier(firm)
        actions.submit_bid(make_member(firm, Role.BIDDER), firm, tender, helpers.seal_bid(tender, firm))
    extra = {"REDIS_PREFIX": "tenderhall-opening"} if channel_layer == "redis" else {}
    environment = helpers.process_environment(tmp_path, redis_url=redis_url() if channel_layer == "redis" else None, **extra)
    with Processes(environment) as platform:
        port = platform.daphne()
        listener = SocketListener(port, f"tender.{tender.pk}", wanted=5 + BIDS, after=live.current_seq()).start()
        platform.worker()
        events = listener.events(timeout=90)
    assert [e["payload"]["position"] for e in lines(events)] == list(range(1, BIDS + 1))
    assert events[-1]["kind"] == "opening.completed"
