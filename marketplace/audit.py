"""Appending to, checkpointing and verifying the audit chain.

Every action that changes state calls `record()` inside its transaction, after its own row
locks (lock order: domain rows first, then the chain head). Only `record()` and the journal's
sequencer (`marketplace.journal`, for acts that do not wait for the head) write the chain.

The head alone lives in the same database as the events, so whoever can rewrite the events can
move it too. Checkpoints (`take_checkpoint()`) sign the head with the platform's key; a copy kept
outside the database (fetched from `/api/v1/audit/checkpoints/`, or carried by an opening record
or award notice) pins every event up to its length: `verify_chain(pins)` checks them.
"""

import contextvars
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import rfc8785
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from marketplace import signing, statements
from marketplace.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, ChainHead

# The address of the request being served, set by RequestContextMiddleware.
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def lock_head() -> ChainHead:
    """Lock the chain head for the rest of the transaction, creating it on first use.

    Whoever releases the head looks at the journal once more after committing (acts that found
    the head held left their events there), so nothing waits for the next heartbeat in vain.
    """
    head = _lock_head()
    drain_journal_after_commit()
    return head


def _lock_head() -> ChainHead:
    if not connection.in_atomic_block:
        raise RuntimeError("the chain head may only be locked inside a transaction")
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                ChainHead.objects.create(pk=1)
        except IntegrityError:
            pass  # another writer created it first; its lock below makes us wait our turn
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def try_lock_head() -> ChainHead | None:
    """Lock the chain head if no other transaction holds it (SKIP LOCKED), else None at once.

    Where the database has no row locks (SQLite, whose transactions exclude one another) the
    head is always free.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("the chain head may only be locked inside a transaction")
    if not connection.features.has_select_for_update_skip_locked:
        return _lock_head()
    # Precompiled (`marketplace.statements`): every bid's submission asks.
    found = statements.fetch(ChainHead, f"{statements.select_sql(ChainHead)} WHERE {_HEAD}.id = 1 FOR UPDATE SKIP LOCKED")
    if found:
        return found[0]
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_EXISTS)
        if cursor.fetchone() is None:
            return _lock_head()  # its first use: nobody can hold it yet
    return None


_HEAD = f'"{ChainHead._meta.db_table}"'
_HEAD_EXISTS = f"SELECT 1 FROM {_HEAD} WHERE id = 1"  # noqa: S608 (a model's own table)


def drain_journal_after_commit() -> None:
    """Once this transaction commits, append to the chain what the journal holds (if the head is free)."""
    # The journal module builds on this one and on live events: imported here, the one way round.
    from marketplace import journal

    if not any(func is journal.drain_soon for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(journal.drain_soon)


@contextmanager
def holding_head(head: ChainHead | None = None) -> Iterator[ChainHead]:
    """Lock the chain head once for several appends (`record(head=…)`, `live.publish(head=…)`).

    `head`: the head already locked by this transaction (`try_lock_head()`).
    Their rows and the head are written together when the block ends — on PostgreSQL in one
    round trip — so the tail that every writer takes in turn is a few round trips shorter.
    """
    head = head if head is not None else lock_head()
    head.pending = []
    yield head
    rows, head.pending = head.pending, None
    write_appended(head, rows)


def write_appended(head: ChainHead, rows: list[models.Model]) -> None:
    """Insert the appended rows (audit and live events) and write the head back."""
    if connection.vendor != "postgresql":
        for row in rows:
            row.save(force_insert=True)
        head.save(update_fields=["audit_length", "audit_hash", "live_seq"])
        return
    # Precompiled (`marketplace.statements`): each statement runs for every bid in a burst. Rows
    # of one model go in one multi-row insert, in their order.
    batches: list[list[models.Model]] = []
    for row in rows:
        if batches and type(batches[-1][0]) is type(row):
            batches[-1].append(row)
        else:
            batches.append([row])
    head_update = (_HEAD_UPDATE, [head.audit_length, head.audit_hash, head.live_seq, head.pk])
    statements.execute([statements.insert_statement(batch) for batch in batches] + [head_update])
    statements.mark_saved(rows)


_HEAD_UPDATE = f"UPDATE {_HEAD} SET audit_length = %s, audit_hash = %s, live_seq = %s WHERE id = %s"  # noqa: S608 (a model's own table)


def link_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + rfc8785.dumps(fields)).hexdigest()


def json_safe(value) -> dict:
    """Decimals, dates and UUIDs become strings, as they will read back from the database."""
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder))


def record(
    action: str,
    *,
    actor=None,
    organisation=None,
    obj: models.Model | None = None,
    payload: dict | None = None,
    now: datetime | None = None,
    ip: str | None = None,
    head: ChainHead | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the action's transaction.

    `head` is the head held by `holding_head()`, which writes it back; without it the head is
    locked and written here.
    """
    entry = {"action": action, "actor": actor, "organisation": organisation, "obj": obj, "payload": payload, "now": now, "ip": ip}
    return record_many([entry], head=head)[0]


def record_many(entries: list[dict], *, head: ChainHead | None = None) -> list[AuditEvent]:
    """Append several events in this order, each entry with `record`'s arguments, under one lock
    of the chain head and in one insert. Must run inside the action's transaction."""
    held = head is not None
    head = head if held else lock_head()
    seq, prev_hash = head.audit_length, head.audit_hash
    events = []
    for entry in entries:
        seq += 1
        event = _linked_event(seq, prev_hash, **entry)
        events.append(event)
        prev_hash = event.hash
    head.audit_length, head.audit_hash = seq, prev_hash
    if held:
        head.pending.extend(events)  # written when `holding_head()` ends
    else:
        AuditEvent.objects.bulk_create(events)
        head.save(update_fields=["audit_length", "audit_hash"])
    return events


def _linked_event(
    seq: int,
    prev_hash: str,
    *,
    action: str,
    actor=None,
    organisation=None,
    obj: models.Model | None = None,
    payload: dict | None = None,
    now: datetime | None = None,
    ip: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        seq=seq,
        created_at=now or timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        payload=json_safe(payload),
        ip=ip or client_ip.get(),
        prev_hash=prev_hash,
    )
    event.hash = link_hash(event.prev_hash, event.canonical_fields())
    return event


def journal_fields(
    *,
    action: str,
    actor=None,
    organisation=None,
    obj: models.Model | None = None,
    payload: dict | None = None,
    now: datetime | None = None,
    ip: str | None = None,
) -> dict:
    """An event with `record()`'s arguments as the journal keeps it until it is sequenced (JSON)."""
    return {
        "at": (now or timezone.now()).isoformat(),
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
        "organisation": organisation.pk if organisation is not None else None,
        "action": action,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "payload": json_safe(payload),
        "ip": ip or client_ip.get(),
    }


def journalled_event(seq: int, prev_hash: str, fields: dict, *, journal_id: int) -> AuditEvent:
    """The link made from an event of the journal (`journal_fields()`)."""
    event = AuditEvent(
        seq=seq,
        created_at=datetime.fromisoformat(fields["at"]),
        actor_id=fields["actor"],
        organisation_id=fields["organisation"],
        action=fields["action"],
        object_type=fields["object_type"],
        object_id=fields["object_id"],
        payload=fields["payload"],
        ip=fields["ip"],
        prev_hash=prev_hash,
        journal_id=journal_id,
    )
    event.hash = link_hash(event.prev_hash, event.canonical_fields())
    return event


@dataclass(frozen=True)
class Pin:
    """A head someone noted: the event at `length` must have `hash`. `source` names the note."""

    length: int
    hash: str
    source: str

    @classmethod
    def parse(cls, text: str) -> "Pin":
        """`HASH@LENGTH`, or a checkpoint's compact JWS (its signature checked against the
        published keys), as `verify_audit --expect` takes them."""
        if text.strip().count(".") == 2:
            return cls.from_jws(text)
        hash_, at, length = text.strip().partition("@")
        hash_ = hash_.lower()
        if not at or len(hash_) != 64 or any(c not in "0123456789abcdef" for c in hash_) or not length.isdigit():
            raise ValueError(f"{text!r} is not HASH@LENGTH (64 hexadecimal digits, @, a number of events)")
        return cls(int(length), hash_, f"the expected head {hash_}@{length}")

    @classmethod
    def from_jws(cls, token: str) -> "Pin":
        verified = signing.verify(token)
        if not verified.valid:
            raise ValueError(f"a kept checkpoint does not verify: {verified.reason}")
        hash_, length = verified.payload.get("hash"), verified.payload.get("length")
        if not isinstance(hash_, str) or not isinstance(length, int) or set(verified.payload) != {"hash", "length", "at"}:
            raise ValueError("a kept token is signed by this platform but is not an audit checkpoint")
        return cls(length, hash_, f"the kept checkpoint {hash_}@{length}")


@dataclass(frozen=True)
class Verification:
    ok: bool
    length: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(pins: Iterable[Pin] = (), chunk_size: int = 2000) -> Verification:
    """Walk the whole chain in order and report the first row that does not hold, or the first
    pin (a checkpoint, an expected head) the chain no longer matches."""
    pins = sorted(pins, key=lambda pin: pin.length)
    by_length: dict[int, list[Pin]] = {}
    for pin in pins:
        by_length.setdefault(pin.length, []).append(pin)
    for pin in by_length.get(0, []):
        if pin.hash != GENESIS_HASH:
            return Verification(False, 0, GENESIS_HASH, 1, f"{pin.source} is not the empty chain's hash")
    expected_seq, prev_hash = 1, GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if event.seq != expected_seq:
            return Verification(
                False, expected_seq - 1, prev_hash, expected_seq, f"event #{expected_seq} is missing (next stored is #{event.seq})"
            )
        if event.prev_hash != prev_hash:
            return Verification(
                False, expected_seq - 1, prev_hash, event.seq, f"event #{event.seq} does not link to event #{event.seq - 1}"
            )
        if link_hash(event.prev_hash, event.canonical_fields()) != event.hash:
            return Verification(False, expected_seq - 1, prev_hash, event.seq, f"event #{event.seq} was altered after it was written")
        for pin in by_length.get(event.seq, []):
            if pin.hash != event.hash:
                return Verification(
                    False,
                    expected_seq - 1,
                    prev_hash,
                    event.seq,
                    f"event #{event.seq} has hash {event.hash}, not that of {pin.source}: the chain up to #{event.seq} was rewritten",
                )
        expected_seq, prev_hash = expected_seq + 1, event.hash
    length = expected_seq - 1
    beyond = [pin for pin in pins if pin.length > length]
    if beyond:
        return Verification(
            False, length, prev_hash, length + 1, f"{beyond[0].source} covers {beyond[0].length} events but only {length} are stored"
        )
    head = ChainHead.objects.filter(pk=1).first()
    head_length, head_hash = (head.audit_length, head.audit_hash) if head else (0, GENESIS_HASH)
    if (head_length, head_hash) != (length, prev_hash):
        return Verification(False, length, prev_hash, length + 1, f"the chain head records {head_length} events but {length} are stored")
    return Verification(True, length, prev_hash)


def checkpoint_pins() -> tuple[list[Pin], list[str]]:
    """The stored checkpoints as pins, and what is wrong with those whose signature does not hold
    (checked against the published keys, retired ones included)."""
    pins, problems = [], []
    for checkpoint in AuditCheckpoint.objects.order_by("length").iterator():
        source = f"the checkpoint {checkpoint.hash}@{checkpoint.length}"
        verified = signing.verify(checkpoint.jws)
        if not verified.valid:
            problems.append(f"{source}: {verified.reason}")
        elif verified.payload != checkpoint.signed_content():
            problems.append(f"{source}: its stored fields differ from what its signature covers")
        else:
            pins.append(Pin(checkpoint.length, checkpoint.hash, source))
    return pins, problems


class CheckpointRefused(Exception):
    """The events since the last checkpoint do not extend it: nothing is signed."""


def take_checkpoint(now: datetime | None = None) -> AuditCheckpoint | None:
    """Sign the chain head as committed now, after checking that the events since the last
    checkpoint link from it (so a rewritten chain is never signed). Returns the latest checkpoint,
    new or not, or None while the chain is empty."""
    from marketplace import journal  # it builds on this module: imported here, the one way round

    now = now or timezone.now()
    journal.drain()  # a checkpoint covers every act acknowledged before it
    head = ChainHead.objects.filter(pk=1).first()
    last = AuditCheckpoint.objects.order_by("-length").first()
    if head is None or head.audit_length == 0 or (last is not None and last.length >= head.audit_length):
        return last
    seq, prev_hash = (last.length, last.hash) if last is not None else (0, GENESIS_HASH)
    for event in AuditEvent.objects.filter(seq__gt=seq, seq__lte=head.audit_length).order_by("seq").iterator(chunk_size=2000):
        seq += 1
        if event.seq != seq or event.prev_hash != prev_hash or link_hash(prev_hash, event.canonical_fields()) != event.hash:
            raise CheckpointRefused(f"event #{seq} does not extend the chain of the last checkpoint; run verify_audit")
        prev_hash = event.hash
    if seq != head.audit_length or prev_hash != head.audit_hash:
        raise CheckpointRefused(f"the chain head ({head.audit_hash}@{head.audit_length}) is not the last stored event; run verify_audit")
    checkpoint = AuditCheckpoint(length=seq, hash=prev_hash, created_at=now)
    checkpoint.jws = signing.sign(checkpoint.signed_content())
    try:
        with transaction.atomic():
            checkpoint.save(force_insert=True)
    except IntegrityError:  # another worker signed this length first
        return AuditCheckpoint.objects.get(length=seq)
    return checkpoint


def checkpoint_reference() -> dict | None:
    """`{"hash", "length", "jws"}` of the latest checkpoint, for a signed document to carry, so
    everyone who holds the document also holds a pin of the chain."""
    checkpoint = AuditCheckpoint.objects.order_by("-length").first()
    return checkpoint.reference() if checkpoint is not None else None
