from django.core.management.base import BaseCommand, CommandError

from marketplace.audit import Pin, checkpoint_pins, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit chain from the first event and name the first one that does not hold; check it "
        "against every stored checkpoint and every head given with --expect (kept outside the database)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="HASH@LENGTH",
            help="a head noted earlier (a checkpoint's hash and length); the event at LENGTH must have HASH. Repeatable.",
        )

    def handle(self, *args, **options):
        try:
            expected = [Pin.parse(text) for text in options["expect"]]
        except ValueError as exc:
            raise CommandError(f"--expect: {exc}") from exc
        stored, problems = checkpoint_pins()
        if problems:
            raise CommandError("audit checkpoint not valid: " + "; ".join(problems))
        result = verify_chain([*stored, *expected])
        if not result.ok:
            raise CommandError(f"audit chain broken at event #{result.broken_seq}: {result.reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {result.length} events, head {result.head_hash}; "
                f"matches {len(stored)} stored checkpoints and {len(expected)} expected heads"
            )
        )
