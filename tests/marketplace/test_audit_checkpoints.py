"""Signed checkpoints of the audit chain: a rewrite by someone holding the database is detected
by whoever kept a checkpoint taken before it."""

import base64
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from marketplace import audit, signing
from marketplace.models import AuditCheckpoint, AuditEvent
from marketplace.models.audit import GENESIS_HASH
from tests.marketplace.test_audit import raw_sql, write_events

pytestmark = pytest.mark.django_db


def kept(checkpoint: AuditCheckpoint) -> str:
    """What a verifier noted outside the database."""
    return f"{checkpoint.hash}@{checkpoint.length}"


def verify(*expect: str) -> None:
    call_command("verify_audit", *[f"--expect={pin}" for pin in expect])


def rewrite_from(seq: int, payload: str) -> None:
    """Edit event `seq` and recompute every later link and the head, as an attacker with the
    database would: each row verifies on its own."""
    raw_sql("UPDATE marketplace_auditevent SET payload = %s WHERE seq = %s", [payload, seq])
    prev_hash = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        new_hash = audit.link_hash(prev_hash, event.canonical_fields())
        raw_sql("UPDATE marketplace_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s", [prev_hash, "r" + new_hash[1:], event.seq])
        prev_hash = new_hash
    # In two steps: `hash` is unique and a rewritten hash may equal an old one further on.
    raw_sql("UPDATE marketplace_auditevent SET hash = %s WHERE seq = %s", [prev_hash, AuditEvent.objects.order_by("-seq").first().seq])
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        if event.hash.startswith("r"):
            raw_sql(
                "UPDATE marketplace_auditevent SET hash = %s WHERE seq = %s",
                [audit.link_hash(event.prev_hash, event.canonical_fields()), event.seq],
            )
    raw_sql("UPDATE marketplace_chainhead SET audit_hash = %s WHERE id = 1", [prev_hash])


def truncate_to(length: int) -> None:
    """Delete the last events and move the head back to the one before them."""
    raw_sql("DELETE FROM marketplace_auditevent WHERE seq > %s", [length])
    last = AuditEvent.objects.get(seq=length)
    raw_sql("UPDATE marketplace_chainhead SET audit_length = %s, audit_hash = %s WHERE id = 1", [length, last.hash])


def checkpoint() -> AuditCheckpoint:
    with transaction.atomic():
        return audit.take_checkpoint()


def test_a_checkpoint_signs_the_head():
    events = write_events(3)
    taken = checkpoint()
    assert (taken.length, taken.hash) == (3, events[-1].hash)
    verified = signing.verify(taken.jws)
    assert verified.valid and verified.payload == {"hash": events[-1].hash, "length": 3, "at": taken.signed_content()["at"]}
    assert verified.kid == signing.signing_key()["kid"]


def test_no_new_checkpoint_while_the_head_has_not_moved():
    assert checkpoint() is None
    write_events(2)
    first = checkpoint()
    assert checkpoint() == first and AuditCheckpoint.objects.count() == 1
    write_events(1)
    assert checkpoint().length == 3 and AuditCheckpoint.objects.count() == 2


def test_the_command_takes_a_checkpoint(capsys):
    write_events(2)
    call_command("audit_checkpoint")
    taken = AuditCheckpoint.objects.get()
    assert kept(taken) in capsys.readouterr().out


def test_an_intact_chain_verifies_against_checkpoints_and_expected_heads(capsys):
    write_events(2)
    first = checkpoint()
    write_events(2)
    second = checkpoint()
    write_events(1)
    verify(kept(first), kept(second))
    assert "matches 2 stored checkpoints and 2 kept outside" in capsys.readouterr().out


def test_a_deleted_tail_with_the_head_moved_back_is_detected_only_with_a_checkpoint():
    write_events(5)
    before = checkpoint()
    truncate_to(3)
    assert audit.verify_chain().ok  # what verify_audit said before checkpoints: "intact"
    with pytest.raises(CommandError, match="covers 5 events but only 3 are stored"):
        verify()  # the stored checkpoint
    raw_sql("DELETE FROM marketplace_auditcheckpoint", [])  # the attacker removes it too
    verify()
    with pytest.raises(CommandError, match=f"expected head {before.hash}@5 covers 5 events but only 3"):
        verify(kept(before))  # the copy kept outside


def test_an_edited_row_with_every_later_hash_recomputed_is_detected_only_with_a_checkpoint():
    write_events(5)
    before = checkpoint()
    rewrite_from(2, '{"i": 1, "amount": "99999.00"}')
    assert AuditEvent.objects.get(seq=2).payload["amount"] == "99999.00"
    assert audit.verify_chain().ok  # every row and the head agree: the old check saw nothing
    with pytest.raises(CommandError, match=r"event #5 has hash .* not that of the checkpoint .*@5: the chain up to #5 was rewritten"):
        verify()
    raw_sql("DELETE FROM marketplace_auditcheckpoint", [])
    verify()
    with pytest.raises(CommandError, match=r"event #5 .* not that of the expected head"):
        verify(kept(before))


def test_checkpoints_kept_as_fetched_detect_a_rewrite(public, tmp_path):
    write_events(4)
    checkpoint()
    page = tmp_path / "checkpoints.json"
    page.write_bytes(public.get("/api/v1/audit/checkpoints/").content)
    jws = AuditCheckpoint.objects.get().jws
    call_command("verify_audit", f"--checkpoints={page}", f"--expect={jws}")
    truncate_to(2)
    raw_sql("DELETE FROM marketplace_auditcheckpoint", [])
    verify()
    with pytest.raises(CommandError, match=r"kept checkpoint .*@4 covers 4 events but only 2"):
        call_command("verify_audit", f"--checkpoints={page}")
    with pytest.raises(CommandError, match=r"kept checkpoint .*@4 covers 4 events"):
        verify(jws)


def test_a_kept_checkpoint_that_is_not_one_is_refused(tmp_path):
    write_events(1)
    with pytest.raises(CommandError, match="not an audit checkpoint"):
        verify(signing.sign({"type": "bid"}))
    with pytest.raises(CommandError, match="does not verify"):
        verify(checkpoint().jws[:-4] + "AAAA")
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps([{"hash": "a" * 64, "length": 1, "jws": AuditCheckpoint.objects.get().jws}]))
    with pytest.raises(CommandError, match="differs from what its jws signs"):
        call_command("verify_audit", f"--checkpoints={forged}")
    forged.write_text("{")
    with pytest.raises(CommandError, match="cannot read it as JSON"):
        call_command("verify_audit", f"--checkpoints={forged}")


def test_a_rewritten_stored_checkpoint_fails_its_signature():
    write_events(3)
    taken = checkpoint()
    truncate_to(2)
    # The attacker also moves the stored checkpoint back; it cannot re-sign it without the key.
    raw_sql("UPDATE marketplace_auditcheckpoint SET length = 2, hash = %s", [AuditEvent.objects.get(seq=2).hash])
    with pytest.raises(CommandError, match="stored fields differ from what its signature covers"):
        verify()
    raw_sql("UPDATE marketplace_auditcheckpoint SET jws = %s", [taken.jws[:-4] + "AAAA"])
    with pytest.raises(CommandError, match="signature does not match"):
        verify()


def test_a_checkpoint_signed_by_a_retired_key_still_verifies(settings):
    write_events(2)
    checkpoint()
    retired = signing.public_key_base64()
    settings.SIGNING_KEY, settings.SIGNING_KEYS_RETIRED = bytes(range(32)), [base64.b64decode(retired)]
    verify()
    settings.SIGNING_KEYS_RETIRED = []
    with pytest.raises(CommandError, match="Not signed with a key of this platform"):
        verify()


@pytest.mark.parametrize("text", ["abc@3", f"{'a' * 64}", f"{'g' * 64}@3", f"{'a' * 64}@x"])
def test_a_malformed_expected_head_is_refused(text):
    with pytest.raises(CommandError, match=r"--expect: .* is not HASH@LENGTH"):
        verify(text)


def test_an_expected_head_of_another_chain_is_refused():
    write_events(2)
    with pytest.raises(CommandError, match="event #2 has hash"):
        verify(f"{'a' * 64}@2")


def test_a_chain_that_does_not_extend_the_last_checkpoint_is_never_signed():
    write_events(3)
    checkpoint()
    rewrite_from(2, '{"i": 1, "amount": "1.00"}')
    write_events(1)
    with pytest.raises(audit.CheckpointRefused, match="does not extend"):
        checkpoint()
    assert AuditCheckpoint.objects.count() == 1


def test_checkpoints_are_published(public):
    write_events(1)
    first = checkpoint()
    write_events(1)
    second = checkpoint()
    listed = public.get("/api/v1/audit/checkpoints/").json()
    assert listed["count"] == 2
    assert listed["results"] == [
        {"length": c.length, "hash": c.hash, "at": c.signed_content()["at"], "jws": c.jws} for c in [first, second]
    ]
    after = public.get("/api/v1/audit/checkpoints/", {"after": 1}).json()
    assert [c["length"] for c in after["results"]] == [2]
    head = public.get("/api/v1/audit/head").json()
    assert head == {"hash": second.hash, "length": 2, "checkpoint": {"hash": second.hash, "length": 2, "jws": second.jws}}


def test_a_bad_after_is_a_clear_error(public):
    response = public.get("/api/v1/audit/checkpoints/", {"after": "x"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "after"


def test_checkpoints_are_in_the_schema(public):
    schema = public.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/audit/checkpoints/" in schema["paths"]


def test_the_checkpoint_task_signs_and_queues_its_next_run(settings):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from marketplace.tasks import audit_checkpoint, ensure_audit_checkpoint

    settings.AUDIT_CHECKPOINT_SECONDS = 300
    write_events(2)
    assert audit_checkpoint.call() == 2
    assert AuditCheckpoint.objects.get().length == 2
    waiting = DBTaskResult.objects.filter(task_path=audit_checkpoint.module_path, status=TaskResultStatus.READY)
    next_run = waiting.get()
    assert 299 <= (next_run.run_after - next_run.enqueued_at).total_seconds() <= 301
    ensure_audit_checkpoint()  # what every heartbeat does: the chain is alive, nothing is added
    assert waiting.count() == 1
