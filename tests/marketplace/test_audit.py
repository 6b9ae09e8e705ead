import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from marketplace import audit
from marketplace.models import AppendOnlyError, AuditCheckpoint, AuditEvent, ChainHead


def write_events(n: int, prefix: str = "test.event") -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(audit.record(prefix, payload={"i": i, "amount": "10.00"}))
    return events


def raw_sql(sql: str, params: list) -> None:
    """Tamper as someone with direct database access would: past the append-only triggers
    (PostgreSQL: as a superuser skipping triggers; SQLite: dropping them, then putting them back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
            return
        triggers = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute(sql, params)
        for _, create in triggers:
            cursor.execute(create)


@pytest.mark.django_db
def test_events_link_into_a_chain_that_verifies():
    events = write_events(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    result = audit.verify_chain()
    assert result.ok and result.length == 5 and result.head_hash == events[-1].hash


@pytest.mark.django_db
def test_orm_refuses_to_update_or_delete_events():
    event = write_events(1)[0]
    event.action = "something.else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside a transaction"):
        audit.record("loose.event")


@pytest.mark.django_db
def test_verify_names_an_edited_row():
    write_events(4)
    raw_sql("UPDATE marketplace_auditevent SET payload = %s WHERE seq = 3", ['{"i": 99, "amount": "10.00"}'])
    result = audit.verify_chain()
    assert not result.ok and result.broken_seq == 3 and "altered" in result.reason
    with pytest.raises(CommandError, match="broken at event #3"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_names_a_deleted_row():
    write_events(4)
    raw_sql("DELETE FROM marketplace_auditevent WHERE seq = %s", [2])
    result = audit.verify_chain()
    assert not result.ok and result.broken_seq == 2 and "missing" in result.reason


@pytest.mark.django_db
def test_verify_names_a_deleted_tail():
    write_events(4)
    raw_sql("DELETE FROM marketplace_auditevent WHERE seq = %s", [4])
    result = audit.verify_chain()
    assert not result.ok and result.broken_seq == 4


@pytest.mark.django_db
def test_verify_names_reordered_rows():
    write_events(4)
    # Swap the numbers of events 2 and 3 (through a free number, the column is unique).
    raw_sql("UPDATE marketplace_auditevent SET seq = 1000 WHERE seq = %s", [2])
    raw_sql("UPDATE marketplace_auditevent SET seq = 2 WHERE seq = %s", [3])
    raw_sql("UPDATE marketplace_auditevent SET seq = 3 WHERE seq = %s", [1000])
    result = audit.verify_chain()
    assert not result.ok and result.broken_seq == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE marketplace_auditevent SET action = 'x'",
        "DELETE FROM marketplace_auditevent",
        "UPDATE marketplace_auditcheckpoint SET hash = 'x'",
        "DELETE FROM marketplace_auditcheckpoint",
    ],
)
def test_the_database_itself_refuses_updates_and_deletes(statement):
    """On SQLite as on PostgreSQL, raw SQL from the application's account is refused too."""
    write_events(1)
    with transaction.atomic():
        audit.take_checkpoint()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.get().action == "test.event"
    assert AuditCheckpoint.objects.count() == 1
    assert audit.verify_chain(audit.checkpoint_pins()[0]).ok


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_leave_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite serialises every writer)")
    writers, per_writer = 8, 25
    barrier = threading.Barrier(writers)
    errors = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            write_events(per_writer, prefix=f"writer.{n}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = audit.verify_chain()
    assert result.ok and result.length == writers * per_writer
    assert ChainHead.objects.get().audit_length == writers * per_writer


@pytest.mark.django_db
def test_audit_head_is_public(public):
    events = write_events(3)
    response = public.get("/api/v1/audit/head")
    assert response.status_code == 200
    assert response.json() == {"hash": events[-1].hash, "length": 3, "checkpoint": None}
