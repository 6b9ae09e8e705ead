"""The one websocket endpoint: `/ws/live/?subject=<subject>&after=<seq>`."""

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from marketplace import access, live

# Close codes (4000-4999 are for applications).
CLOSE_BAD_REQUEST = 4400
CLOSE_FORBIDDEN = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Replays stored events after `after`, then streams new ones, in order, exactly once."""

    subject: str = ""
    last_seq: int = 0

    async def connect(self) -> None:
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        subject = query.get("subject", [""])[-1]
        after_raw = query.get("after", [None])[-1]
        if not live.SUBJECT_RE.match(subject):
            await self.close(code=CLOSE_BAD_REQUEST, reason="unknown subject")
            return
        if after_raw is not None and not (after_raw.isdigit() and len(after_raw) <= 18):
            await self.close(code=CLOSE_BAD_REQUEST, reason="after must be a non-negative whole number")
            return
        # One answer for "does not exist" and "not yours", so a refusal reveals nothing.
        if not await database_sync_to_async(access.may_hear)(self.scope.get("user"), subject):
            await self.close(code=CLOSE_FORBIDDEN, reason="not allowed")
            return
        self.subject = subject
        # Join before replaying so nothing committed in between is lost; duplicates are dropped.
        await self.channel_layer.group_add(live.group_name(subject), self.channel_name)
        live.StoreTailer.ensure_running()
        if after_raw is None:
            self.last_seq = await database_sync_to_async(live.last_seq_of)(subject)
        else:
            self.last_seq = int(after_raw)
        await self.send_json({"type": "hello", "subject": subject, "seq": self.last_seq})
        if after_raw is not None:
            await self._catch_up()

    async def disconnect(self, code) -> None:
        if self.subject:
            await self.channel_layer.group_discard(live.group_name(self.subject), self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if content == {"type": "ping"}:
            await self.send_json({"type": "pong"})

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every message, through a hop to the
        # sync thread; for an event watched by thousands that hop costs more than the delivery.
        # An event touches the database only in _catch_up, whose database_sync_to_async does the
        # same cleanup around its own queries.
        if message.get("type") == live.MESSAGE_TYPE:
            await self.live_event(message)
        else:
            await super().dispatch(message)

    async def live_event(self, message: dict) -> None:
        event = message["event"]
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
        await self.send(text_data=encoded(event))


_last_encoded: tuple[dict, str] | None = None


def encoded(event: dict) -> str:
    """The frame of an event. The pub/sub layer hands every listener in this process the same
    decoded event, so it is encoded once however many listen."""
    global _last_encoded
    last = _last_encoded
    if last is not None and last[0] is event:
        return last[1]
    text = json.dumps({"type": "event"} | {k: v for k, v in event.items() if k != "prev_seq"})
    _last_encoded = (event, text)
    return text
