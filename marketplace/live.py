"""Live events: stored in the transaction of the change, broadcast after it commits.

Subjects: `public` and `tender.<id>` (anyone), `tender.<id>.officers` (the tender's agency
officers), `org.<id>` (the organisation's members), `user.<id>` (that person: notifications).
Who may hear what is decided in `marketplace.access`.
"""

import asyncio
import logging
import re

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from marketplace.audit import json_safe, lock_head
from marketplace.models import ChainHead, LiveEvent

logger = logging.getLogger(__name__)

SUBJECT_RE = re.compile(r"^(public|tender\.[1-9][0-9]{0,17}(\.officers)?|(org|user)\.[1-9][0-9]{0,17})$")
MESSAGE_TYPE = "live.event"


def group_name(subject: str) -> str:
    return f"live.{subject}"


def publish(
    subject: str, kind: str, payload: dict | None = None, *, head: ChainHead | None = None, prev_seq: int | None = None
) -> LiveEvent:
    """Store an event on `subject` and broadcast it once the transaction commits.

    Call it inside the action's transaction, after the action's own row locks. `head` is the
    head held by `audit.holding_head()`, which writes it back; `prev_seq` is the subject's last
    event number when the caller read it under that lock.
    """
    return publish_many(subject, [(kind, payload)], head=head, prev_seq=prev_seq)[0]


def publish_many(
    subject: str, events: list[tuple[str, dict | None]], *, head: ChainHead | None = None, prev_seq: int | None = None
) -> list[LiveEvent]:
    """Store several `(kind, payload)` events on `subject`, in this order, under one lock of the
    chain head and in one insert; they are broadcast in the same order once the transaction commits."""
    if not SUBJECT_RE.match(subject):
        raise ValueError(f"not a live subject: {subject!r}")
    held = head is not None
    head = head if held else lock_head()
    # Under the head lock, the subject's last event is stable: it is the first event's predecessor,
    # which lets a listener notice that it missed one and fetch it from the store.
    if prev_seq is None:
        prev_seq = last_seq_of(subject)
    stored = []
    for kind, payload in events:
        head.live_seq += 1
        stored.append(LiveEvent(subject=subject, seq=head.live_seq, kind=kind, payload=json_safe(payload)))
    if held:
        head.pending.extend(stored)  # written when `audit.holding_head()` ends
    else:
        head.save(update_fields=["live_seq"])
        LiveEvent.objects.bulk_create(stored)
    messages = []
    for event in stored:
        messages.append(event.as_message() | {"prev_seq": prev_seq})
        prev_seq = event.seq
    transaction.on_commit(lambda: [broadcast(message) for message in messages])
    return stored


def broadcast(message: dict) -> None:
    """Hand a committed event to the channel layer; a failure only delays delivery."""
    layer, group = get_channel_layer(), group_name(message["subject"])
    if isinstance(layer, InMemoryChannelLayer) and group not in layer.groups:
        # Nobody listens to it in this process (a worker, a command): the daphne processes read
        # it from the store. Skipping saves an event loop per event, which an opening feels.
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": MESSAGE_TYPE, "event": message})
    except Exception:  # the event is stored: listeners get it on their next event or reconnect
        logger.exception("could not broadcast live event %s #%s", message["subject"], message["seq"])


def current_seq() -> int:
    """The newest event number. Read it before rendering a page's state and pass it as `after`."""
    return ChainHead.objects.filter(pk=1).values_list("live_seq", flat=True).first() or 0


def events_after(subject: str, after: int, limit: int = 1000) -> list[dict]:
    """Stored events on `subject` after `after`, in order, each with its predecessor's number."""
    events = list(LiveEvent.objects.filter(subject=subject, seq__gt=after).order_by("seq")[:limit])
    prev = LiveEvent.objects.filter(subject=subject, seq__lte=after).aggregate(m=Max("seq"))["m"] or 0
    messages = []
    for event in events:
        messages.append(event.as_message() | {"prev_seq": prev})
        prev = event.seq
    return messages


def last_seq_of(subject: str) -> int:
    # Precompiled: every event published on the chain head asks, a bid's count among them.
    with connection.cursor() as cursor:
        cursor.execute(_LAST_SEQ, [subject])
        return cursor.fetchone()[0] or 0


_LAST_SEQ = f'SELECT MAX(seq) FROM "{LiveEvent._meta.db_table}" WHERE subject = %s'  # noqa: S608 (a model's own table)


class StoreTailer:
    """Delivers events committed by other processes when the channel layer is in memory.

    The in-memory layer reaches only this process, so each daphne process polls the store
    and re-broadcasts locally. Event numbers follow commit order, so `seq > watermark` never
    skips a late commit; listeners drop the duplicates of events this process published itself.
    """

    _task: asyncio.Task | None = None

    @classmethod
    def needed(cls) -> bool:
        return isinstance(get_channel_layer(), InMemoryChannelLayer)

    @classmethod
    def ensure_running(cls) -> None:
        loop = asyncio.get_running_loop()
        if cls.needed() and (cls._task is None or cls._task.done() or cls._task.get_loop() is not loop):
            cls._task = loop.create_task(cls()._run())

    async def _run(self) -> None:
        from channels.db import database_sync_to_async

        fetch_new = database_sync_to_async(self._fetch_new)
        watermark = await database_sync_to_async(current_seq)()
        layer = get_channel_layer()
        interval = settings.LIVE_TAIL_INTERVAL_MS / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                messages = await fetch_new(watermark)
            except Exception:
                logger.exception("live tailer could not read the store; retrying")
                continue
            for message in messages:
                await layer.group_send(group_name(message["subject"]), {"type": MESSAGE_TYPE, "event": message})
                watermark = message["seq"]

    @staticmethod
    def _fetch_new(watermark: int) -> list[dict]:
        events = list(LiveEvent.objects.filter(seq__gt=watermark).order_by("seq")[:500])
        prev_by_subject: dict[str, int] = {}
        messages = []
        for event in events:
            if event.subject not in prev_by_subject:
                prev_by_subject[event.subject] = (
                    LiveEvent.objects.filter(subject=event.subject, seq__lt=event.seq).aggregate(m=Max("seq"))["m"] or 0
                )
            messages.append(event.as_message() | {"prev_seq": prev_by_subject[event.subject]})
            prev_by_subject[event.subject] = event.seq
        return messages
