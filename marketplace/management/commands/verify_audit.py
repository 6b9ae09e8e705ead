import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketplace import journal
from marketplace.audit import Pin, checkpoint_pins, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit chain from the first event and name the first one that does not hold; check it "
        "against every stored checkpoint and every head or checkpoint kept outside the database (--expect, --checkpoints)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="HASH@LENGTH",
            help="a head noted earlier (a checkpoint's hash and length), or a checkpoint's JWS; the event at LENGTH must have HASH. Repeatable.",
        )
        parser.add_argument(
            "--checkpoints",
            action="append",
            default=[],
            type=Path,
            metavar="FILE",
            help="a JSON file of kept checkpoints: a page of /api/v1/audit/checkpoints/, or a list of its results. Repeatable.",
        )

    def handle(self, *args, **options):
        try:
            expected = [Pin.parse(text) for text in options["expect"]]
        except ValueError as exc:
            raise CommandError(f"--expect: {exc}") from exc
        for path in options["checkpoints"]:
            expected += kept_checkpoints(path)
        journal.drain()  # every acknowledged act, even one whose events still wait in the journal
        stored, problems = checkpoint_pins()
        if problems:
            raise CommandError("audit checkpoint not valid: " + "; ".join(problems))
        result = verify_chain([*stored, *expected])
        if not result.ok:
            raise CommandError(f"audit chain broken at event #{result.broken_seq}: {result.reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {result.length} events, head {result.head_hash}; "
                f"matches {len(stored)} stored checkpoints and {len(expected)} kept outside"
            )
        )


def kept_checkpoints(path: Path) -> list[Pin]:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"--checkpoints {path}: cannot read it as JSON ({exc})") from exc
    kept = kept.get("results") if isinstance(kept, dict) else kept
    if not isinstance(kept, list) or not all(isinstance(item, dict) and isinstance(item.get("jws"), str) for item in kept):
        raise CommandError(f"--checkpoints {path}: not a list of checkpoints, each with its jws")
    pins = []
    for item in kept:
        try:
            pin = Pin.from_jws(item["jws"])
        except ValueError as exc:
            raise CommandError(f"--checkpoints {path}: {exc}") from exc
        if (item.get("hash", pin.hash), item.get("length", pin.length)) != (pin.hash, pin.length):
            raise CommandError(f"--checkpoints {path}: {item.get('hash')}@{item.get('length')} differs from what its jws signs")
        pins.append(pin)
    return pins
