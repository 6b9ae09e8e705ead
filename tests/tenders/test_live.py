"""Live updates of a tender page through the real consumer (in-memory layer)."""

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from marketplace import live
from tenders import actions
from tests import factories as people
from tests.live import connect, receive, receive_events, reset_layers
from tests.tenders import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def memory_layer():
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}):
        reset_layers()
        yield
        live.StoreTailer._task and live.StoreTailer._task.cancel()
        reset_layers()


@sync_to_async
def published():
    agency = people.make_agency(name="Ministry of Roads", code="mor")
    officer = people.make_member(agency, "procurement_officer")
    return factories.make_published(officer, agency), officer


async def test_the_tender_page_hears_amendments_answers_and_the_cancellation():
    tender, officer = await published()
    client = await connect(f"tender.{tender.pk}")
    assert (await receive(client))["type"] == "hello"
    await sync_to_async(actions.amend_tender)(officer, tender, reason="Typo.", changes={"title": "Resurfacing of the N7"})
    await sync_to_async(actions.publish_clarification)(officer, tender, question="Site visit?", answer="Monday.")
    await sync_to_async(actions.cancel_tender)(officer, tender, reason="Withdrawn.")
    events = await receive_events(client, 3)
    assert [e["kind"] for e in events] == ["tender.amended", "clarification.published", "tender.cancelled"]
    assert events[0]["payload"]["changes"][0]["new"] == "Resurfacing of the N7"
    await client.disconnect()


async def test_the_home_page_hears_publications():
    client = await connect("public")
    assert (await receive(client))["type"] == "hello"
    tender, _officer = await published()
    [event] = await receive_events(client, 1)
    assert event["kind"] == "tender.published" and event["payload"]["title"] == f"{tender.reference} {tender.title}"
    await client.disconnect()
