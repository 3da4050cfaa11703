"""The mail outbox: every mail the platform sends passes through here.

A mail is a row written in the caller's transaction, so a change that rolls
back takes its mails with it. Sending happens after commit, in a Celery task
that locks the row and only sends what is still queued: a task that runs
twice, or a sweep that races the task, sends nothing twice.

Mails that carry a login secret (invitation links, password-reset links) are
marked ``sensitive``: once sent, their body is replaced by a placeholder, and
the board cannot send a copy of them (it invites the person again instead).
"""

import enum
import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exceptions import DomainError
from .models import OutgoingMail

logger = logging.getLogger(__name__)

Status = OutgoingMail.Status

# What a sent mail with a login secret keeps of its body.
SENSITIVE_BODY_REMOVED = _("Removed after sending: this mail contained a personal login link.")


class SensitiveMailNotResendable(DomainError):
    message = _("This mail contained a personal login link and cannot be sent again. Invite the person again instead.")


# Why the bulk resend of mails with an unknown fate leaves a selected mail out.
NO_LONGER_UNKNOWN = _("Its status is now “%(status)s”: only mails whose fate is unknown are sent again here.")
ALREADY_RESENT = _("A new copy of this mail was already made.")


class Outcome(enum.Enum):
    """What an error while sending says about the mail."""

    TEMPORARY = "temporary"  # not accepted; trying again later may work
    PERMANENT = "permanent"  # not accepted; trying again will not help
    UNKNOWN = "unknown"  # the server may have accepted it: never retried automatically


def queue_mail(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    attachments: list[dict] | None = None,
    idempotency_key: str | None = None,
    sensitive: bool = False,
) -> OutgoingMail:
    """Write a mail to the outbox and send it once the transaction commits.

    Side effects: creates an ``OutgoingMail`` row; queues ``send_mail_task``
    on commit. With an ``idempotency_key`` that is already in the outbox, the
    existing row is returned and nothing new is queued.
    ``attachments`` is a list of ``{"filename", "content", "mimetype"}`` with
    text content (calendar files). ``sensitive`` marks a mail with a login
    secret: its body is removed once it is sent, and it cannot be resent.
    If the broker is down after commit, the error is logged, not raised: the
    sweep sends the mail after the grace period.
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
            "sensitive": sensitive,
            "next_attempt_at": timezone.now() + timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS),
        },
    )
    if created:
        transaction.on_commit(lambda: send_mail_task.delay(mail.pk), robust=True)
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
    sensitive: bool = False,
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
        sensitive=sensitive,
    )


def deliver_mail(*, mail_id: int) -> OutgoingMail | None:
    """Send one queued mail.

    Side effects: moves the row queued → sending (committed before the SMTP
    conversation, so a second worker skips it) → sent, failed, unknown, or
    back to queued with a later ``next_attempt_at`` after a temporary error.
    Every write after the claim only applies while the row is still
    "sending": a row the sweep marked unknown in the meantime stays unknown.
    Returns None when the mail is not (or no longer) queued.
    """
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update(skip_locked=True).filter(pk=mail_id).first()
        if mail is None or mail.status != Status.QUEUED:
            return None
        mail.status = Status.SENDING
        mail.attempts += 1
        mail.sending_started_at = timezone.now()
        mail.save(update_fields=["status", "attempts", "sending_started_at"])

    try:
        message = _build_message(mail)
        message.message()  # header validation: a broken mail stays broken
    except Exception as exc:
        _record_failure(mail, exc, Outcome.PERMANENT)
        return mail
    connection = None
    try:
        # Nothing has left yet: any error here (DNS, refused connection,
        # TLS, login) is worth another try later.
        connection = get_connection()
        connection.open()
    except Exception as exc:
        _record_failure(mail, exc, Outcome.TEMPORARY)
        if connection is not None:
            _close_quietly(connection, mail)
        return mail
    try:
        sent = connection.send_messages([message])
    except Exception as exc:
        _record_failure(mail, exc, send_error_outcome(exc))
    else:
        if sent:
            _record_sent(mail)
        else:
            _record_failure(mail, RuntimeError("the mail backend accepted no message"), Outcome.PERMANENT)
    finally:
        _close_quietly(connection, mail)
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


def send_error_outcome(exc: Exception) -> Outcome:
    """Classify an error raised while sending over an open connection."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return Outcome.TEMPORARY if 400 <= exc.smtp_code < 500 else Outcome.PERMANENT
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return Outcome.TEMPORARY if codes and all(400 <= code < 500 for code in codes) else Outcome.PERMANENT
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Outcome.UNKNOWN
    if isinstance(exc, smtplib.SMTPException):
        return Outcome.PERMANENT
    if isinstance(exc, OSError):
        # Timeout or dropped connection mid-conversation: the server may
        # already have accepted the mail.
        return Outcome.UNKNOWN
    return Outcome.PERMANENT


def _finish(mail: OutgoingMail, **fields) -> bool:
    """Write the result of a delivery, only if the row is still "sending"."""
    updated = OutgoingMail.objects.filter(pk=mail.pk, status=Status.SENDING).update(**fields)
    if updated:
        for name, value in fields.items():
            setattr(mail, name, value)
    else:
        mail.refresh_from_db()
        logger.warning("Mail %s is no longer sending (now %s); result not recorded: %s", mail.pk, mail.status, fields)
    return bool(updated)


def _record_sent(mail: OutgoingMail) -> None:
    fields = {"status": Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    if mail.sensitive:
        with translation.override(settings.LANGUAGE_CODE):
            placeholder = gettext(SENSITIVE_BODY_REMOVED)
        fields["body_text"] = placeholder
        fields["body_html"] = format_html("<p>{}</p>", placeholder) if mail.body_html else ""
    _finish(mail, **fields)


def _record_failure(mail: OutgoingMail, exc: Exception, outcome: Outcome) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if outcome is Outcome.TEMPORARY and mail.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        # Back off 1, 2, 4, 8 minutes; the periodic sweep picks it up again.
        next_attempt_at = timezone.now() + timedelta(minutes=2 ** (mail.attempts - 1))
        if _finish(mail, status=Status.QUEUED, last_error=error, next_attempt_at=next_attempt_at):
            logger.warning("Temporary error sending mail %s, retrying later: %s", mail.pk, exc)
    elif outcome is Outcome.UNKNOWN:
        if _finish(mail, status=Status.UNKNOWN, last_error=error):
            logger.error("Sending mail %s broke off; it may or may not have arrived: %s", mail.pk, exc)
    elif _finish(mail, status=Status.FAILED, last_error=error):
        logger.error("Sending mail %s failed: %s", mail.pk, exc)


def _close_quietly(connection, mail: OutgoingMail) -> None:
    try:
        connection.close()
    except Exception as exc:
        # The result is already recorded; a failing QUIT changes nothing.
        logger.warning("Closing the mail connection after mail %s failed: %s", mail.pk, exc)


def sweep_outbox(*, now=None) -> dict[str, int]:
    """Periodic safety net for the outbox.

    Side effects: sends every queued mail that is due (its task was lost, or
    it waits for a retry); marks mails stuck in "sending" for longer than
    ``OUTBOX_STUCK_AFTER_SECONDS`` as unknown. Returns counts.
    """
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS)
    unknown = OutgoingMail.objects.filter(status=Status.SENDING, sending_started_at__lt=stuck_before).update(
        status=Status.UNKNOWN
    )
    due = list(
        OutgoingMail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )
    sent = sum(1 for pk in due if (m := deliver_mail(mail_id=pk)) and m.status == Status.SENT)
    return {"due": len(due), "sent": sent, "unknown": unknown}


def resend_mail(*, mail: OutgoingMail, actor) -> OutgoingMail:
    """Queue a copy of a mail as a new outbox row (the board's manual resend).

    Side effects: creates a new ``OutgoingMail`` linked to the original and
    writes an audit entry. Raises ``SensitiveMailNotResendable`` for a mail
    with a login secret: its body is gone once sent, and an old link should
    not travel again; the board invites the person again instead.
    """
    from . import audit

    if mail.sensitive:
        raise SensitiveMailNotResendable

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


def bulk_resend_skip_reason(mail: OutgoingMail, *, already_resent: bool) -> str | None:
    """Why the bulk resend leaves this mail out, or None when it sends a new copy.

    Only mails whose fate is unknown and that have no copy yet are taken, so
    a second run over the same selection sends nothing; mails with a login
    secret follow the rule of ``resend_mail``.
    """
    if mail.status != Status.UNKNOWN:
        return str(NO_LONGER_UNKNOWN % {"status": mail.get_status_display()})
    if already_resent:
        return str(ALREADY_RESENT)
    if mail.sensitive:
        return str(SensitiveMailNotResendable.message)
    return None


@dataclass
class BulkResendResult:
    copies: list[OutgoingMail] = field(default_factory=list)
    # (original mail, why it was left out)
    skipped: list[tuple[OutgoingMail, str]] = field(default_factory=list)


def resend_unknown_mails(*, mail_ids: Iterable[int], actor) -> BulkResendResult:
    """Send a new copy of each selected mail whose fate is unknown (the board's bulk resend).

    Side effects, in one transaction: locks the selected outbox rows; for
    every one that is still unknown, has no copy yet and carries no login
    secret, ``resend_mail`` creates the copy (linked by ``resent_from``),
    writes the audit entry "mail.resent" and queues the send on commit.
    The others are returned as skipped, with the reason. Run twice over the
    same selection (a double submit, two board members at once), the second
    run finds every mail resent and sends nothing.
    """
    result = BulkResendResult()
    with transaction.atomic():
        # Locked in primary-key order, so two runs over overlapping
        # selections wait for each other instead of deadlocking.
        mails = list(OutgoingMail.objects.select_for_update().filter(pk__in=list(mail_ids)).order_by("pk"))
        # Read only once the locks are held: a run that held them before has
        # committed its copies by now, and this new statement sees them (a
        # condition inside the locking query would be judged on the snapshot
        # taken before the wait).
        resent = set(
            OutgoingMail.objects.filter(resent_from__in=[mail.pk for mail in mails]).values_list(
                "resent_from_id", flat=True
            )
        )
        for mail in mails:
            reason = bulk_resend_skip_reason(mail, already_resent=mail.pk in resent)
            if reason is None:
                try:
                    result.copies.append(resend_mail(mail=mail, actor=actor))
                    continue
                except DomainError as error:
                    reason = str(error.message)
            result.skipped.append((mail, reason))
    return result
