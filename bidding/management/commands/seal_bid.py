"""Seal a bid on this machine, as the browser does, and print the JSON body to POST.

    manage.py seal_bid --tender 12 --organisation 5 --price 1=1234.50 --price 2=980 \\
        --document offer.pdf --document technical:drawings.zip --keep-keys bid.keys > bid.json
    manage.py seal_bid --tender 12 --organisation 5 --check bid.json --keys bid.keys
    curl -H "Authorization: Token th_…" -H "Content-Type: application/json" \\
        --data @bid.json http://127.0.0.1:8000/api/v1/tenders/12/bids/

`--keep-keys` writes each envelope's ephemeral private key (`bidding.selfcheck`); `--check`
opens the envelopes with them and runs the opening's own checks, before the deadline.
"""

import json
import mimetypes
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bidding import reading, sealing, selfcheck
from bidding.keys import public_envelopes
from marketplace.errors import ActionError
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
        parser.add_argument(
            "--keep-keys", type=Path, metavar="PATH", help="also write each envelope's ephemeral private key here (keep it private)"
        )
        parser.add_argument("--check", type=Path, metavar="BODY", help="check a sealed body (JSON) instead of sealing one")
        parser.add_argument("--keys", type=Path, metavar="PATH", help="with --check: the keys written by --keep-keys")

    def handle(self, *args, tender: int, organisation: int, price: list[str], document: list[str], output: Path | None, **options):
        found = Tender.objects.filter(pk=tender).first()
        if found is None or not found.is_public:
            raise CommandError(f"No published tender {tender}.")
        if not Organisation.objects.filter(pk=organisation, kind=Organisation.Kind.SUPPLIER).exists():
            raise CommandError(f"No supplier organisation {organisation}.")
        if options["check"]:
            return self.check(found, organisation, options["check"], options["keys"])
        prices = self.prices(price)
        envelopes = public_envelopes(found)
        names = [e["name"] for e in envelopes]
        documents = self.documents(document, names)
        sealed, kept = {}, {}
        for envelope in envelopes:
            content = sealing.plaintext(
                tender_id=found.pk,
                envelope=envelope["name"],
                organisation_id=organisation,
                prices={} if envelope["name"] == "technical" else prices,
                currency=found.currency,
                documents=documents[envelope["name"]],
            )
            sealed[envelope["name"]], kept[envelope["name"]] = selfcheck.seal_keeping(
                content, envelope["jwk"], kid=envelope["kid"], organisation_id=organisation, tender_id=found.pk
            )
        if options["keep_keys"]:
            descriptor = os.open(options["keep_keys"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as keys_file:
                json.dump({"tender": found.pk, "organisation": organisation, "ephemeral_keys": kept}, keys_file)
        body = json.dumps({"envelopes": sealed, "lots": sorted(prices), "organisation": organisation})
        if output:
            output.write_text(body)
        else:
            self.stdout.write(body)

    def check(self, tender: Tender, organisation: int, body_path: Path, keys_path: Path | None) -> None:
        """Open each envelope of the body with its kept key and run the opening's checks on it."""
        if keys_path is None:
            raise CommandError("--check needs --keys, the file --keep-keys wrote when the bid was sealed.")
        try:
            body = json.loads(body_path.read_text())
            kept = json.loads(keys_path.read_text())["ephemeral_keys"]
            sealed, lots = body["envelopes"], set(body["lots"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandError(f"Cannot read the body or the keys: {error}") from None
        failures = []
        for envelope in public_envelopes(tender):
            name = envelope["name"]
            try:
                compact, key = sealed[name], kept[name]
            except (KeyError, TypeError):
                failures.append(f"{name}: the body or the keys have no such envelope")
                continue
            try:
                # What the platform checks when it receives the bid, then what the opening does.
                sealing.inspect(
                    name,
                    compact,
                    kid=envelope["kid"],
                    organisation_id=organisation,
                    tender_id=tender.pk,
                    max_bytes=tender.max_envelope_bytes,
                )
                plaintext = selfcheck.open_as_sealer(compact, key, envelope["jwk"])
            except ActionError as refusal:
                failures.append(f"{name}: {refusal.message}")
                continue
            except selfcheck.NotOpened as error:
                failures.append(f"{name}: {error}")
                continue
            found = reading.check(
                plaintext, tender_id=tender.pk, organisation_id=organisation, name=name, currency=tender.currency, lot_numbers=lots
            )
            if found.reason_code:
                failures.append(f"{name}: {found.reason}")
            else:
                self.stdout.write(
                    f"{name}: opens; {len(found.lots)} price(s), {len(found.documents)} document(s) — {sealing.digest(compact)}"
                )
        if failures:
            raise CommandError("The envelopes would be rejected at the opening:\n" + "\n".join(failures))
        self.stdout.write("Every envelope opens with its kept key and passes the opening's checks.")

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
