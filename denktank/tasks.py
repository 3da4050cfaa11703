from celery import shared_task
from django.utils import translation

from . import backup, outbox, page_cache, services


@shared_task
def send_mail_task(mail_id: int) -> None:
    outbox.deliver_mail(mail_id=mail_id)


@shared_task
def sweep_outbox() -> dict[str, int]:
    with translation.override("nl"):
        return outbox.sweep_outbox()


@shared_task
def backup_nightly() -> str:
    # Two runs at once (a redelivered task, a manual run) are safe: each
    # writes under a temporary name and renames the finished archive.
    return str(backup.make_nightly_backup())


@shared_task
def remind_kamerlid_update() -> int:
    # Safe to run often or twice at once: each four-week gap has one unique reminder row.
    with translation.override("nl"):
        return services.remind_board_of_kamerlid_update()


@shared_task
def sweep_page_cache() -> int:
    # Pages can hold personal data (applicants, guests): none stays on disk long after its two minutes.
    return page_cache.sweep()
