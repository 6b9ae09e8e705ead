"""Print the current signing key's public half, for a key rotation."""

from django.core.management.base import BaseCommand

from marketplace import signing


class Command(BaseCommand):
    help = (
        "Print the kid and the public half of the current signing key. Before rotating SIGNING_KEY, "
        "add this public half to SIGNING_KEYS_RETIRED so what the old key signed stays verifiable."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"kid: {signing.signing_key()['kid']}")
        self.stdout.write(f"public key (for SIGNING_KEYS_RETIRED): {signing.public_key_base64()}")
