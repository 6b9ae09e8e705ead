"""Where the opening gets its envelopes and keeps its documents: the stream from PostgreSQL on a
connection of its own, and the writer that stores the files while the next lines are read."""

import errno
import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.utils import timezone

from bidding import envelopes, opening, readout, tasks
from bidding.models import Envelope, Opening, OpeningLine
from marketplace.errors import StorageFull
from tenders.models import Tender
from tests.bidding import helpers
from tests.bidding.test_opening_resume import Interrupted, assert_read_exactly_once, die_after_reading, submit_bids
from tests.conftest import uses_postgres


def tender_with_bids(officer, count: int):
    deadline = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    bids = submit_bids(tender, count)
    return tender, bids, deadline


def stream_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "opening-envelopes"]


@pytest.mark.postgres
@pytest.mark.skipif(not uses_postgres(), reason="the stream reads on a connection of its own: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_the_stream_gives_each_bid_what_a_query_gives(officer):
    _tender, bids, _deadline = tender_with_bids(officer, 4)
    altered = Envelope.objects.get(bid=bids[1])
    Envelope.objects.filter(pk=altered.pk).update(jwe=altered.jwe[:-4] + "ÿÿÿÿ")  # not ASCII any more
    Envelope.objects.filter(bid=bids[2]).delete()
    wanted = [str(bid.pk) for bid in bids] + [str(uuid.uuid4())]
    by_query = envelopes.EnvelopesByQuery("bid")
    with envelopes.EnvelopeStream("bid", wanted) as stream:
        streamed = [stream.take(bid_id) for bid_id in wanted]
    assert streamed == [by_query.take(bid_id) for bid_id in wanted]
    assert streamed[0].sha256 == Envelope.objects.get(bid=bids[0]).sha256
    assert streamed[1].compact is None and streamed[2] is None and streamed[4] is None


@pytest.mark.postgres
@pytest.mark.skipif(not uses_postgres(), reason="the stream reads on a connection of its own: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_the_stream_skips_the_bids_read_meanwhile_and_holds_no_more_than_its_bound(officer, monkeypatch):
    _tender, bids, _deadline = tender_with_bids(officer, 5)
    size = Envelope.objects.get(bid=bids[0]).size
    monkeypatch.setattr(envelopes, "AHEAD_BYTES", 2 * size)
    wanted = [str(bid.pk) for bid in bids]
    with envelopes.EnvelopeStream("bid", wanted) as stream:
        assert stream.take(wanted[3]).sha256 == Envelope.objects.get(bid=bids[3]).sha256
        with stream.changed:
            assert stream.held_bytes <= 2 * size or len(stream.ready) == 1
        assert stream.take(wanted[4]).sha256 == Envelope.objects.get(bid=bids[4]).sha256
        with pytest.raises(LookupError):
            stream.take(wanted[0])  # asked out of order: it went by
    assert not stream_threads()


@pytest.mark.django_db(transaction=True)
def test_an_opening_outside_a_transaction_streams_on_postgresql_only(officer):
    source = envelopes.envelopes_for("bid", [])
    assert isinstance(source, envelopes.EnvelopeStream) == (connection.vendor == "postgresql")


@pytest.mark.postgres
@pytest.mark.skipif(not uses_postgres(), reason="the stream reads on a connection of its own: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_run_stopped_while_streaming_resumes_and_rejects_the_altered_envelope(officer, monkeypatch):
    tender, bids, deadline = tender_with_bids(officer, 6)
    altered = Envelope.objects.get(bid=bids[4])
    Envelope.objects.filter(pk=altered.pk).update(jwe="x" + altered.jwe[1:])
    read_line = die_after_reading(monkeypatch, 2)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        with pytest.raises(Interrupted):
            opening.open_tender(tender.pk)
        assert OpeningLine.objects.count() == 2 and not stream_threads()
        monkeypatch.setattr(readout, "read_line", read_line)
        tasks.sweep_openings.call()
    result = Opening.objects.get(tender=tender)
    assert [line["reason_code"] for line in result.record["lines"]] == ["", "", "", "", "digest_mismatch", ""]
    assert Tender.objects.get(pk=tender.pk).status == Tender.Status.OPENED


@pytest.mark.django_db(transaction=True)
def test_a_document_that_cannot_be_stored_ends_the_batch_before_its_line(officer, monkeypatch, settings):
    tender, bids, deadline = tender_with_bids(officer, 3)
    save, saves = FileSystemStorage._save, []  # under MediaStorage's own, which turns a full disk into StorageFull

    def full_on_the_second_file(self, name, content):
        saves.append(name)
        if len(saves) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full_on_the_second_file)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        with pytest.raises(StorageFull):
            opening.open_tender(tender.pk)
        assert OpeningLine.objects.count() == 1
        assert len(list((settings.MEDIA_ROOT / "bidding").rglob("*.bin"))) == 1  # the later lines' files are gone
        monkeypatch.setattr(FileSystemStorage, "_save", save)
        opening.open_tender(tender.pk)
    assert_read_exactly_once(tender, bids)
