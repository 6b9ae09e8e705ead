"""The one websocket endpoint: `/ws/live/?subject=<subject>&after=<seq>`."""

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
        await self.send_json({"type": "event"} | {k: v for k, v in event.items() if k != "prev_seq"})
