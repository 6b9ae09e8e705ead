"""The chain journal and its sequencer: acts that must not wait for the chain head.

A bid's submission is the one act that thousands of firms make in the same minute. Waiting in
turn for the chain head (the row lock that orders the audit chain and the live events) made
every submission wait for all those before it, so a submission takes the head only if it is
free (`append()`); otherwise it stores its audit and live events in the journal, in its own
transaction: the bid and its journal row commit together, or neither does.

The sequencer (`drain()`) moves journal rows into the chain in order, under the head lock,
deleting each row in the transaction that appends its events, so a row is sequenced exactly
once however many processes drain at the same time. It runs

- after every commit of a transaction that held the head or wrote the journal (`drain_soon`),
  taking the head only if it is free: whoever holds it looks again after releasing it, so a row
  waits only while the head is busy, a few milliseconds;
- on every worker heartbeat (`WORKER_HEARTBEAT_SECONDS`), which bounds the delay for rows
  left by a process that died between its commit and its drain;
- before anything that reads the chain as a whole: `verify_audit`, each checkpoint (and so
  every opening record and award notice that carries one), and the opening of a tender.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from marketplace import audit, live, statements
from marketplace.models import ChainHead, ChainJournal, LiveEvent

logger = logging.getLogger(__name__)

# Rows moved per statement batch; one drain moves every row committed before it took the head.
BATCH = 500
# Rounds of `drain_soon` in one request before the rest is left to a task: during a burst the
# head is busy, and a request should not spend its answer's time draining others' rows.
ROUNDS = 5

_refreshers: dict[str, Callable[[dict], dict]] = {}


def register_refresh(name: str, refresh: Callable[[dict], dict]) -> None:
    """`refresh(payload)` completes a live event's payload when it is sequenced, under the head
    lock (a count that must be true when its event is the last one)."""
    _refreshers[name] = refresh


@dataclass(frozen=True)
class Live:
    """A live event that goes with the act: `refresh` names a registered payload completion."""

    subject: str
    kind: str
    payload: dict | None = None
    refresh: str = ""


def append(entries: list[dict], live_events: list[Live] = ()) -> None:
    """Put the act's audit events (each with `audit.record()`'s arguments) and live events on
    the chain within this transaction if the head is free, else in the journal with it.

    Either way they are committed with the act; in the journal they reach the chain within
    moments, and at the latest on the next worker heartbeat."""
    if not entries:
        raise ValueError("a journalled act has at least one audit event")
    for event in live_events:
        if not live.SUBJECT_RE.match(event.subject):
            raise ValueError(f"not a live subject: {event.subject!r}")
        if event.refresh and event.refresh not in _refreshers:
            raise ValueError(f"no live payload refresh is registered as {event.refresh!r}")
    audit.drain_journal_after_commit()
    head = audit.try_lock_head()
    if head is not None:
        with audit.holding_head(head):
            audit.record_many(entries, head=head)
            for event in live_events:
                live.publish(event.subject, event.kind, _refreshed(event.refresh, event.payload), head=head)
        return
    row = ChainJournal(
        created_at=timezone.now(),
        entries=[audit.journal_fields(**entry) for entry in entries],
        live=[{"subject": e.subject, "kind": e.kind, "payload": audit.json_safe(e.payload), "refresh": e.refresh} for e in live_events],
    )
    statements.execute([statements.insert_statement([row])])


def _refreshed(name: str, payload: dict | None) -> dict | None:
    return _refreshers[name](payload or {}) if name else payload


def drain(*, wait: bool = True) -> int | None:
    """Append every journal row committed before the head was taken to the chain, in order.

    Returns how many rows moved; None if `wait` is false and another transaction holds the head
    (it looks at the journal again once it commits). Inside a transaction the head stays locked
    until that commits, so the caller then reads a chain that misses nothing acknowledged."""
    moved = 0
    with transaction.atomic():
        head = audit.lock_head() if wait else audit.try_lock_head()
        if head is None:
            return None
        while True:
            rows = statements.fetch(ChainJournal, f"{statements.select_sql(ChainJournal)} ORDER BY id LIMIT %s", [BATCH])
            if rows:
                _sequence(head, rows)
            moved += len(rows)
            if len(rows) < BATCH:
                return moved


def _sequence(head: ChainHead, rows: list[ChainJournal]) -> None:
    events, live_events, messages = [], [], []
    seq, prev_hash = head.audit_length, head.audit_hash
    last_on: dict[str, int] = {}
    refreshed: dict[tuple[str, str], dict | None] = {}
    for row in rows:
        for fields in row.entries:
            seq += 1
            event = audit.journalled_event(seq, prev_hash, fields, journal_id=row.pk)
            events.append(event)
            prev_hash = event.hash
        for item in row.live:
            subject, name = item["subject"], item["refresh"]
            if subject not in last_on:
                last_on[subject] = live.last_seq_of(subject)
            key = (name, repr(item["payload"]))
            if key not in refreshed:
                refreshed[key] = _refreshed(name, item["payload"])
            head.live_seq += 1
            stored = LiveEvent(
                subject=subject, seq=head.live_seq, kind=item["kind"], payload=audit.json_safe(refreshed[key]), created_at=row.created_at
            )
            live_events.append(stored)
            messages.append(stored.as_message() | {"prev_seq": last_on[subject]})
            last_on[subject] = stored.seq
    head.audit_length, head.audit_hash = seq, prev_hash
    audit.write_appended(head, events + live_events)
    # The trigger lets a row go only once an event made from it is stored (just above).
    with connection.cursor() as cursor:
        cursor.execute(f"{_DELETE_ROWS} ({', '.join(['%s'] * len(rows))})", [row.pk for row in rows])
    transaction.on_commit(lambda: [live.broadcast(message) for message in messages])


# Precompiled (`marketplace.statements`): the sequencer runs after every commit of a burst.
_DELETE_ROWS = f'DELETE FROM "{ChainJournal._meta.db_table}" WHERE id IN'  # noqa: S608 (a model's own table)


def drain_soon() -> None:
    """After a commit: move what the journal holds if the head is free; if it is not, its holder
    looks again after its own commit. Errors only delay: the heartbeat drains again."""
    try:
        for _round in range(ROUNDS):
            if not _journal_holds_rows() or drain(wait=False) is None:
                return
        if _journal_holds_rows():
            # The head stayed busy with others' rows: a worker takes over, so that no row waits
            # for the heartbeat only because this request stopped looking.
            from marketplace.tasks import ensure_journal_drain

            ensure_journal_drain()
    except Exception:
        logger.exception("could not drain the chain journal; the next heartbeat will")


def _journal_holds_rows() -> bool:
    # ChainJournal.objects.exists(), precompiled: every request that journalled or held the head asks.
    with connection.cursor() as cursor:
        cursor.execute(_ANY_ROW)
        return cursor.fetchone() is not None


_ANY_ROW = f'SELECT 1 FROM "{ChainJournal._meta.db_table}" LIMIT 1'  # noqa: S608 (a model's own table)


def pending() -> int:
    """Journal rows not yet in the chain."""
    return ChainJournal.objects.count()
