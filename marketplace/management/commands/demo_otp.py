import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.demo import demo_totp_key


class Command(BaseCommand):
    help = "Print the current two-step sign-in code of a demo account (only accounts with the demo's published secret)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        device = TOTPDevice.objects.filter(user__email__iexact=email.strip(), confirmed=True).first()
        if device is None:
            raise CommandError(f"{email} has no authenticator app (suppliers' bidders sign in with the password alone).")
        # Only the demo's own secret, which the README publishes: never a real person's code.
        if device.key != demo_totp_key():
            raise CommandError(f"{email} is not a demo account: its codes come from its own authenticator app only.")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
        left = device.step - int(time.time() - device.t0) % device.step
        self.stderr.write(f"(the next code comes in {left} s; each code works once per account)")
