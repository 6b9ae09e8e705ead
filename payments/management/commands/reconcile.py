from django.core.management.base import BaseCommand, CommandError

from payments.reconcile import differences


class Command(BaseCommand):
    help = "Compare the ledger with the payments, and the payments with Stripe and the offline records; exit 1 listing every difference."

    def add_arguments(self, parser):
        parser.add_argument("--ledger-only", action="store_true", help="check the ledger against the payments without asking the gateway")

    def handle(self, *args, ledger_only: bool = False, **options):
        found = differences(gateways=not ledger_only)
        for difference in found:
            self.stdout.write(str(difference))
        if found:
            raise CommandError(f"{len(found)} difference{'s' if len(found) != 1 else ''} found", returncode=1)
        self.stdout.write("Reconciled: no difference.")
