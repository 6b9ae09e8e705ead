"""The product's daphne: daphne's own server, offering the live fan-out one ASGI extension.

    python -m marketplace.server -b 127.0.0.1 -p 8000 marketplace.asgi:application

Through plain ASGI, each frame a hub sends to a websocket is a `websocket.send` message that
passes the consumer, daphne's reply dispatch and autobahn's framing once per connection: for
2,000 watchers of an opening, 2,000 times the same bytes framed anew. This server puts
`PREPARED_FRAMES` in every websocket scope's `extensions`: a `FrameWriter` shared by the
process, and the connection's own handle. A hub frames a batch once and hands the writer the
handles of all its up-to-date listeners in one call; the writer puts the same bytes on each
socket. Where the extension is absent (another ASGI server, channels' test communicator) the
consumer sends as usual.

The writer relies on a few attributes of daphne 4.2 and autobahn 26 that are not a documented
interface (`Server.connections`, `WebSocketServerProtocol.state`, `_perMessageCompress`,
`send_queue`, Twisted's unsent-bytes counters and its TCP transport's `socket`);
`tests/marketplace/test_prepared_frames.py` pins them, so an upgrade that changes them fails
there rather than in production.
"""

import daphne.server  # isort:skip  (installs Twisted's asyncio reactor before anything imports Twisted)

import contextlib
import logging
from collections.abc import Iterable

from autobahn.websocket.protocol import PreparedMessage, WebSocketProtocol
from daphne.cli import CommandLineInterface
from django.conf import settings
from twisted.internet.abstract import FileDescriptor

logger = logging.getLogger(__name__)

PREPARED_FRAMES = "tenderhall.prepared_frames"


def unsent_bytes(transport) -> int:
    """Bytes written to a Twisted TCP transport that the kernel has not yet taken."""
    return len(transport.dataBuffer) - transport.offset + transport._tempDataLen


class FrameWriter:
    """Writes one text frame, framed once, to many websocket connections of this server."""

    def __init__(self, server: daphne.server.Server, max_unsent_bytes: int):
        self.server = server
        # A socket whose peer has left this many bytes unread is dropped rather than buffered
        # further: the client reconnects with `after=` its last event and replays the rest from
        # the store, so nothing is lost, and one stalled watcher cannot make the server's memory
        # grow without bound (as plain daphne's writes would).
        self.max_unsent_bytes = max_unsent_bytes
        self.used = False

    def write(self, text: str, sockets: Iterable[WebSocketProtocol]) -> int:
        """Send `text` as one frame on each open socket; returns how many were written.

        A socket that is closing, closed or failing is skipped (its consumer is told through the
        usual disconnect); the others still get the frame.
        """
        if not self.used:
            self.used = True
            logger.info("live frames are framed once and written to every socket (%s)", PREPARED_FRAMES)
        prepared = PreparedMessage(text.encode(), False, False, False)
        written = 0
        for socket in sockets:
            try:
                written += self._write_one(socket, prepared)
            except Exception:  # one connection's failure must not stop the others' frames
                logger.exception("could not write a live frame to %r", socket)
        return written

    def _write_one(self, socket: WebSocketProtocol, prepared: PreparedMessage) -> bool:
        # The checks daphne's own `handle_reply` makes before a websocket.send.
        connection = self.server.connections.get(socket)
        if connection is None or "disconnected" in connection or socket.muted or socket.state != WebSocketProtocol.STATE_OPEN:
            return False
        transport = socket.transport
        if socket._perMessageCompress is not None or socket.send_queue or not isinstance(transport, FileDescriptor):
            # permessage-deflate (daphne does not offer it today), autobahn's own queue in use, or
            # a transport of another kind: let autobahn frame it as it would any message.
            socket.sendPreparedMessage(prepared)
            return True
        unsent = unsent_bytes(transport)
        if unsent > self.max_unsent_bytes:
            logger.warning("dropping %r: %s bytes unread", socket, unsent)
            transport.abortConnection()
            return False
        frame = prepared.payloadHybi
        if unsent == 0 and not transport.TLS and transport.connected and not transport.disconnecting:
            # Nothing queued before it: hand the frame to the kernel now. Twisted's own write
            # would queue it, watch the socket for writability and send on the next turn, three
            # system calls per socket and frame where one does.
            # Full, or failing: Twisted's write below queues it, and sees the failure itself.
            with contextlib.suppress(OSError):
                frame = frame[transport.socket.send(frame) :]
        if frame:
            transport.write(frame)
        return True


class Server(daphne.server.Server):
    """daphne's server, with `PREPARED_FRAMES` in the scope of every websocket."""

    def create_application(self, protocol, scope):
        if scope.get("type") == "websocket":
            if not hasattr(self, "frame_writer"):
                self.frame_writer = FrameWriter(self, settings.LIVE_MAX_UNSENT_BYTES)
            extensions = scope.setdefault("extensions", {})
            extensions[PREPARED_FRAMES] = {"writer": self.frame_writer, "socket": protocol}
        return super().create_application(protocol, scope)


class CommandLine(CommandLineInterface):
    server_class = Server


if __name__ == "__main__":
    CommandLine.entrypoint()
