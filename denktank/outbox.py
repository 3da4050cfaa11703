"""The mail outbox: every mail the platform sends passes through here.

A mail is a row written in the caller's transaction, so a change that rolls
back takes its mails with it. Sending happens after commit, in a Celery task
that locks the row and only sends what is still queued: a task that runs
twice, or a sweep that races the task, sends nothing twice.
"""

import logging
import smtplib
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutgoingMail

logger = logging.getLogger(__name__)

# Errors after which trying again later may succeed: the server is away or
# answers with a 4xx code. Everything else (5xx, refused recipients) is final.
TEMPORARY_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, ConnectionError)


def queue_mail(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    attachments: list[dict] | None = None,
    idempotency_key: str | None = None,
) -> OutgoingMail:
    """Write a mail to the outbox and send it once the transaction commits.

    Side effects: creates an ``OutgoingMail`` row; queues ``send_mail_task``
    on commit. With an ``idempotency_key`` that is already in the outbox, the
    existing row is returned and nothing new is queued.
    ``attachments`` is a list of ``{"filename", "content", "mimetype"}`` with
    text content (calendar files).
    """
    from .tasks import send_mail_task

    key = idempotency_key or f"mail:{uuid.uuid4()}"
    mail, created = OutgoingMail.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "to": to,
            "subject": " ".join(subject.splitlines()).strip()[:300],
            "body_text": body_text,
            "body_html": body_html,
            "attachments": attachments or [],
            "next_attempt_at": timezone.now() + timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS),
        },
    )
    if created:
        transaction.on_commit(lambda: send_mail_task.delay(mail.pk))
    return mail


def render_mail(template: str, context: dict, language: str = "nl") -> tuple[str, str, str]:
    """Render ``mail/<template>_subject.txt``, ``_message.txt`` and ``_message.html``."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"mail/{template}_subject.txt", context)
        text = render_to_string(f"mail/{template}_message.txt", context).strip()
        html = render_to_string(f"mail/{template}_message.html", context).strip()
    return " ".join(subject.splitlines()).strip(), text, html


def queue_templated_mail(
    *,
    to: str,
    template: str,
    context: dict,
    idempotency_key: str | None = None,
    attachments: list[dict] | None = None,
) -> OutgoingMail:
    """Render a mail from templates (in Dutch) and write it to the outbox."""
    subject, text, html = render_mail(template, context)
    return queue_mail(
        to=to,
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
        body_text=text,
        body_html=html,
        attachments=attachments,
        idempotency_key=idempotency_key,
    )


def deliver_mail(*, mail_id: int) -> OutgoingMail | None:
    """Send one queued mail.

    Side effects: moves the row queued → sending (committed before the SMTP
    conversation, so a second worker skips it) → sent, failed, or back to
    queued with a later ``next_attempt_at`` after a temporary error.
    Returns None when the mail is not (or no longer) queued.
    """
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update(skip_locked=True).filter(pk=mail_id).first()
        if mail is None or mail.status != OutgoingMail.Status.QUEUED:
            return None
        mail.status = OutgoingMail.Status.SENDING
        mail.attempts += 1
        mail.sending_started_at = timezone.now()
        mail.save(update_fields=["status", "attempts", "sending_started_at"])

    try:
        _build_message(mail).send()
    except Exception as exc:
        _record_failure(mail, exc)
    else:
        mail.status = OutgoingMail.Status.SENT
        mail.sent_at = timezone.now()
        mail.last_error = ""
        mail.save(update_fields=["status", "sent_at", "last_error"])
    return mail


def _build_message(mail: OutgoingMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={"Message-ID": f"<outbox-{mail.pk}-{mail.idempotency_key[:40]}@denktank>"},
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    for attachment in mail.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message


def is_temporary(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, TEMPORARY_ERRORS)


def _record_failure(mail: OutgoingMail, exc: Exception) -> None:
    mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if is_temporary(exc) and mail.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        # Back off 1, 2, 4, 8 minutes; the periodic sweep picks it up again.
        mail.status = OutgoingMail.Status.QUEUED
        mail.next_attempt_at = timezone.now() + timedelta(minutes=2 ** (mail.attempts - 1))
        logger.warning("Temporary error sending mail %s, retrying later: %s", mail.pk, exc)
    else:
        mail.status = OutgoingMail.Status.FAILED
        logger.error("Sending mail %s failed: %s", mail.pk, exc)
    mail.save(update_fields=["status", "last_error", "next_attempt_at"])


def sweep_outbox(*, now=None) -> dict[str, int]:
    """Periodic safety net for the outbox.

    Side effects: sends every queued mail that is due (its task was lost, or
    it waits for a retry); marks mails stuck in "sending" for longer than
    ``OUTBOX_STUCK_AFTER_SECONDS`` as unknown. Returns counts.
    """
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS)
    unknown = OutgoingMail.objects.filter(
        status=OutgoingMail.Status.SENDING, sending_started_at__lt=stuck_before
    ).update(status=OutgoingMail.Status.UNKNOWN)
    due = list(
        OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )
    sent = sum(1 for pk in due if (m := deliver_mail(mail_id=pk)) and m.status == OutgoingMail.Status.SENT)
    return {"due": len(due), "sent": sent, "unknown": unknown}


def resend_mail(*, mail: OutgoingMail, actor) -> OutgoingMail:
    """Queue a copy of a mail as a new outbox row (the board's manual resend).

    Side effects: creates a new ``OutgoingMail`` linked to the original and
    writes an audit entry.
    """
    from . import audit

    copy = queue_mail(
        to=mail.to,
        subject=mail.subject,
        body_text=mail.body_text,
        body_html=mail.body_html,
        attachments=mail.attachments,
        idempotency_key=f"resend:{mail.pk}:{uuid.uuid4()}",
    )
    copy.resent_from = mail
    copy.save(update_fields=["resent_from"])
    audit.record(action="mail.resent", actor=actor, target=mail)
    return copy
