from django.core.management.base import BaseCommand, CommandError

from marketplace.actions import issue_api_token
from marketplace.models import User


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="issued by an operator")

    def handle(self, *args, email: str, name: str, **options):
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user with e-mail {email}")
        _token, key = issue_api_token(user, name)
        self.stdout.write(key)
