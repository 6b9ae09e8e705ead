"""The chain journal: acts that found the chain head busy reach the chain through the sequencer,
in order, exactly once, within a heartbeat even when nothing drained them after their commit."""

import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marketplace import audit, journal
from marketplace.models import AppendOnlyError, AuditCheckpoint, AuditEvent, ChainJournal, LiveEvent
from marketplace.tasks import heartbeat
from tests.marketplace.test_health import run_pending_heartbeat


def entries(n: int, prefix: str = "journal.test") -> list[dict]:
    return [{"action": f"{prefix}.{i}", "payload": {"i": i, "amount": "10.00"}} for i in range(n)]


class HeldHead:
    """Another transaction holding the chain head (PostgreSQL), which then ends without draining
    the journal: what a process killed between its commit and its drain leaves behind."""

    def __init__(self):
        self.locked, self.release, self.done = threading.Event(), threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute(
                    "INSERT INTO marketplace_chainhead (id, audit_length, audit_hash, live_seq) VALUES (1, 0, %s, 0) ON CONFLICT DO NOTHING",
                    ["0" * 64],
                )
                cursor.execute("BEGIN")
                cursor.execute("SELECT id FROM marketplace_chainhead WHERE id = 1 FOR UPDATE")
                self.locked.set()
                self.release.wait(30)
                cursor.execute("COMMIT")
        finally:
            connections["default"].close()
            self.done.set()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(30)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)


def journal_behind_a_busy_head(acts: list[list[dict]], live_events=()) -> None:
    """Commit each act while another transaction holds the head, so it goes to the journal.

    On SQLite, whose transactions exclude one another, the head is never busy: the rows are
    stored as a busy head makes `journal.append` store them."""
    if connection.vendor == "postgresql":
        with HeldHead():
            for act in acts:
                with transaction.atomic():
                    journal.append(act, list(live_events))
        return
    for act in acts:
        with transaction.atomic():
            ChainJournal.objects.create(
                created_at=timezone.now(),
                entries=[audit.journal_fields(**entry) for entry in act],
                live=[{"subject": e.subject, "kind": e.kind, "payload": e.payload, "refresh": e.refresh} for e in live_events],
            )


@pytest.mark.django_db
def test_a_free_head_puts_the_act_on_the_chain_at_once():
    with transaction.atomic():
        journal.append(entries(2), [journal.Live("public", "journal.tested", {"n": 1})])
    assert ChainJournal.objects.count() == 0
    assert list(AuditEvent.objects.values_list("action", "journal_id")) == [("journal.test.0", None), ("journal.test.1", None)]
    assert LiveEvent.objects.get().kind == "journal.tested"
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_rows_nobody_drained_are_appended_by_the_next_heartbeat_in_order(client):
    with transaction.atomic():
        audit.record("before.the.burst")
    journal_behind_a_busy_head([entries(2, "first"), entries(1, "second")], [journal.Live("public", "journal.tested", {"n": 1})])
    # Committed and acknowledged, but not in the chain: their drains found the head busy, and
    # the holder ended without looking again (as a killed process would).
    assert ChainJournal.objects.count() == 2
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["before.the.burst"]

    client.get("/healthz")  # queues a heartbeat, as after a restart
    run_pending_heartbeat()

    assert ChainJournal.objects.count() == 0
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["before.the.burst", "first.0", "first.1", "second.0"]
    journal_ids = list(AuditEvent.objects.exclude(journal_id=None).values_list("journal_id", flat=True))
    assert journal_ids[0] == journal_ids[1] < journal_ids[2]
    assert [e.seq for e in LiveEvent.objects.filter(kind="journal.tested")] == sorted(
        e.seq for e in LiveEvent.objects.filter(kind="journal.tested")
    )
    assert LiveEvent.objects.filter(kind="journal.tested").count() == 2
    result = audit.verify_chain()
    assert result.ok and result.length == 4
    assert DBTaskResult.objects.filter(task_path=heartbeat.module_path, status="SUCCESSFUL").count() == 1


@pytest.mark.django_db(transaction=True)
def test_verify_audit_and_a_checkpoint_drain_the_journal_first(capsys):
    journal_behind_a_busy_head([entries(3)])
    call_command("verify_audit")
    assert "audit chain intact: 3 events" in capsys.readouterr().out
    journal_behind_a_busy_head([entries(2, "later")])
    checkpoint = audit.take_checkpoint()
    assert checkpoint.length == 5 and ChainJournal.objects.count() == 0
    assert audit.verify_chain(audit.checkpoint_pins()[0]).ok
    assert AuditCheckpoint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_drain_after_commit_moves_what_a_busy_head_left():
    journal_behind_a_busy_head([entries(1, "waiting")])
    assert ChainJournal.objects.count() == 1
    # The next act that finds the head free appends its own events, and after its commit the
    # waiting ones: nothing is left for the heartbeat.
    with transaction.atomic():
        journal.append(entries(1, "next"))
    assert ChainJournal.objects.count() == 0
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["next.0", "waiting.0"]
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_two_sequencers_at_once_never_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("parallel sequencers need PostgreSQL (SQLite serialises every writer)")
    journal_behind_a_busy_head([entries(2, f"act{n}") for n in range(60)])
    barrier, errors, moved = threading.Barrier(4), [], []

    def sequencer() -> None:
        try:
            barrier.wait()
            moved.append(journal.drain())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sequencer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sum(moved) == 60
    result = audit.verify_chain()
    assert result.ok and result.length == 120
    assert AuditEvent.objects.values("journal_id").distinct().count() == 60


@pytest.mark.django_db(transaction=True)
def test_journal_rows_leave_only_into_the_chain():
    journal_behind_a_busy_head([entries(1)])
    row = ChainJournal.objects.get()
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        ChainJournal.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ChainJournal.objects.update(entries=[])
    # Raw SQL from the application's account too: the database refuses it.
    for statement in ["UPDATE marketplace_chainjournal SET entries = '[]'", "DELETE FROM marketplace_chainjournal"]:
        with (
            pytest.raises(DatabaseError, match="journal rows leave only into the audit chain"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert ChainJournal.objects.get().entries == row.entries
    assert journal.drain() == 1
    assert ChainJournal.objects.count() == 0 and AuditEvent.objects.get().journal_id == row.pk


@pytest.mark.django_db
def test_an_act_without_an_audit_event_or_with_an_unknown_refresh_is_refused():
    with pytest.raises(ValueError, match="at least one audit event"), transaction.atomic():
        journal.append([])
    with pytest.raises(ValueError, match="no live payload refresh"), transaction.atomic():
        journal.append(entries(1), [journal.Live("public", "x", {}, refresh="nothing.such")])
    with pytest.raises(ValueError, match="not a live subject"), transaction.atomic():
        journal.append(entries(1), [journal.Live("secret", "x", {})])
    assert AuditEvent.objects.count() == 0 and ChainJournal.objects.count() == 0
