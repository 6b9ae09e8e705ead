"""The sealed envelopes of a round, in the order the opening reads them out.

On PostgreSQL, outside any caller's transaction (the deadline task, a custodian's release, the
sweep), `EnvelopeStream` reads them on a connection of its own: one query for the whole round,
its rows streamed (libpq's single-row mode) by a background thread that runs ahead of the
reader by at most `AHEAD_BYTES`. So PostgreSQL keeps sending while a batch is decrypted,
checked and written, no envelope costs a round trip, and memory holds at most `AHEAD_BYTES` of
envelopes (at least one) beyond the one being read, whatever the number of bids.

Elsewhere (SQLite; or an opening run inside a transaction the caller holds, whose rows another
connection cannot see) `EnvelopesByQuery` fetches each envelope when it is needed, on the
batch's own connection and inside its transaction.

Both only read envelopes, which nothing changes once the deadline has passed: neither needs the
batch's locks. Decryption is the reader's, after the key was released to it.
"""

import threading
import uuid
from collections import deque

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import sql
from psycopg.adapt import Loader

from bidding import reading
from bidding.models import Envelope

# How far the stream may run ahead of the reader: a few envelopes of the usual size, and the
# bound on what it holds whatever the number of bids (one envelope more if a single one is larger).
AHEAD_BYTES = 16 * 2**20


class EnvelopesByQuery:
    """Each envelope fetched when the reader asks for it, on the batch's connection."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> "EnvelopesByQuery":
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def take(self, bid_id: str) -> reading.Stored | None:
        jwe = Envelope.objects.filter(bid=bid_id, name=self.name).values_list("jwe", flat=True).first()
        return reading.stored(jwe) if jwe is not None else None


class EnvelopeStream:
    """The round's envelopes for `bid_ids`, in that order, streamed from PostgreSQL by a thread
    on its own connection. `take(bid_id)` returns the next bid's envelope, skipping those of
    the bids before it (read meanwhile by another worker): the reader asks in the same order."""

    def __init__(self, name: str, bid_ids: list[str]):
        self.name = name
        self.bid_ids = bid_ids
        self.ready: deque[tuple[str, reading.Stored | None]] = deque()
        self.held_bytes = 0
        self.changed = threading.Condition()
        self.finished = False
        self.stopping = False
        self.failure: BaseException | None = None

    def __enter__(self) -> "EnvelopeStream":
        self.thread = threading.Thread(target=self._run, name="opening-envelopes", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        with self.changed:
            self.stopping = True
            self.ready.clear()
            self.changed.notify_all()
        self.thread.join()  # the thread cancels its query and closes its connection

    def take(self, bid_id: str) -> reading.Stored | None:
        with self.changed:
            while True:
                while self.ready:
                    streamed, envelope = self.ready.popleft()
                    self.held_bytes -= _size(envelope)
                    self.changed.notify_all()
                    if streamed == bid_id:
                        return envelope
                if self.failure is not None:
                    raise self.failure
                if self.finished:
                    raise LookupError(f"bid {bid_id} is not in the round's stream")
                self.changed.wait()

    def _run(self) -> None:
        database = connections.create_connection(DEFAULT_DB_ALIAS)  # this thread's own
        try:
            database.ensure_connection()
            with database.connection.cursor() as cursor:
                # The JWE as its bytes: no decoding to text and back (an envelope is ASCII).
                cursor.adapters.register_loader("text", _AsciiLoader)
                for bid_id, jwe in cursor.stream(self._query(), [self.name, [uuid.UUID(pk) for pk in self.bid_ids]]):
                    envelope = reading.stored_bytes(jwe) if jwe is not None else None
                    with self.changed:
                        while not self.stopping and self.ready and self.held_bytes + _size(envelope) > AHEAD_BYTES:
                            self.changed.wait()
                        if self.stopping:
                            break  # leaving the stream cancels the query
                        self.ready.append((str(bid_id), envelope))
                        self.held_bytes += _size(envelope)
                        self.changed.notify_all()
        except BaseException as error:
            with self.changed:
                self.failure = error
                self.changed.notify_all()
        finally:
            with self.changed:
                self.finished = True
                self.changed.notify_all()
            database.close()

    @staticmethod
    def _query() -> sql.Composed:
        envelope = Envelope._meta
        bid, name, jwe = (sql.Identifier(envelope.get_field(field).column) for field in ("bid", "name", "jwe"))
        # One row per bid in the given order, its envelope or NULL; the subquery is evaluated
        # per row, through the unique (bid, name) index.
        return sql.SQL(
            "SELECT p.bid_id, (SELECT e.{jwe} FROM {table} e WHERE e.{bid} = p.bid_id AND e.{name} = %s) "
            "FROM unnest(%s::uuid[]) WITH ORDINALITY AS p(bid_id, n) ORDER BY p.n"
        ).format(jwe=jwe, table=sql.Identifier(envelope.db_table), bid=bid, name=name)


def _size(envelope: reading.Stored | None) -> int:
    return len(envelope.compact or b"") if envelope is not None else 0


def envelopes_for(name: str, bid_ids: list[str]) -> EnvelopeStream | EnvelopesByQuery:
    """The envelope source for a round's run: the stream where another connection sees what
    this one does (PostgreSQL, no transaction held by the caller), else one query an envelope."""
    database = transaction.get_connection()
    if database.vendor == "postgresql" and not database.in_atomic_block:
        return EnvelopeStream(name, bid_ids)
    return EnvelopesByQuery(name)


class _AsciiLoader(Loader):
    """Text as the bytes PostgreSQL sent (UTF-8), not decoded: `reading.stored_bytes` checks
    that they are ASCII, as every envelope received is."""

    def load(self, data) -> bytes:
        return bytes(data)
