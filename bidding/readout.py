"""Reading out a round: its bids in batches, one transaction a batch, the envelopes coming in
meanwhile (`bidding.envelopes`).

A batch reads the bids it holds in order of receipt, one line per bid, under the Opening's row
lock: the line is written at most once (the lock, and the unique (opening, bid) constraint), and
a run that stops half-way (a worker killed, an exception) is resumed by the next run from the
first bid without a line. Each envelope is dropped once read: what a batch keeps of a line is
its line and its documents' rows (their files already stored), never the envelope.
"""

import threading
import time
from collections import deque
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone

from bidding import reading, receipts, unsealing
from bidding.envelopes import EnvelopesByQuery, EnvelopeStream
from bidding.models import Bid, Envelope, OpenedDocument, Opening, OpeningLine
from marketplace import audit, live
from marketplace.models import ChainHead

# A batch of lines is read in one transaction: the Opening's and bids' locks, the audit chain
# head, the event numbers and the commit (ten round trips) are paid once a batch. It ends after
# this many lines or this long, so the room still sees the lines come in a few times a second,
# in order; but it holds at least BATCH_MIN_LINES, so that a loaded machine, where every line is
# slower and every round trip waits for the scheduler, does not pay them for every few lines.
# What a batch holds grows with its lines only (about 3.5 KB each): envelopes and documents
# have their own bounds (`bidding.envelopes.AHEAD_BYTES`, `WRITE_AHEAD_BYTES`).
BATCH_LINES = 100
BATCH_SECONDS = 0.25
BATCH_MIN_LINES = 20

# Opened documents waiting for their file to be written: the bound on what they hold (at least one).
WRITE_AHEAD_BYTES = 16 * 2**20

EnvelopeSource = EnvelopeStream | EnvelopesByQuery


class LineRead(NamedTuple):
    """One bid read: its line and its documents (their files already stored), to be written."""

    line: OpeningLine
    documents: list[OpenedDocument]


def read_batch(
    opening_id: int, pending: list[tuple[int, str]], key: unsealing.OpeningKey, envelopes: EnvelopeSource
) -> list[tuple[int, str]]:
    """Read the next bids of `pending` (position, bid) in one transaction, their envelopes taken
    from `envelopes` (`bidding.envelopes`, which yields them in the order of `pending`), for up to
    `BATCH_SECONDS` (but at least `BATCH_MIN_LINES`) or `BATCH_LINES`, and return the bids left.

    Under the Opening's lock a bid that already has a line is skipped. A line that fails (an
    error, not a rejection) ends the batch: the lines read before it are written, then the error
    is raised. Nothing is half-written: a line, its documents, its bid's status, its audit event
    and its live event commit together."""
    batch, left = pending[:BATCH_LINES], pending[BATCH_LINES:]
    readings: list[LineRead] = []
    failure = None
    with DocumentWriter() as writer:
        try:
            with transaction.atomic():
                # Only the Opening row: the tender stays free for the completion, which locks it first.
                opening = Opening.objects.select_for_update(of=("self",)).select_related("tender").get(pk=opening_id)
                if opening.status != Opening.Status.RUNNING:
                    return []
                bid_ids = [bid_id for _position, bid_id in batch]
                read = {str(pk) for pk in OpeningLine.objects.filter(opening=opening, bid__in=bid_ids).values_list("bid_id", flat=True)}
                to_read = [(position, bid_id) for position, bid_id in batch if bid_id not in read]
                bids = Bid.objects.select_for_update(of=("self",)).select_related("organisation", "tender").order_by("pk")
                bids = {str(bid.pk): bid for bid in bids.filter(pk__in=[bid_id for _position, bid_id in to_read])}
                ends_at = time.monotonic() + BATCH_SECONDS
                for number, (position, bid_id) in enumerate(to_read):
                    envelope = envelopes.take(bid_id)
                    writer.line = len(readings)  # the files read_line stores are this line's
                    try:
                        readings.append(read_line(opening, position, bids[bid_id], envelope, key, writer))
                    except Exception as error:
                        failure = error
                    del envelope
                    more = number + 1 < len(to_read) and (number + 1 < BATCH_MIN_LINES or time.monotonic() < ends_at)
                    if failure is not None or not more:
                        left = to_read[number + 1 :] + left
                        break
                # No row may name a file that is not stored: a line whose file could not be
                # written ends the batch there, as if it had failed while being read.
                unwritten = writer.first_failure()
                if unwritten is not None:
                    stopped_at, failure = unwritten
                    readings = readings[:stopped_at]
                writer.delete_from(len(readings))  # what the failed line and any after it stored
                _write_lines(opening, readings)
        except BaseException:
            writer.delete_from(0)
            raise
    if failure is not None:
        raise failure
    return left


class DocumentWriter:
    """Stores a batch's opened documents in a background thread while the next envelopes are
    read: file writes wait on the disk, which need not hold up the decryption. The batch asks
    for `first_failure()` before it writes its rows, which waits for every file asked so far,
    so a committed row always names a stored file. At most `WRITE_AHEAD_BYTES` of documents (at
    least one) wait to be written. Each file is tagged with its line's number in the batch, so
    what a failed line (and any line after it) stored can be deleted."""

    def __init__(self):
        self.waiting: deque[tuple[int, Storage, str, bytes]] = deque()
        self.waiting_bytes = 0
        self.writing = False
        self.names: list[tuple[int, Storage, str]] = []
        self.failures: list[tuple[int, BaseException]] = []
        self.changed = threading.Condition()
        self.closed = False
        self.line = 0  # the number in the batch of the line being read

    def __enter__(self) -> "DocumentWriter":
        self.thread = threading.Thread(target=self._run, name="opening-documents", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()
        self.thread.join()

    def write(self, storage: Storage, name: str, content: bytes) -> None:
        """Store `content` as `name`, for the current `line`."""
        line = self.line
        with self.changed:
            while self.waiting and self.waiting_bytes + len(content) > WRITE_AHEAD_BYTES:
                self.changed.wait()
            self.waiting.append((line, storage, name, content))
            self.waiting_bytes += len(content)
            self.names.append((line, storage, name))
            self.changed.notify_all()

    def first_failure(self) -> tuple[int, BaseException] | None:
        """Once every file asked for is written (or failed): the first line whose file failed, and why."""
        with self.changed:
            while self.waiting or self.writing:
                self.changed.wait()
            return min(self.failures, key=lambda failure: failure[0], default=None)

    def delete_from(self, line: int) -> None:
        """Delete every file stored for the batch's lines from `line` on (none is named by a row)."""
        self.first_failure()
        for tagged, storage, name in self.names:
            if tagged >= line:
                storage.delete(name)

    def _run(self) -> None:
        while True:
            with self.changed:
                while not self.waiting and not self.closed:
                    self.changed.wait()
                if not self.waiting:
                    return
                line, storage, name, content = self.waiting.popleft()
                self.writing = True
            try:
                if any(tagged == line for tagged, _error in self.failures):
                    continue  # the line is not written anyway: nothing more of it is kept
                if storage.save(name, ContentFile(content)) != name:
                    raise FileExistsError(f"{name} was taken while the opening wrote it")
            except BaseException as error:
                self.failures.append((line, error))
            finally:
                with self.changed:
                    self.waiting_bytes -= len(content)
                    self.writing = False
                    self.changed.notify_all()
                del content


def read_line(
    opening: Opening,
    position: int,
    bid: Bid,
    envelope: reading.Stored | None,
    key: unsealing.OpeningKey,
    writer: "DocumentWriter",
) -> LineRead:
    """Decrypt and check one bid's envelope (None if it has none of this round): its line and
    documents, written by the batch (the documents' files by `writer`, tagged with the line's
    number in the batch; the batch deletes them if the line is not written)."""
    digests = reading.receipt_digests(bid)
    found = reading.read(envelope, bid, name=opening.round, key=key, digests=digests, lot_numbers=set(bid.lots))
    content = {
        "supplier": {"id": bid.organisation_id, "name": bid.organisation.name},
        "received_at": receipts.utc_timestamp(bid.received_at),
        # Without a receipt that verifies, the line shows the digests as stored (one query, for
        # such a bid only).
        "digests": dict(sorted(digests.items())) or dict(Envelope.objects.filter(bid=bid).order_by("name").values_list("name", "sha256")),
    }
    if found.result == OpeningLine.Result.OPENED:
        if opening.holds_prices:
            content["lots"] = found.lots
        content["documents"] = [document.as_json() for document in found.documents]
    line = OpeningLine(
        opening=opening,
        bid=bid,
        position=position,
        result=found.result,
        reason_code=found.reason_code,
        reason=found.reason,
        read_at=timezone.now(),
        content=content,
    )
    documents = [_keep_document(bid, opening.round, number, document, writer) for number, document in enumerate(found.documents, start=1)]
    return LineRead(line, documents)


def _write_lines(opening: Opening, readings: list[LineRead]) -> None:
    """The batch's lines, documents, bid statuses, audit events and live events, in bulk."""
    if not readings:
        return
    OpeningLine.objects.bulk_create([line for line, _documents in readings])
    OpenedDocument.objects.bulk_create([document for _line, documents in readings for document in documents])
    if opening.is_first_round:
        outcomes: dict[tuple[str, str], list] = {}
        for line, _documents in readings:
            line.bid.open() if line.is_opened else line.bid.reject()
            line.bid.status_reason = line.reason
            outcomes.setdefault((line.bid.status, line.reason), []).append(line.bid.pk)
        # One update per outcome (opened, or rejected for a reason): the batch's bids are locked.
        for (status, reason), bid_ids in outcomes.items():
            Bid.objects.filter(pk__in=bid_ids).update(status=status, status_reason=reason)
    # One lock of the chain head for both, their rows and the head written in one round trip.
    with audit.holding_head() as head:
        _record_lines(opening, readings, head)


def _record_lines(opening: Opening, readings: list[LineRead], head: ChainHead) -> None:
    """Each line's audit event and live event, in the lines' order."""
    tender = opening.tender
    audit.record_many(
        [
            {
                "action": f"bid.{opening.round}_opened" if line.is_opened else f"bid.{opening.round}_rejected",
                "organisation": tender.buyer,
                "obj": line.bid,
                "payload": {"tender": tender.pk, "round": opening.round, "position": line.position, "reason_code": line.reason_code},
                "now": line.read_at,
            }
            for line, _documents in readings
        ],
        head=head,
    )
    # On `tender.<id>` only: the line is public, and the officers hear that subject too.
    live.publish_many(f"tender.{tender.pk}", [("opening.line", line_event(opening, line)) for line, _documents in readings], head=head)


def _keep_document(bid: Bid, envelope: str, position: int, document: reading.Document, writer: DocumentWriter) -> OpenedDocument:
    """The document's row, written with the batch; its file handed to `writer` for private storage."""
    kept = OpenedDocument(
        bid=bid,
        envelope=envelope,
        position=position,
        name=document.name,
        media_type=document.media_type,
        sha256=document.sha256,
        size=len(document.content),
    )
    storage = kept.file.storage
    name = kept.file.field.generate_filename(kept, f"{document.sha256[:16]}.bin")
    if storage.exists(name):
        # Left by a run killed before its batch committed (no line names it): write it afresh
        # under the same name rather than leave it orphaned beside a copy.
        storage.delete(name)
    kept.file.name = name
    writer.write(storage, name, document.content)
    return kept


def line_event(opening: Opening, line: OpeningLine) -> dict:
    return {"round": opening.round} | line.as_json()
