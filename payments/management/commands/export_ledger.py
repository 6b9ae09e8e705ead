from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.ledger import export_csv


def _day(value: str) -> datetime:
    try:
        return timezone.make_aware(datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time.min))
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Write the posted ledger entries as CSV (to standard output, or --output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default: standard output)")
        parser.add_argument("--since", type=_day, help="first day included, YYYY-MM-DD (the server's time zone)")
        parser.add_argument("--until", type=_day, help="first day not included, YYYY-MM-DD")

    def handle(self, *args, output=None, since=None, until=None, **options):
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = export_csv(out, since=since, until=until)
            self.stderr.write(f"{count} entries written to {output}")
        else:
            export_csv(self.stdout, since=since, until=until)
