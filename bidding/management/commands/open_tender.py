"""Open a tender now (as the deadline task does), or resume an opening left half-read, and print
its record line by line.

    manage.py open_tender 12
"""

from django.core.management.base import BaseCommand, CommandError

from bidding import opened, opening
from tenders.models import Tender


class Command(BaseCommand):
    help = "Close (if due) and open a tender past its deadline, or resume its opening; print the opening record."

    def add_arguments(self, parser):
        parser.add_argument("tender", type=int, help="tender id")

    def handle(self, *args, tender: int, **options):
        found = Tender.objects.filter(pk=tender).first()
        if found is None or not found.is_public:
            raise CommandError(f"No published tender {tender}.")
        for started in found.openings.filter(status="running"):
            opening.run_round(started.pk)
        if opening.open_tender(tender) is None:
            raise CommandError(f"Tender {tender} is {found.get_status_display().lower()}: nothing to open (is its deadline past?).")
        record = opened.opening_record(Tender.objects.get(pk=tender))
        self.stdout.write(f"{record['reference']}: {record['status']}")
        for round in record["rounds"]:
            self.stdout.write(f"  {round['round']}: {round['status']}, {round['valid']} opened, {round['rejected']} rejected")
            if round["custodians"] and round["status"] == "waiting":
                presence = round["custodians"]
                self.stdout.write(f"    waiting: {presence['present']} of {presence['needed']} custodians present")
            for line in round["lines"]:
                prices = ", ".join(f"lot {p['lot']} {p['price']['amount']} {p['price']['currency']}" for p in line.get("lots", []))
                outcome = line["reason_code"] or prices or "opened"
                self.stdout.write(f"    {line['position']:>3}. {line['supplier']['name']} ({line['received_at']}): {outcome}")
