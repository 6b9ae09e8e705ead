"""Before the deadline nobody but the bidding firm learns that a bid exists, or how many there are.

Each observer's view of every page and endpoint that could tell is recorded before and after
firm A bids: the bodies and the number of database queries must not change. Only the buyer's
procurement officers see the count.
"""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bidding.models import Bid
from marketplace.models import LiveEvent
from tests.bidding import helpers
from tests.factories import make_user
from tests.live import connect, receive, receive_events, session_cookie

pytestmark = pytest.mark.django_db

VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'),
    re.compile(r'data-live-after="\d+"'),
    re.compile(r"/bids/[0-9a-f-]{36}/"),
]


def normalised(response) -> tuple[int, str]:
    text = response.content.decode()
    for pattern in VOLATILE:
        text = pattern.sub("…", text)
    return response.status_code, text


def observations(client, tender, probe_bid_id) -> dict:
    """What this client can see of the tender's bids, with the queries each view ran."""
    seen = {}
    requests = [
        ("GET", f"/tenders/{tender.pk}/bid-box/"),
        ("GET", f"/tenders/{tender.pk}/bid/"),
        ("GET", "/bids/"),
        ("GET", f"/api/v1/tenders/{tender.pk}/bids/"),
        ("GET", f"/api/v1/tenders/{tender.pk}/bid-box/"),
        ("GET", f"/api/v1/tenders/{tender.pk}/envelopes/"),
        ("GET", f"/api/v1/bids/{probe_bid_id}/"),
        ("POST", f"/api/v1/bids/{probe_bid_id}/withdraw/"),
        ("POST", f"/api/v1/bids/{probe_bid_id}/replace/"),
    ]
    for method, path in requests:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path) if method == "GET" else client.post(path, {}, content_type="application/json")
        seen[f"{method} {path}".replace(str(probe_bid_id), "<bid>")] = (*normalised(response), len(queries))
    return seen


@pytest.fixture
def observers(client, supplier_b, supplier_record_b, other_officer, auditor, outsider, evaluator):
    def as_persona(name):
        client.logout()
        persona = {"supplier_b": supplier_b, "other_officer": other_officer, "auditor": auditor, "outsider": outsider}.get(name)
        persona = persona or (evaluator if name == "evaluator" else None)
        if persona is not None:
            client.force_login(persona)
        return client

    return as_persona


@pytest.mark.parametrize("observer", ["public", "outsider", "supplier_b", "other_officer", "evaluator", "auditor"])
def test_nothing_an_observer_sees_changes_when_a_firm_bids(observers, observer, tender, supplier_org_a, supplier_a, supplier_record_a):
    from bidding import actions

    probe = uuid.uuid4()
    before = observations(observers(observer), tender, probe)
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    after_absent = observations(observers(observer), tender, probe)
    after_real = observations(observers(observer), tender, bid.pk)
    assert after_absent == before
    assert after_real == before  # A's real bid id answers exactly like an id that does not exist


def test_other_supplier_submits_the_same_way_whether_or_not_others_have_bid(
    tender, supplier_a, supplier_org_a, supplier_record_a, supplier_b, supplier_org_b, supplier_record_b, api_client, token_for
):
    from bidding import actions

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(supplier_b)}")
    first = api_client.post(f"/api/v1/tenders/{tender.pk}/bids/", {"envelopes": helpers.seal_bid(tender, supplier_org_b)}, format="json")
    api_client.post(f"/api/v1/bids/{first.json()['id']}/withdraw/")
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    second = api_client.post(f"/api/v1/tenders/{tender.pk}/bids/", {"envelopes": helpers.seal_bid(tender, supplier_org_b)}, format="json")
    assert first.status_code == second.status_code == 201 and set(first.json()) == set(second.json())


def test_officers_see_the_count(tender, officer, supplier_a, supplier_org_a, supplier_record_a, as_user):
    from bidding import actions

    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    response = as_user(officer).get(f"/tenders/{tender.pk}/bid-box/")
    assert re.search(r"data-bid-count-value>1<", response.text)
    assert f'data-live-subject="tender.{tender.pk}.officers"' in response.text


def test_count_is_published_only_on_the_officers_subject(tender, supplier_a, supplier_org_a, supplier_record_a):
    from bidding import actions

    before = LiveEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    subjects = set(LiveEvent.objects.filter(seq__gt=before).values_list("subject", "kind"))
    assert (f"tender.{tender.pk}.officers", "bids.count") in subjects
    assert not any(subject in (f"tender.{tender.pk}", "public") for subject, _ in subjects)
    assert LiveEvent.objects.get(kind="bids.count").payload == {"tender": tender.pk, "count": 1}


@pytest.mark.django_db(transaction=True)
async def test_officers_hear_the_count_live(officer, supplier_a, supplier_org_a, client):
    from asgiref.sync import sync_to_async

    from bidding import actions

    @sync_to_async
    def prepare():
        helpers.make_supplier(supplier_org_a)
        client.force_login(officer)
        return helpers.publish(helpers.make_tender(officer), officer), session_cookie(client)

    tender, cookie = await prepare()
    listener = await connect(f"tender.{tender.pk}.officers", cookie=cookie)
    assert (await receive(listener))["type"] == "hello"
    await sync_to_async(lambda: actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a)))()
    [event] = await receive_events(listener, 1)
    assert event["kind"] == "bids.count" and event["payload"] == {"tender": tender.pk, "count": 1}


@pytest.fixture
def staff(db):
    return make_user("staff@platform.test", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "path", ["/admin/marketplace/auditevent/", "/admin/marketplace/liveevent/", "/admin/marketplace/notification/", "/admin/"]
)
def test_admin_lists_do_not_reveal_bids_before_the_deadline(
    path, tender, officer, supplier_a, supplier_org_a, supplier_record_a, staff, client
):
    from bidding import actions

    client.force_login(staff)
    before = normalised(client.get(path))
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    helpers.amend(tender, officer)
    after = normalised(client.get(path))
    assert after[0] == 200
    assert (
        "bid." not in after[1]
        and "bids.count" not in after[1]
        and "sealed your bid" not in after[1]
        and after[1].count(supplier_org_a.name) == before[1].count(supplier_org_a.name)
    )


def test_admin_shows_the_bid_events_after_the_deadline(tender, supplier_a, supplier_org_a, supplier_record_a, staff, client, deadline):
    from bidding import actions

    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    client.force_login(staff)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert "bid.submitted" in client.get("/admin/marketplace/auditevent/").text


def test_bid_box_lists_digests_and_times_after_the_deadline_without_names(
    tender, supplier_a, supplier_org_a, supplier_record_a, client, deadline
):
    from bidding import actions

    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    digest = bid.envelopes.get().sha256
    with time_machine.travel(deadline + timedelta(seconds=1)):
        page = client.get(f"/tenders/{tender.pk}/bid-box/").text
        api = client.get(f"/api/v1/tenders/{tender.pk}/bid-box/").json()
    assert digest in page and supplier_org_a.name not in page and supplier_a.email not in page
    assert api["sealed"] is False and api["bids"] == [{"received_at": api["bids"][0]["received_at"], "envelopes": {"bid": digest}}]


def test_bid_box_is_sealed_one_second_before_the_deadline(tender, supplier_a, supplier_org_a, supplier_record_a, client, deadline):
    from bidding import actions

    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    with time_machine.travel(deadline - timedelta(seconds=1)):
        assert client.get(f"/api/v1/tenders/{tender.pk}/bid-box/").json() == {
            "sealed": True,
            "deadline": client.get(f"/api/v1/tenders/{tender.pk}/bid-box/").json()["deadline"],
            "bids": [],
        }


def test_withdrawn_and_replaced_bids_are_not_in_the_box(tender, supplier_a, supplier_org_a, supplier_record_a, deadline):
    from bidding import actions, box

    first = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    second = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a), replacing=first)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        [entry] = box.bid_box(tender, helpers.timezone.now()).entries
    assert entry.envelopes == [("bid", second.envelopes.get().sha256)]
    assert Bid.objects.count() == 2
