"""Check the signatures of a contract PDF against the platform root, as the public endpoint does."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contracts import signatures
from marketplace.errors import ActionError


class Command(BaseCommand):
    help = "Check every signature of a contract PDF (and optionally a detached .p7s over it) against the platform's root."

    def add_arguments(self, parser):
        parser.add_argument("document", type=Path)
        parser.add_argument("--signature", type=Path, help="a detached CMS signature (.p7s) over the same PDF")

    def handle(self, *args, document: Path, signature: Path | None, **options):
        pdf = document.read_bytes()
        try:
            result = signatures.verify_pdf(pdf)
            detached = signatures.verify_detached(pdf, signature.read_bytes()) if signature else None
        except ActionError as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"{document}: {result.size} bytes, SHA-256 {result.sha256}")
        for check in result.signatures:
            who = f"{check.signer.name} <{check.signer.email}>, {check.signer.organisation}" if check.signer else "unknown signer"
            verdict = "VALID" if check.valid else "INVALID"
            self.stdout.write(
                f"  {check.field}: {verdict} — {who}, signed {check.signed_at:%Y-%m-%d %H:%M:%S %Z}, "
                f"bytes {check.byte_range} ({check.coverage}, after it: {check.changes_after})"
                if check.signed_at
                else f"  {check.field}: {verdict} — {who}"
            )
            for problem in check.problems:
                self.stdout.write(f"    {problem}")
        if not result.signatures:
            self.stdout.write("  no signatures")
        if detached:
            who = detached.signer.name if detached.signer else "unknown signer"
            state = "intact" if detached.intact else "NOT intact"
            self.stdout.write(f"  detached signature by {who}: {state}, not checked against a trust list")
        if not result.all_valid:
            raise CommandError("not every signature is valid")
