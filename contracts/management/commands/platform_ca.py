"""Print a new root for the platform's certificate authority, as the environment takes it."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from contracts import authority


class Command(BaseCommand):
    help = "Print PLATFORM_CA_KEY and PLATFORM_CA_CERTIFICATE for a new root (keep the key in a secrets manager)."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=settings.PLATFORM_CA_NAME, help="the root's common name")

    def handle(self, *args, name: str, **options):
        key = ec.generate_private_key(ec.SECP256R1())
        root = authority.build_root(key, name, now=timezone.now())
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
        self.stdout.write(f"PLATFORM_CA_KEY={base64.b64encode(scalar).decode()}")
        self.stdout.write(f"PLATFORM_CA_CERTIFICATE={base64.b64encode(root.public_bytes(serialization.Encoding.DER)).decode()}")
