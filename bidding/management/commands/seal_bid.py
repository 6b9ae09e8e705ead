"""Seal a bid on this machine, as the browser does, and print the JSON body to POST.

    manage.py seal_bid --tender 12 --organisation 5 --price 1=1234.50 --price 2=980 \\
        --document offer.pdf --document technical:drawings.zip > bid.json
    curl -H "Authorization: Token th_…" -H "Content-Type: application/json" \\
        --data @bid.json http://127.0.0.1:8000/api/v1/tenders/12/bids/
"""

import json
import mimetypes
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bidding import sealing
from bidding.keys import public_envelopes
from marketplace.models import Organisation
from tenders.models import Tender


class Command(BaseCommand):
    help = "Seal a bid's envelopes to a tender's published keys and print the submission body (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--tender", type=int, required=True, help="tender id")
        parser.add_argument("--organisation", type=int, required=True, help="id of the bidding supplier organisation")
        parser.add_argument("--price", action="append", default=[], metavar="LOT=AMOUNT", help="a lot's price, e.g. 1=1234.50")
        parser.add_argument(
            "--document", action="append", default=[], metavar="[ENVELOPE:]PATH", help="a document; into every envelope unless named"
        )
        parser.add_argument("--output", type=Path, help="write the JSON here instead of standard output")

    def handle(self, *args, tender: int, organisation: int, price: list[str], document: list[str], output: Path | None, **options):
        found = Tender.objects.filter(pk=tender).first()
        if found is None or not found.is_public:
            raise CommandError(f"No published tender {tender}.")
        if not Organisation.objects.filter(pk=organisation, kind=Organisation.Kind.SUPPLIER).exists():
            raise CommandError(f"No supplier organisation {organisation}.")
        prices = self.prices(price)
        envelopes = public_envelopes(found)
        names = [e["name"] for e in envelopes]
        documents = self.documents(document, names)
        sealed = {}
        for envelope in envelopes:
            content = sealing.plaintext(
                tender_id=found.pk,
                envelope=envelope["name"],
                organisation_id=organisation,
                prices={} if envelope["name"] == "technical" else prices,
                currency=found.currency,
                documents=documents[envelope["name"]],
            )
            sealed[envelope["name"]] = sealing.seal(
                content, envelope["jwk"], kid=envelope["kid"], organisation_id=organisation, tender_id=found.pk
            )
        body = json.dumps({"envelopes": sealed, "lots": sorted(prices), "organisation": organisation})
        if output:
            output.write_text(body)
        else:
            self.stdout.write(body)

    def prices(self, values: list[str]) -> dict[int, Decimal]:
        prices = {}
        for value in values:
            lot, _, amount = value.partition("=")
            try:
                prices[int(lot)] = Decimal(amount).quantize(Decimal("0.01"))
            except (ValueError, InvalidOperation):
                raise CommandError(f"--price {value!r}: write LOT=AMOUNT, e.g. 1=1234.50") from None
        if not prices:
            raise CommandError("Give at least one --price LOT=AMOUNT.")
        return prices

    def documents(self, values: list[str], names: list[str]) -> dict[str, list[sealing.Document]]:
        documents: dict[str, list[sealing.Document]] = {name: [] for name in names}
        for value in values:
            envelope, _, path = value.rpartition(":") if value.split(":", 1)[0] in names else ("", "", value)
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"--document {value!r}: no such file")
            document = sealing.Document(file.name, mimetypes.guess_type(file.name)[0] or "application/octet-stream", file.read_bytes())
            for name in [envelope] if envelope else names:
                documents[name].append(document)
        return documents
