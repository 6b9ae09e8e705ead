"""Redis stops while a tender is being opened. The platform runs as real processes (daphne and a
db_worker) on a Redis server of the test's own, which the test stops and starts again:

- the pages and the API still answer while Redis is down (the health check says it is down);
- the opening goes on: its lines are stored with their event numbers, whether or not they can
  be broadcast;
- a websocket client that keeps its last event number, and reconnects with `?after=` whenever it
  is cut off (as the pages' live.js does), ends up with every event of the opening, in order and
  once each, after Redis is back.
"""

import asyncio
import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import websockets
from django.utils import timezone

from bidding import actions
from marketplace import live
from marketplace.models import Role
from tenders.models import Tender
from tests.bidding import helpers
from tests.factories import make_agency, make_member, make_supplier_organisation
from tests.processes import Processes, free_port

pytestmark = [
    pytest.mark.processes,
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to start a Redis of its own"),
    pytest.mark.django_db(transaction=True),
]

BIDS = 4


class OwnRedis:
    """A redis-server of this test only, on a free port, that the test may stop."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        give_up = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            if time.monotonic() > give_up:
                raise TimeoutError("the test's redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def redis():
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


class ReconnectingListener:
    """A websocket client that, like live.js, reconnects after any loss with its last number."""

    def __init__(self, port: int, subject: str, after: int, wanted: int):
        self.port, self.subject, self.after, self.wanted = port, subject, after, wanted
        self.received: list[dict] = []
        self.connections = 0
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()

    def events(self, timeout: float) -> list[dict]:
        self.thread.join(timeout)
        self.stop.set()
        return self.received

    async def _run(self) -> None:
        while len(self.received) < self.wanted and not self.stop.is_set():
            url = f"ws://127.0.0.1:{self.port}/ws/live/?subject={self.subject}&after={self.after}&batch=1"
            try:
                async with websockets.connect(
                    url, additional_headers={"Origin": f"http://127.0.0.1:{self.port}"}, open_timeout=5
                ) as socket:
                    self.connections += 1
                    while len(self.received) < self.wanted and not self.stop.is_set():
                        try:
                            message = json.loads(await asyncio.wait_for(socket.recv(), 0.5))
                        except TimeoutError:
                            continue
                        if message["type"] == "hello":
                            self.connected.set()
                        for event in message["events"] if message["type"] == "events" else [message] if message["type"] == "event" else []:
                            self.received.append(event)
                            self.after = event["seq"]
            except (OSError, websockets.WebSocketException, TimeoutError):
                await asyncio.sleep(0.5)


def get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def health(port: int) -> dict:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30)
    except urllib.error.HTTPError as error:
        assert error.code == 503
        return json.loads(error.read())
    raise AssertionError("/healthz answered 200")


def wait_for(condition, timeout: float, what: str) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise TimeoutError(what)
        time.sleep(0.1)


def test_redis_stopped_during_an_opening(redis, settings, tmp_path):
    settings.MIN_RESPONSE_DAYS_OPEN = 0
    officer = make_member(make_agency(), Role.PROCUREMENT_OFFICER)
    deadline = timezone.now() + timedelta(seconds=8)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    for n in range(BIDS):
        firm = make_supplier_organisation(name=f"Firm {n}")
        helpers.make_supplier(firm)
        actions.submit_bid(make_member(firm, Role.BIDDER), firm, tender, helpers.seal_bid(tender, firm))
    environment = helpers.process_environment(tmp_path, redis_url=redis.url, REDIS_PREFIX="tenderhall-faults")
    with Processes(environment) as platform:
        port = platform.daphne()
        platform.worker()
        # tender.closed, tender.opening, opening.started, one line per bid, tender.opened, opening.completed
        listener = ReconnectingListener(port, f"tender.{tender.pk}", after=live.current_seq(), wanted=5 + BIDS)
        assert listener.connected.wait(20), "the listener never connected"
        wait_for(lambda: get(port, "/healthz") == 200, 20, "the platform never became healthy")

        redis.stop()
        assert get(port, f"/tenders/{tender.pk}/") == 200
        assert get(port, f"/api/v1/tenders/{tender.pk}/") == 200
        assert get(port, "/tenders/") == 200
        assert health(port)["channel_layer"]["status"] == "error"  # and /healthz says so, with a 503
        wait_for(lambda: Tender.objects.get(pk=tender.pk).status == Tender.Status.OPENED, 40, "the opening did not finish")
        heard_while_down = len(listener.received)

        redis.start()
        events = listener.events(timeout=30)
    kinds = [event["kind"] for event in events]
    assert len(events) == 5 + BIDS, f"heard {kinds} ({heard_while_down} while Redis was down)"
    assert [event["seq"] for event in events] == sorted({event["seq"] for event in events})  # in order, once each
    assert [event["payload"]["position"] for event in events if event["kind"] == "opening.line"] == list(range(1, BIDS + 1))
    assert kinds[0] == "tender.closed" and kinds[-1] == "opening.completed"
