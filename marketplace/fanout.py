"""One listener of the channel layer per subject and process, fanning events out to its websockets.

An opening may be watched by thousands at once. Were each websocket a member of the subject's
group, every event would be queued, decoded, dispatched and encoded once per websocket. The
hub of a subject joins the group once per process; each batch of events it receives is encoded
once and written to every websocket of the subject, as one frame of several events for clients
that accept them (`batch=1`), else one frame per event.

A broadcast can be lost (Redis restarting, a publisher that could not reach it): every
`LIVE_RESYNC_SECONDS` the hub asks the store for its subject's last event number and, when it is
past what the hub has fanned out, reads the missed events from the store and fans them out, so a
listener is never left behind for longer than that, even if no later event shows it the gap.
(With the in-memory layer the store tailer, `live.StoreTailer`, already delivers from the store.)

Under the product's server (`marketplace.server`) a websocket's scope offers `PREPARED_FRAMES`:
the hub then frames each batch once and has the server write those bytes to all of its
up-to-date listeners in one call, instead of one ASGI `websocket.send` per listener (each framed
anew). Listeners without it (another ASGI server, tests through channels' communicator) are sent
to as before.

Batches form while the hub is busy writing: under load, the events that arrive during one pass
go out together in the next. A subject with many listeners also waits a little between passes
(at most `MAX_PAUSE`), so frames stay few when lines arrive faster than a crowd can read them.
"""

import asyncio
import itertools
import json
import logging

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from marketplace import live

logger = logging.getLogger(__name__)

# Seconds between two passes of a subject, per listener: 2,000 listeners wait 0.25 s at most.
PAUSE_PER_LISTENER = 0.000125
MAX_PAUSE = 0.25
# Let the event loop read sockets and the channel layer between this many writes.
WRITES_PER_TURN = 100
# The ASGI extension of `marketplace.server`: {"writer": FrameWriter, "socket": the connection}.
PREPARED_FRAMES = "tenderhall.prepared_frames"

_hubs: dict[tuple[asyncio.AbstractEventLoop, str], "Hub"] = {}


def event_frame(event: dict) -> str:
    return json.dumps({"type": "event"} | {k: v for k, v in event.items() if k != "prev_seq"})


def batch_frame(events: list[dict]) -> str:
    return json.dumps({"type": "events", "events": [{k: v for k, v in e.items() if k != "prev_seq"} for e in events]})


async def join(subject: str, listener) -> "Hub":
    """The hub of `subject` in this process (made on first use), with `listener` added."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get((loop, subject))
    if hub is None:
        hub = _hubs[(loop, subject)] = Hub(subject)
        await hub.start(live.group_name(subject))
    hub.listeners.add(listener)
    return hub


class Hub:
    def __init__(self, subject: str):
        self.subject = subject
        self.listeners: set = set()
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        # Every event up to this one has been handed to the listeners. One arriving later (the
        # tailer and the publisher both sent it, or broadcasts raced) is dropped: a listener that
        # never got it noticed the gap at the next event and read it from the store.
        self.fanned_out = 0
        # The subject's last stored event when the hub last asked the store (see `_resync`).
        self.stored = 0

    async def start(self, group: str) -> None:
        self.layer = get_channel_layer()
        self.group = group
        # The default prefix: channels-redis (core) receives every channel of a process through one
        # queue, and a second prefix would wait behind its blocking pop.
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(group, self.channel)
        self.tasks = [asyncio.ensure_future(self._pump()), asyncio.ensure_future(self._fan_out())]
        if not isinstance(self.layer, InMemoryChannelLayer):
            # Listeners replay what was stored before they joined; the hub watches from here on.
            self.stored = await database_sync_to_async(live.last_seq_of)(self.subject)
            self.tasks.append(asyncio.ensure_future(self._resync()))

    def leave(self, listener) -> None:
        self.listeners.discard(listener)
        if not self.listeners:
            _hubs.pop((asyncio.get_running_loop(), self.subject), None)
            self.tasks.append(asyncio.ensure_future(self._stop()))

    async def _stop(self) -> None:
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        try:
            await self.layer.group_discard(self.group, self.channel)
        except Exception:  # the group entry expires on its own
            logger.exception("could not leave %s", self.group)

    async def _pump(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer is down: events committed meanwhile are in the store,
                # and each listener fetches them when the next one shows the gap
                logger.exception("live hub of %s could not receive; retrying", self.subject)
                await asyncio.sleep(1)
                continue
            if message.get("type") == live.MESSAGE_TYPE:
                self.inbox.put_nowait(message["event"])

    async def _resync(self) -> None:
        last_stored = database_sync_to_async(live.last_seq_of)
        missed_after = database_sync_to_async(live.events_after)
        while True:
            await asyncio.sleep(settings.LIVE_RESYNC_SECONDS)
            try:
                known = max(self.fanned_out, self.stored)
                latest = await last_stored(self.subject)
                if latest > known:
                    logger.warning("live hub of %s missed broadcasts after #%s: delivering them from the store", self.subject, known)
                    for event in await missed_after(self.subject, known):
                        self.inbox.put_nowait(event)
                self.stored = latest
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is unreachable too: try again at the next turn
                logger.exception("live hub of %s could not read the store", self.subject)

    async def _fan_out(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            events = [await self.inbox.get()]
            started = loop.time()
            while not self.inbox.empty():
                events.append(self.inbox.get_nowait())
            events = sorted({e["seq"]: e for e in events if e["seq"] > self.fanned_out}.values(), key=lambda e: e["seq"])
            if events:
                self.fanned_out = events[-1]["seq"]
                await self._deliver(events)
            pause = min(MAX_PAUSE, PAUSE_PER_LISTENER * len(self.listeners)) - (loop.time() - started)
            if pause > 0:
                await asyncio.sleep(pause)

    async def _deliver(self, events: list[dict]) -> None:
        # The events chain on their subject through prev_seq; a listener whose last event is the
        # first one's predecessor takes the batch as it is, encoded once for all of them.
        chained = all(later.get("prev_seq") == earlier["seq"] for earlier, later in itertools.pairwise(events))
        frames = [event_frame(e) for e in events]
        batch = frames[0] if len(events) == 1 else batch_frame(events)
        # Sockets the server writes itself, per writer: those taking batches, those taking events.
        prepared: dict[object, tuple[list, list]] = {}
        one_by_one = []
        for listener in list(self.listeners):
            if chained and not listener.busy and listener.last_seq == events[0].get("prev_seq"):
                listener.last_seq = events[-1]["seq"]
                if listener.frames is None:
                    one_by_one.append(listener)
                else:
                    batches, singles = prepared.setdefault(listener.frames["writer"], ([], []))
                    (batches if listener.batches else singles).append(listener.frames["socket"])
            else:
                listener.take(events)  # duplicates, a gap, or busy replaying: the listener sorts it out
        # No await until every prepared frame is written: the listeners' order cannot interleave.
        for writer, (batches, singles) in prepared.items():
            try:
                if batches:
                    writer.write(batch, batches)
                for frame in frames if singles else []:
                    writer.write(frame, singles)
            except Exception:  # the writer skips a failing socket itself; this is for the writer
                logger.exception("could not write live frames to the listeners of %s", self.subject)
        for written, listener in enumerate(one_by_one, start=1):
            try:
                for frame in [batch] if listener.batches else frames:
                    await listener.send(text_data=frame)
            except Exception:  # one listener's failure must not stop the others' events
                logger.exception("could not write a live event to a listener of %s", self.subject)
            if written % WRITES_PER_TURN == 0:
                await asyncio.sleep(0)
