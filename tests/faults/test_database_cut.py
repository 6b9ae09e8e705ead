"""The connection to PostgreSQL is cut while a bid is being submitted: the bidder is told either
that the bid was received (201 and its signed receipt) and it is stored, or that it was not (an
error answer) and nothing of it is stored; never one without the other.

A real daphne process talks to the real database through a TCP proxy (`pgproxy.CuttingProxy`)
that drops the request's connection at a chosen point of the bid's transaction."""

import json
import urllib.error
import urllib.request

import pytest
from django.db import connection

from bidding.models import Bid, Envelope
from marketplace import signing
from marketplace.actions import issue_api_token
from marketplace.models import AuditEvent, LiveEvent, Role
from tests import processes
from tests.bidding import helpers
from tests.conftest import uses_postgres
from tests.factories import make_member, make_supplier_organisation
from tests.faults.pgproxy import CuttingProxy
from tests.processes import Processes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.processes,
    pytest.mark.skipif(not uses_postgres(), reason="cuts a PostgreSQL connection: runs with DATABASE_URL=postgres://…"),
    pytest.mark.django_db(transaction=True),
]

BID_INSERT = b'INSERT INTO "bidding_bid"'

CUTS = {
    "before-the-bid-insert": (BID_INSERT, "before"),
    "half-way-through-the-envelopes-insert": (b'INSERT INTO "bidding_envelope"', "midway"),
    "before-the-commit": (b"COMMIT", "before"),
    "after-the-commit-its-answer-lost": (b"COMMIT", "after"),
}


@pytest.fixture
def settings_for_bids(settings):
    settings.MIN_RESPONSE_DAYS_OPEN = 0


@pytest.fixture
def proxy():
    db = connection.settings_dict
    cutting = CuttingProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    yield cutting
    cutting.close()


def through(proxy: CuttingProxy) -> str:
    url = processes.test_database_url()
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    return url.replace(f"@{host_port}/", f"@127.0.0.1:{proxy.port}/") + "?sslmode=disable"


def submit(port: int, tender_id: int, key: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/tenders/{tender_id}/bids/",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stored_bid_of(firm) -> dict:
    bids = list(Bid.objects.filter(organisation=firm))
    return {
        "bids": bids,
        "envelopes": Envelope.objects.filter(bid__organisation=firm).count(),
        "audit": AuditEvent.objects.filter(action="bid.submitted", organisation=firm).count(),
    }


@pytest.mark.parametrize("cut", list(CUTS))
def test_a_cut_connection_leaves_the_answer_and_the_store_in_agreement(cut, officer, settings_for_bids, proxy, tmp_path):
    tender = helpers.publish(helpers.make_tender(officer), officer)
    firm = make_supplier_organisation(name="Cut Firm", code="cut")
    helpers.make_supplier(firm)
    bidder = make_member(firm, Role.BIDDER, "bidder@cut.test")
    key = issue_api_token(bidder, "bids")[1]
    body = {"envelopes": helpers.seal_bid(tender, firm)}
    counted = LiveEvent.objects.count()
    pattern, when = CUTS[cut]
    with Processes(helpers.process_environment(tmp_path, DATABASE_URL=through(proxy))) as platform:
        port = platform.daphne()
        proxy.arm(pattern, when, once_seen=BID_INSERT if pattern != BID_INSERT else b"")
        status, answer = submit(port, tender.pk, key, body)
        assert proxy.cut.is_set(), f"the connection was never cut at {pattern!r}"
        stored = stored_bid_of(firm)
        if status == 201:
            [bid] = stored["bids"]
            assert answer["id"] == str(bid.id) and answer["receipt"] == bid.receipt
            assert signing.verify(answer["receipt"]).payload["bid"] == str(bid.id)
            assert stored["envelopes"] == 1 and stored["audit"] == 1
            assert LiveEvent.objects.count() > counted  # the box's new count, for its watchers
        else:
            assert status == 503, answer
            assert [e["code"] for e in answer["errors"]] == ["database_unavailable"]
            assert stored == {"bids": [], "envelopes": 0, "audit": 0}
            assert LiveEvent.objects.count() == counted
            # Nothing half-stored stands in the way: the same bid, sent again, is received.
            again, receipt = submit(port, tender.pk, key, body)
            assert again == 201, receipt
            assert Bid.objects.get(organisation=firm).receipt == receipt["receipt"]
    expected = 201 if cut == "after-the-commit-its-answer-lost" else 503
    assert status == expected
