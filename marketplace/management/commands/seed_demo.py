from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from marketplace.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, enrol_second_factors, seed_people

# Each app that has demo data adds its seeder here; they run in this order on one world.
SEEDERS: list[str] = [
    "suppliers.demo.seed",
    "bidding.demo.seed",
    "tenders.demo.seed",
    "payments.demo.prepare",
    "contracts.demo.prepare",
    "evaluation.demo.seed",
    "contracts.demo.seed",
    "payments.demo.seed",
    "bidding.demo.seed_live_opening",
]


class Command(BaseCommand):
    help = "Create (or complete) the demo agency, suppliers, people and data. Safe to run again."

    def handle(self, *args, **options):
        world = seed_people()
        for path in SEEDERS:
            import_string(path)(world, stdout=self.stdout)
        enrol_second_factors(world)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for email, role, organisation in world.logins:
            self.stdout.write(f"  {email:<30} {role:<30} {organisation}")
        self.stdout.write(
            "Two-step sign-in: officers, staff and supplier administrators are asked for a code after the password.\n"
            f"  Print it with: .venv/bin/python manage.py demo_otp officer@mpw.example\n"
            f"  or add the demo secret {DEMO_TOTP_SECRET} to any authenticator app (the same for every demo account)."
        )
