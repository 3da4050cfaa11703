from celery import shared_task
from django.utils import translation

from . import services


@shared_task
def purge_due_applications() -> int:
    with translation.override("nl"):
        return services.purge_due_applications()


@shared_task
def complete_selections() -> int:
    with translation.override("nl"):
        return services.complete_selections()
