from celery import shared_task
from django.utils import translation

from . import services


@shared_task
def send_session_reminders() -> int:
    with translation.override("nl"):
        return services.send_due_reminders()


@shared_task
def send_guest_reminders() -> int:
    """Sweep: the day-before reminder for guests of the final presentation."""
    with translation.override("nl"):
        return services.send_guest_reminders()


@shared_task
def purge_presentation_guests() -> int:
    """Sweep: delete guest data four weeks after the presentation (and stale unconfirmed registrations)."""
    with translation.override("nl"):
        return services.purge_guests()
