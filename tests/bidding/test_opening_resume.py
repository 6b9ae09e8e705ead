"""The opening is idempotent: two workers at once, a retry, or a run stopped half-way leave each
bid read exactly once and the record complete."""

import hashlib
import io
import os
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bidding import actions, opening, readout, sealing, tasks
from bidding.models import Bid, OpenedDocument, Opening, OpeningLine
from marketplace import signing
from marketplace.models import AuditEvent, LiveEvent, Role
from tenders.models import Tender
from tests.bidding import helpers
from tests.conftest import uses_postgres
from tests.factories import make_member, make_supplier_organisation

BIDS = 6


def submit_bids(tender: Tender, count: int = BIDS) -> list[Bid]:
    bids = []
    for n in range(count):
        firm = make_supplier_organisation(name=f"Bidder {n}", code=f"bidder{n}")
        helpers.make_supplier(firm)
        person = make_member(firm, Role.BIDDER, f"bidder@firm{n}.test")
        bids.append(actions.submit_bid(person, firm, tender, helpers.seal_bid(tender, firm, prices={1: f"{1000 + n}.00"})))
    return bids


def assert_read_exactly_once(tender: Tender, bids: list[Bid]) -> Opening:
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED
    result = Opening.objects.get(tender=tender)
    assert result.status == Opening.Status.COMPLETE
    lines = list(OpeningLine.objects.filter(opening=result).order_by("position"))
    assert [line.bid_id for line in lines] == [bid.pk for bid in bids]
    assert [line.position for line in lines] == list(range(1, len(bids) + 1))
    assert AuditEvent.objects.filter(action="bid.bid_opened").count() == len(bids)
    assert AuditEvent.objects.filter(action="opening.completed").count() == 1
    assert OpenedDocument.objects.count() == len(bids)
    assert LiveEvent.objects.filter(subject=f"tender.{tender.pk}", kind="opening.line").count() == len(bids)
    assert signing.verify(result.signature).payload == result.record and len(result.record["lines"]) == len(bids)
    return result


class Interrupted(Exception):
    pass


def die_after_reading(monkeypatch, lines: int):
    """The worker dies (`Interrupted`) as it starts reading line `lines + 1`; returns the real
    `readout.read_line`, to put back for the resumed run."""
    read_line, calls = readout.read_line, []

    def dying(*args, **kwargs):
        if len(calls) == lines:
            raise Interrupted("the worker died")
        calls.append(args)
        return read_line(*args, **kwargs)

    monkeypatch.setattr(readout, "read_line", dying)
    return read_line


@pytest.mark.django_db
def test_a_run_stopped_after_n_lines_resumes_where_it_stopped(tender, deadline, monkeypatch):
    bids = submit_bids(tender)
    read_line = die_after_reading(monkeypatch, 2)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        with pytest.raises(Interrupted):
            opening.open_tender(tender.pk)
        assert OpeningLine.objects.count() == 2 and Opening.objects.get().status == Opening.Status.RUNNING
        assert Tender.objects.get(pk=tender.pk).status == Tender.Status.OPENING
        monkeypatch.setattr(readout, "read_line", read_line)
        tasks.sweep_openings.call()
    assert_read_exactly_once(tender, bids)


@pytest.mark.django_db
def test_a_failure_inside_a_line_leaves_no_trace_of_it(tender, deadline, monkeypatch, settings):
    bids = submit_bids(tender, 3)
    keep_document = readout._keep_document
    kept = []

    def fail_on_the_second_document(*args):
        if len(kept) == 1:
            raise Interrupted("the disk is full")
        kept.append(keep_document(*args))
        return kept[-1]

    monkeypatch.setattr(readout, "_keep_document", fail_on_the_second_document)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        with pytest.raises(Interrupted):
            opening.open_tender(tender.pk)
        assert OpeningLine.objects.count() == 1 and Bid.objects.get(pk=bids[1].pk).status == Bid.Status.SUBMITTED
        stored = list((settings.MEDIA_ROOT / "bidding").rglob("*.bin"))
        assert len(stored) == 1  # the rolled-back line's file was removed
        monkeypatch.setattr(readout, "_keep_document", keep_document)
        opening.open_tender(tender.pk)
    assert_read_exactly_once(tender, bids)


@pytest.mark.django_db
def test_a_file_left_by_a_killed_worker_is_written_afresh_not_orphaned(tender, deadline, settings):
    """A worker killed between storing a document and committing its batch leaves the file
    behind; the resumed run writes it again under the same name."""
    [bid] = submit_bids(tender, 1)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        helpers.close(tender)
        name = f"bidding/{tender.pk}/bids/{bid.pk}/bid/001-{hashlib.sha256(b'We offer the works as specified.').hexdigest()[:16]}.bin"
        leftover = settings.MEDIA_ROOT / name
        leftover.parent.mkdir(parents=True)
        leftover.write_bytes(b"half-written")
        opening.open_tender(tender.pk)
    [document] = OpenedDocument.objects.all()
    assert document.file.name == name and document.file.read() == b"We offer the works as specified."
    assert [path.name for path in leftover.parent.iterdir()] == [leftover.name]


def open_in_thread(tender_id: int, start: threading.Barrier, errors: list) -> None:
    start.wait()
    try:
        opening.open_tender(tender_id)
    except Exception as error:  # reported by the test
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.skipif(not uses_postgres(), reason="row locks between connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_read_each_bid_once(officer):
    deadline = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    bids = submit_bids(tender, 12)
    errors: list = []
    start = threading.Barrier(4)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        workers = [threading.Thread(target=open_in_thread, args=(tender.pk, start, errors)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    assert not errors
    assert AuditEvent.objects.filter(action="tender.closed").count() == 1
    assert AuditEvent.objects.filter(action="tender.opening_started").count() == 1
    assert_read_exactly_once(tender, bids)


def wait_for_status(tender: Tender, status: str, timeout: float = 60) -> Tender:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        tender.refresh_from_db()
        if tender.status == status:
            return tender
        time.sleep(0.2)
    raise TimeoutError(f"tender still {tender.status}")


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_two_db_workers_open_the_tender_their_closing_queued(officer, tmp_path):
    from tests.processes import Processes

    deadline = timezone.now() + timedelta(seconds=2)
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
        bids = submit_bids(tender, 4)
    with Processes(helpers.process_environment(tmp_path)) as platform:
        platform.worker()
        platform.worker()
        wait_for_status(tender, Tender.Status.OPENED)
    result = assert_read_exactly_once(tender, bids)
    assert result.started_at >= deadline


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_half_way_is_resumed_by_the_sweep(officer, tmp_path):
    """SIGKILL, not an exception: the killed worker's task never finishes; the opening sweep,
    queued by the closing, finds the round half-read and completes it. Afterwards each bid was
    read once, the signed record lists every one, the file store holds exactly the opened
    documents (none left half-written or orphaned by the killed worker) and the audit chain
    verifies."""
    import signal

    from django.core.management import call_command

    from tests.processes import Processes

    deadline = timezone.now() + timedelta(seconds=2)
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, max_envelope_bytes=8 * 1024 * 1024), officer)
        # Three batches at the least (a batch holds at least `BATCH_MIN_LINES`), so that a worker
        # killed after the first commit has lines left to read however fast it reads.
        bids = submit_bids_with_large_documents(tender, 3 * readout.BATCH_MIN_LINES)
    with Processes(helpers.process_environment(tmp_path, OPENING_SWEEP_SECONDS="5")) as platform:
        platform.worker()
        first_worker = platform.started[-1]
        wait_until(lambda: OpeningLine.objects.count() >= 2)
        os.killpg(first_worker.pid, signal.SIGKILL)
        first_worker.wait()
        stopped_at = OpeningLine.objects.count()
        assert stopped_at < len(bids), "the worker finished before it was killed: give it more to read"
        assert Opening.objects.get().status == Opening.Status.RUNNING
        platform.worker()
        wait_for_status(tender, Tender.Status.OPENED, timeout=120)
    assert_read_exactly_once(tender, bids)
    documents = {document.file.name: document.sha256 for document in OpenedDocument.objects.all()}
    media = tmp_path / "media"
    stored = {str(path.relative_to(media)): path for path in (media / "bidding").rglob("*") if path.is_file()}
    assert set(stored) == set(documents)
    assert all(hashlib.sha256(stored[name].read_bytes()).hexdigest() == digest for name, digest in documents.items())
    call_command("verify_audit", stdout=io.StringIO())


def submit_bids_with_large_documents(tender: Tender, count: int) -> list[Bid]:
    bids = []
    for n in range(count):
        firm = make_supplier_organisation(name=f"Bidder {n}", code=f"bidder{n}")
        helpers.make_supplier(firm)
        person = make_member(firm, Role.BIDDER, f"bidder@firm{n}.test")
        documents = [sealing.Document("drawings.bin", "application/octet-stream", os.urandom(1024 * 1024))]
        envelopes = helpers.seal_bid(tender, firm, documents=documents)
        bids.append(actions.submit_bid(person, firm, tender, envelopes))
    return bids


def wait_until(condition, timeout: float = 60) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError("the condition never held")
