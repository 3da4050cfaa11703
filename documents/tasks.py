from celery import shared_task
from django.utils import translation

from . import services


@shared_task
def send_owner_digests() -> int:
    with translation.override("nl"):
        return services.send_owner_digests()


@shared_task
def export_report(export_id: int) -> None:
    with translation.override("nl"):
        services.run_export(export_id=export_id)
