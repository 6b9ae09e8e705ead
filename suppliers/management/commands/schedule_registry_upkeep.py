from django.core.management.base import BaseCommand

from suppliers.tasks import ensure_registry_upkeep, upkeep_is_pending


class Command(BaseCommand):
    help = "Queue the registry's daily upkeep (licence expiry warnings, ending restrictions) unless it is queued. Safe to run again."

    def handle(self, *args, **options):
        already = upkeep_is_pending()
        ensure_registry_upkeep()
        self.stdout.write("registry upkeep was already queued" if already else "registry upkeep queued; it then runs every day")
