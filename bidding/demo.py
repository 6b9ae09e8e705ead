"""Demo opening keys: the demo agency's custodians have set their opening passphrases."""

from bidding.actions import set_opening_passphrase
from bidding.models import CustodianKey

# Printed with the demo logins; a real custodian chooses a passphrase nobody else knows.
DEMO_OPENING_PASSPHRASE = "demo opening passphrase"
CUSTODIANS = ["custodian1@mpw.example", "custodian2@mpw.example", "custodian3@mpw.example"]


def seed(world, stdout) -> None:
    for email in CUSTODIANS:
        custodian = world.users[email]
        if not CustodianKey.objects.filter(user=custodian).exists():
            set_opening_passphrase(custodian, DEMO_OPENING_PASSPHRASE)
    stdout.write(f"Demo custodians' opening passphrase: {DEMO_OPENING_PASSPHRASE}")
