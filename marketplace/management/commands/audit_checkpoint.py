"""Sign the audit chain's head now, as the periodic task does."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.audit import CheckpointRefused, take_checkpoint


class Command(BaseCommand):
    help = "Sign the audit chain's head as a checkpoint (published at /api/v1/audit/checkpoints/) and print it."

    def handle(self, *args, **options):
        try:
            checkpoint = take_checkpoint()
        except CheckpointRefused as exc:
            raise CommandError(f"no checkpoint taken: {exc}") from exc
        if checkpoint is None:
            self.stdout.write("the audit chain is empty: nothing to sign")
            return
        self.stdout.write(f"checkpoint {checkpoint.hash}@{checkpoint.length} at {checkpoint.signed_content()['at']}")
        self.stdout.write(checkpoint.jws)
