from django.core.management.base import BaseCommand, CommandError

from marketplace.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the audit chain from the first event and name the first one that does not hold."

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(f"audit chain broken at event #{result.broken_seq}: {result.reason}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.length} events, head {result.head_hash}"))
