from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone, translation

from denktank.outbox import queue_templated_mail


class Command(BaseCommand):
    help = "Put a reminder-style test mail in the outbox; the Celery worker sends it."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        with translation.override("nl"), transaction.atomic():
            mail = queue_templated_mail(to=email, template="test", context={"sent_at": timezone.localtime()})
        self.stdout.write(f"Mail {mail.pk} to {email} is queued; the worker sends it.")
