from celery import shared_task
from django.utils import translation

from . import outbox


@shared_task
def send_mail_task(mail_id: int) -> None:
    outbox.deliver_mail(mail_id=mail_id)


@shared_task
def sweep_outbox() -> dict[str, int]:
    with translation.override("nl"):
        return outbox.sweep_outbox()
