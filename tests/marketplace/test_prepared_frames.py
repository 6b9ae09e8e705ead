"""The product's daphne (`marketplace.server`): live frames framed once and written to every socket."""

import base64
import contextlib
import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import time

import pytest
from autobahn.websocket.protocol import PreparedMessage
from django.db import transaction

from marketplace import fanout, live
from tenders.models import Tender
from tests import factories
from tests.live import SocketListener
from tests.processes import ROOT, Processes, child_environment

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


# Run in a child: importing daphne's server installs Twisted's asyncio reactor, not for this process.
INTERNALS = """
import json
from autobahn.websocket.protocol import WebSocketProtocol
from daphne.ws_protocol import WebSocketProtocol as DaphneProtocol
from twisted.internet.abstract import FileDescriptor
from twisted.internet.tcp import Connection
from marketplace import server
print(json.dumps({
    "extension": server.PREPARED_FRAMES,
    "create_application": server.daphne.server.Server.create_application.__code__.co_varnames[:3],
    "connections": "connections" in server.daphne.server.Server.run.__code__.co_names,
    "deflate offered": "perMessageCompressionAccept" in server.daphne.server.Server.run.__code__.co_names,
    "muted": DaphneProtocol.muted,
    "per connection": sorted({"_perMessageCompress", "send_queue", "state"} & set(WebSocketProtocol._connectionMade.__code__.co_names)),
    "open state": hasattr(WebSocketProtocol, "STATE_OPEN"),
    "tcp buffers": issubclass(Connection, FileDescriptor) and {"dataBuffer", "offset"} <= set(vars(FileDescriptor))
        and "_tempDataLen" in FileDescriptor.__init__.__code__.co_names and "socket" in Connection.__init__.__code__.co_names,
}))
"""


def test_the_server_is_written_against_the_installed_daphne_autobahn_and_twisted():
    """marketplace/server.py reaches past the ASGI interface into these versions' internals
    (see its docstring). On an upgrade, read them again before changing the pins."""
    installed = {name: importlib.metadata.version(name) for name in ("daphne", "autobahn", "Twisted")}
    assert installed == {"daphne": "4.2.3", "autobahn": "26.10.2", "Twisted": "26.10.0"}
    facts = json.loads(subprocess.run([sys.executable, "-c", INTERNALS], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    assert facts == {
        "extension": fanout.PREPARED_FRAMES,
        "create_application": ["self", "protocol", "scope"],
        "connections": True,
        "deflate offered": False,
        "muted": False,
        "per connection": ["_perMessageCompress", "send_queue", "state"],
        "open state": True,
        "tcp buffers": True,
    }


@pytest.mark.parametrize("size", [5, 125, 126, 65_535, 65_536])
def test_a_prepared_frame_is_one_unmasked_rfc_6455_text_frame(size):
    payload = ("é" * size).encode()[:size]
    frame = PreparedMessage(payload, False, False, False).payloadHybi
    if size < 126:
        header = bytes([0x81, size])
    elif size < 65_536:
        header = bytes([0x81, 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x81, 127]) + size.to_bytes(8, "big")
    assert frame == header + payload


def published_subject() -> str:
    tender = Tender.objects.create(buyer=factories.make_agency(), title="Road salt")
    Tender.objects.filter(pk=tender.pk).update(status=Tender.Status.PUBLISHED)
    return f"tender.{tender.pk}"


def publish_lines(subject: str, lines: int, per_transaction: int, text: str = "") -> list[int]:
    seqs = []
    for start in range(0, lines, per_transaction):
        with transaction.atomic():
            events = [("opening.line", {"n": n, "text": text}) for n in range(start, start + per_transaction)]
            seqs += [event.seq for event in live.publish_many(subject, events)]
    return seqs


def test_every_socket_of_the_real_server_gets_every_line_once_in_order():
    subject = published_subject()
    with Processes(child_environment(LOG_LEVEL="INFO")) as platform:
        port = platform.daphne()
        listeners = [SocketListener(port, subject, wanted=60, batch=n % 2 == 0).start() for n in range(6)]
        seqs = publish_lines(subject, 60, per_transaction=6)
        received = [listener.events() for listener in listeners]
        log = platform.logs()
    for events in received:
        assert [e["seq"] for e in events] == seqs
        assert [e["payload"]["n"] for e in events] == list(range(60))
    # Several lines went out in one frame to the batching sockets, one a frame to the others.
    assert all(listener.frames < 60 for listener in listeners[::2])
    assert "live frames are framed once and written to every socket" in log


def stalled_websocket(port: int, subject: str) -> socket.socket:
    """A client that shakes hands, reads the hello, then reads nothing more."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    client.sendall(
        (
            f"GET /ws/live/?subject={subject}&batch=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    client.settimeout(20)
    answer = b""
    while b'"hello"' not in answer:
        answer += client.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101")
    return client


def test_a_watcher_that_stops_reading_is_dropped_and_the_others_get_every_line():
    subject = published_subject()
    with Processes(child_environment(LOG_LEVEL="INFO", LIVE_MAX_UNSENT_BYTES="65536")) as platform:
        port = platform.daphne()
        stalled = stalled_websocket(port, subject)
        reader = SocketListener(port, subject, wanted=400, batch=True).start()
        # 400 lines of 20 KB: 8 MB, more than the kernel buffers between the two ends hold.
        seqs = publish_lines(subject, 400, per_transaction=20, text="x" * 20_000)
        events = reader.events(timeout=60)
        deadline = time.monotonic() + 30
        while "dropping" not in platform.logs() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = platform.logs()
    assert [e["seq"] for e in events] == seqs
    assert "bytes unread" in log
    # The stalled client's connection ends (it would reconnect with after=), short of the record.
    unread = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := stalled.recv(1 << 20):
            unread += chunk
    stalled.close()
    assert len(unread) < len(seqs) * 20_000
