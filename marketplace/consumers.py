"""The one websocket endpoint: `/ws/live/?subject=<subject>&after=<seq>&batch=1`."""

import asyncio
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from marketplace import access, fanout, live, twofactor

# Close codes (4000-4999 are for applications).
CLOSE_BAD_REQUEST = 4400
CLOSE_FORBIDDEN = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Replays stored events after `after`, then streams new ones, in order, exactly once.

    New events come from the subject's hub (`marketplace.fanout`), which writes them straight
    to every listener that is up to date. A listener that is replaying, or that sees a gap or a
    duplicate, takes the events into its own inbox and sorts them out against the store.
    """

    subject: str = ""
    last_seq: int = 0
    # The client accepts frames of several events: {"type": "events", "events": [...]}.
    batches: bool = False
    hub: fanout.Hub | None = None
    # The server's `fanout.PREPARED_FRAMES` extension for this connection, if it offers one.
    frames: dict | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy = True  # replaying: the hub leaves new events in the inbox until it is done
        self.inbox: list[dict] = []

    async def connect(self) -> None:
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        subject = query.get("subject", [""])[-1]
        after_raw = query.get("after", [None])[-1]
        batch_raw = query.get("batch", ["0"])[-1]
        if not live.SUBJECT_RE.match(subject):
            await self.close(code=CLOSE_BAD_REQUEST, reason="unknown subject")
            return
        if after_raw is not None and not (after_raw.isdigit() and len(after_raw) <= 18):
            await self.close(code=CLOSE_BAD_REQUEST, reason="after must be a non-negative whole number")
            return
        if batch_raw not in ("0", "1"):
            await self.close(code=CLOSE_BAD_REQUEST, reason="batch must be 0 or 1")
            return
        # One answer for "does not exist" and "not yours", so a refusal reveals nothing.
        if not await database_sync_to_async(self._may_hear)(subject):
            await self.close(code=CLOSE_FORBIDDEN, reason="not allowed")
            return
        self.subject, self.batches = subject, batch_raw == "1"
        self.frames = self.scope.get("extensions", {}).get(fanout.PREPARED_FRAMES)
        # Join before replaying so nothing committed in between is lost; duplicates are dropped.
        self.hub = await fanout.join(subject, self)
        live.StoreTailer.ensure_running()
        if after_raw is None:
            self.last_seq = await database_sync_to_async(live.last_seq_of)(subject)
        else:
            self.last_seq = int(after_raw)
        await self.send_json({"type": "hello", "subject": subject, "seq": self.last_seq})
        if after_raw is not None:
            await self._catch_up()
        await self._drain()

    async def dispatch(self, message) -> None:
        # channels closes stale database connections in a thread before every message; this
        # consumer reads the database only through `database_sync_to_async`, which does so itself,
        # and skipping the hop saves thousands of them when a crowded opening room empties.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message) -> None:
        # As channels' own, without its group bookkeeping (the hub holds the group) and its
        # closing of stale database connections (see `dispatch`).
        await self.disconnect(message["code"])
        raise StopConsumer()

    def _may_hear(self, subject: str) -> bool:
        # A session still short of its second factor hears only what anyone may.
        user = self.scope.get("user")
        if not twofactor.session_passes(user, self.scope.get("session")):
            user = None
        return access.may_hear(user, subject)

    async def disconnect(self, code) -> None:
        if self.hub is not None:
            self.hub.leave(self)
            self.hub = None

    async def receive_json(self, content, **kwargs) -> None:
        if content == {"type": "ping"}:
            await self.send_json({"type": "pong"})

    def take(self, events: list[dict]) -> None:
        """Events this listener must check one by one (from the hub, in order)."""
        self.inbox.extend(events)
        if not self.busy:
            self.busy = True
            self._draining = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        try:
            while self.inbox:
                events, self.inbox = self.inbox, []
                for event in events:
                    await self._take_one(event)
        finally:
            self.busy = False

    async def _take_one(self, event: dict) -> None:
        if event["seq"] <= self.last_seq:
            return  # already delivered (replay, or both the tailer and the publisher sent it)
        if event.get("prev_seq", 0) > self.last_seq:
            await self._catch_up()  # we missed its predecessor: the store has it
            if event["seq"] <= self.last_seq:
                return
        await self._deliver(event)

    async def _catch_up(self) -> None:
        while True:
            missed = await database_sync_to_async(live.events_after)(self.subject, self.last_seq)
            for event in missed:
                await self._deliver(event)
            if len(missed) < 1000:
                return

    async def _deliver(self, event: dict) -> None:
        self.last_seq = event["seq"]
        await self.send(text_data=fanout.event_frame(event))
