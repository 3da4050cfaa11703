from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from denktank.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

# Order matters: later apps build on the accounts and data of earlier ones.
# The calendar demo comes last: its final presentation has reactions to the report's recommendations.
DEMO_APPS = ["denktank", "members", "documents", "sessions_app"]


class Command(BaseCommand):
    help = "Load the demo data of every app (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        # The demo accounts share a password that is printed here and in the
        # README: they must never exist on a real site.
        if not settings.DEBUG:
            raise CommandError(
                "demo_data creates accounts with a published password and only runs with DEBUG=true (development)."
            )
        with translation.override("nl"):
            for app in DEMO_APPS:
                if find_spec(f"{app}.demo"):
                    import_module(f"{app}.demo").load(self.stdout)
            # The platform's demo data that reports on the apps' (a Kamerlid update) comes last.
            import_module("denktank.demo").load_after_apps(self.stdout)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            extra = f"  (two-factor: python manage.py demo_totp {account.email})" if account.two_factor else ""
            self.stdout.write(f"  {account.role:<10} {account.email}{extra}")
