from celery import shared_task
from django.utils import translation

from . import services
from .live import services as live


@shared_task
def send_owner_digests() -> int:
    with translation.override("nl"):
        return services.send_owner_digests()


@shared_task
def sweep_exports() -> int:
    with translation.override("nl"):
        return services.sweep_exports()


# A render that takes longer than this is stuck: the soft limit raises inside
# the task, so the export is recorded as failed instead of running forever.
@shared_task(soft_time_limit=15 * 60, time_limit=16 * 60)
def export_report(export_id: int) -> None:
    with translation.override("nl"):
        services.run_export(export_id=export_id)


@shared_task
def cut_idle_live_revisions() -> int:
    with translation.override("nl"):
        return live.cut_idle_revisions()
