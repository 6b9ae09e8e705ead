"""Live events through the real consumer, on the in-memory layer and on real Redis."""

import asyncio
import json
import os
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import override_settings

from marketplace import fanout, live
from marketplace.models import LiveEvent, Role
from tenders.models import Tender
from tests import factories
from tests.conftest import redis_url
from tests.live import close_code, connect, receive, receive_events, reset_layers, session_cookie
from tests.processes import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


REDIS_BACKENDS = {"redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer", "redis-core": "channels_redis.core.RedisChannelLayer"}


def redis_layer(name: str = "redis-pubsub") -> dict:
    config = {"hosts": [{"address": redis_url(), "socket_timeout": 30}], "prefix": "tenderhall-test"}
    return {"default": {"BACKEND": REDIS_BACKENDS[name], "CONFIG": config}}


@pytest.fixture(params=["memory", "redis-pubsub", "redis-core"])
def layer(request):
    if request.param != "memory" and not redis_url():
        pytest.skip("REDIS_URL is not set: the Redis variants run in CI")
    with override_settings(CHANNEL_LAYERS=MEMORY if request.param == "memory" else redis_layer(request.param)):
        reset_layers()
        yield request.param
        live.StoreTailer._task and live.StoreTailer._task.cancel()
        reset_layers()


@sync_to_async
def publish(subject: str, kind: str, **payload) -> LiveEvent:
    with transaction.atomic():
        return live.publish(subject, kind, payload)


@sync_to_async
def published_tender() -> Tender:
    agency = factories.make_agency()
    tender = Tender.objects.create(buyer=agency, title="Road salt")
    Tender.objects.filter(pk=tender.pk).update(status=Tender.Status.PUBLISHED)
    tender.refresh_from_db()
    return tender


async def test_client_receives_events_committed_after_it_connected(layer):
    tender = await published_tender()
    client = await connect(f"tender.{tender.pk}")
    assert (await receive(client))["type"] == "hello"
    await publish(f"tender.{tender.pk}", "amended", title="Amendment 1")
    [event] = await receive_events(client, 1)
    assert event["kind"] == "amended" and event["payload"] == {"title": "Amendment 1"}
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


async def test_reconnecting_with_after_gets_exactly_the_missed_events_in_order(layer):
    tender = await published_tender()
    subject = f"tender.{tender.pk}"
    first = [await publish(subject, "line", n=n) for n in range(2)]
    client = await connect(subject, after=0)
    seen = await receive_events(client, 2)
    assert [e["seq"] for e in seen] == [e.seq for e in first]
    await client.disconnect()

    missed = []
    for n in range(2, 6):
        missed.append(await publish(subject, "line", n=n))
        await publish("public", "noise", n=n)  # other subjects are not replayed
    client = await connect(subject, after=seen[-1]["seq"])
    hello = await receive(client)
    assert hello == {"type": "hello", "subject": subject, "seq": seen[-1]["seq"]}
    replayed = await receive_events(client, 4)
    assert [e["payload"]["n"] for e in replayed] == [2, 3, 4, 5]
    assert [e["seq"] for e in replayed] == [e.seq for e in missed]
    assert await client.receive_nothing(timeout=0.5)
    await client.disconnect()


async def test_events_on_a_subject_are_never_delivered_twice(layer):
    tender = await published_tender()
    subject = f"tender.{tender.pk}"
    event = await publish(subject, "line", n=1)
    client = await connect(subject, after=0)
    await receive(client)
    [replayed] = await receive_events(client, 1)
    # The same event arriving again (the tailer and the publisher both send it) is dropped.
    from channels.layers import get_channel_layer

    message = event.as_message() | {"prev_seq": 0}
    await get_channel_layer().group_send(live.group_name(subject), {"type": live.MESSAGE_TYPE, "event": message})
    assert replayed["seq"] == event.seq
    assert await client.receive_nothing(timeout=0.5)
    await client.disconnect()


async def test_a_listener_that_missed_a_broadcast_fetches_it_from_the_store(layer):
    tender = await published_tender()
    subject = f"tender.{tender.pk}"
    client = await connect(subject)
    await receive(client)

    @sync_to_async
    def publish_without_broadcast():
        with transaction.atomic():
            return live.publish(subject, "line", {"n": "lost"})

    # Simulate a broadcast lost on the way (e.g. a publisher that died after commit).
    original = live.broadcast
    live.broadcast = lambda message: None
    try:
        lost = await publish_without_broadcast()
    finally:
        live.broadcast = original
    if layer == "memory":
        live.StoreTailer._task.cancel()  # the tailer would deliver it; test the gap path alone
    after = await publish(subject, "line", n="next")
    events = await receive_events(client, 2)
    assert [e["seq"] for e in events] == [lost.seq, after.seq]
    await client.disconnect()


async def test_a_batching_client_gets_every_event_once_in_order(layer):
    tender = await published_tender()
    subject = f"tender.{tender.pk}"
    client = await connect(f"{subject}&batch=1")
    await receive(client)

    @sync_to_async
    def publish_together():
        with transaction.atomic():
            return [live.publish(subject, "opening.line", {"position": n}) for n in range(1, 6)]

    published = await publish_together()
    events = await receive_events(client, 5)
    assert [e["seq"] for e in events] == [e.seq for e in published]
    assert [e["payload"]["position"] for e in events] == [1, 2, 3, 4, 5]
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


async def test_events_arriving_together_go_out_in_one_frame_to_batching_clients_only(layer):
    tender = await published_tender()
    subject = f"tender.{tender.pk}"
    batching, plain = await connect(f"{subject}&batch=1"), await connect(subject)
    hello = await receive(batching)
    await receive(plain)
    # Three events reach the subject's hub before it writes (put straight into its inbox, so
    # that no scheduling of the layer's own tasks can split them).
    hub = fanout._hubs[(asyncio.get_running_loop(), subject)]
    seqs = [hello["seq"] + n for n in (1, 2, 3)]
    for seq in seqs:
        hub.inbox.put_nowait({"subject": subject, "seq": seq, "prev_seq": seq - 1, "kind": "line", "payload": {}})
    frame = await receive(batching)
    assert frame["type"] == "events" and [e["seq"] for e in frame["events"]] == seqs
    assert [(await receive(plain))["seq"] for _ in seqs] == seqs
    await batching.disconnect()
    await plain.disconnect()


async def test_batch_must_be_zero_or_one(layer):
    tender = await published_tender()
    client = await connect(f"tender.{tender.pk}&batch=yes")
    assert await close_code(client) == (4400, "batch must be 0 or 1")


@pytest.mark.parametrize("subject", ["nonsense", "tender.abc", "tender.0", "tender.1.bids", "org", "user.", ""])
async def test_malformed_subject_is_closed_with_a_reason(layer, subject):
    client = await connect(subject)
    code, reason = await close_code(client)
    assert code == 4400 and reason == "unknown subject"


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", "9" * 30, ""])
async def test_malformed_after_is_closed_with_a_reason(layer, after):
    tender = await published_tender()
    client = await connect(f"tender.{tender.pk}&after={after}")
    code, reason = await close_code(client)
    assert code == 4400 and "after" in reason


async def test_draft_and_missing_tenders_are_refused_alike(layer):
    @sync_to_async
    def draft():
        return Tender.objects.create(buyer=factories.make_agency(), title="Secret plans")

    tender = await draft()
    for subject in [f"tender.{tender.pk}", f"tender.{tender.pk + 1000}"]:
        client = await connect(subject)
        assert await close_code(client) == (4403, "not allowed")


async def test_officers_subject_is_for_the_buyers_officers_only(layer, client):
    tender = await published_tender()

    @sync_to_async
    def people():
        officer = factories.make_member(tender.buyer, Role.PROCUREMENT_OFFICER)
        supplier = factories.make_member(factories.make_supplier_organisation(), Role.SUPPLIER_ADMIN)
        return officer, supplier

    officer, supplier = await people()
    subject = f"tender.{tender.pk}.officers"

    await sync_to_async(client.force_login)(supplier)
    refused = await connect(subject, cookie=session_cookie(client))
    assert await close_code(refused) == (4403, "not allowed")
    anonymous = await connect(subject)
    assert await close_code(anonymous) == (4403, "not allowed")

    await sync_to_async(client.force_login)(officer)
    allowed = await connect(subject, cookie=session_cookie(client))
    assert (await receive(allowed))["type"] == "hello"
    await publish(subject, "bid_count", count=3)
    [event] = await receive_events(allowed, 1)
    assert event["payload"] == {"count": 3}
    await allowed.disconnect()


async def test_org_and_user_subjects_are_for_members_and_self(layer, client):
    @sync_to_async
    def people():
        org = factories.make_supplier_organisation()
        return org, factories.make_member(org, Role.BIDDER), factories.make_user()

    org, member, stranger = await people()
    await sync_to_async(client.force_login)(stranger)
    for subject in [f"org.{org.pk}", f"user.{member.pk}"]:
        refused = await connect(subject, cookie=session_cookie(client))
        assert await close_code(refused) == (4403, "not allowed")
    await sync_to_async(client.force_login)(member)
    for subject in [f"org.{org.pk}", f"user.{member.pk}"]:
        allowed = await connect(subject, cookie=session_cookie(client))
        assert (await receive(allowed))["type"] == "hello"
        await allowed.disconnect()


@pytest.mark.parametrize("choice", ["pubsub", "core"])
async def test_consumer_idle_longer_than_redis_blocking_pop_still_receives(choice, tmp_path):
    """redis-py 8 would time the idle read out after 5 s; the explicit socket_timeout prevents it."""
    if not redis_url():
        pytest.skip("REDIS_URL is not set: this test needs real Redis and runs in CI")
    layers = await sync_to_async(configured_layers)(choice, tmp_path)
    assert layers["default"]["CONFIG"]["hosts"][0]["socket_timeout"] > 5
    with override_settings(CHANNEL_LAYERS=layers):
        reset_layers()
        tender = await published_tender()
        client = await connect(f"tender.{tender.pk}")
        await receive(client)
        # A real wait: the failure is a socket timeout inside redis-py, which no clock mock reaches.
        await asyncio.sleep(6.5)
        await publish(f"tender.{tender.pk}", "after_idle", n=1)
        [event] = await receive_events(client, 1, timeout=10)
        assert event["kind"] == "after_idle"
        await client.disconnect()
        reset_layers()


def configured_layers(choice: str, tmp_path) -> dict:
    """CHANNEL_LAYERS exactly as settings.py builds it for REDIS_CHANNEL_LAYER=<choice>."""
    code = "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(s.CHANNEL_LAYERS))"
    environment = dict(os.environ) | {
        "TENDERHALL_DATA_DIR": str(tmp_path),
        "REDIS_URL": redis_url(),
        "REDIS_CHANNEL_LAYER": choice,
        "REDIS_PREFIX": "tenderhall-test",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)
