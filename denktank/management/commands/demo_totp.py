from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand, CommandError

from denktank.demo import DEMO_ACCOUNTS, DEMO_TOTP_SECRET, current_totp_counter


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (Bestuur or Werving)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not any(account.email == email.lower() and account.two_factor for account in DEMO_ACCOUNTS):
            raise CommandError(f"{email} is not a demo account with two-factor login.")
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current_totp_counter())))
