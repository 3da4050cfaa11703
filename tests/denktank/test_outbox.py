import smtplib
import socket
import time
from datetime import timedelta
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from denktank import outbox, page_cache
from denktank.celery import app
from denktank.models import AuditEntry, OutgoingMail
from denktank.tasks import send_mail_task

BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def queue(to="anna@example.nl", key=None):
    return outbox.queue_mail(
        to=to, subject="Onderwerp", body_text="Tekst", body_html="<p>Tekst</p>", idempotency_key=key
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_queue_mail_in_rolled_back_transaction_is_never_sent():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change fails")

    assert OutgoingMail.objects.count() == 0
    assert mail.outbox == []


def sends(callbacks):
    """The on-commit callbacks that send mail (not the cached pages' data versions)."""
    return [callback for callback in callbacks if not isinstance(callback, page_cache.Changed)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_queue_mail_is_sent_after_commit():
    with transaction.atomic():
        row = queue()
        assert mail.outbox == []

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert row.attempts == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [(["anna@example.nl"], "Onderwerp")]
    assert mail.outbox[0].alternatives[0].content == "<p>Tekst</p>"


def test_queue_mail_with_known_idempotency_key_returns_existing_row(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = queue(key="reminder:1")
        second = queue(key="reminder:1")

    assert first.pk == second.pk
    assert OutgoingMail.objects.count() == 1
    assert len(sends(callbacks)) == 1


def test_send_task_run_twice_sends_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = queue()

    send_mail_task(row.pk)
    send_mail_task(row.pk)

    row.refresh_from_db()
    assert len(mail.outbox) == 1
    assert row.status == OutgoingMail.Status.SENT
    assert row.attempts == 1


def test_temporary_smtp_error_is_retried_by_the_sweep(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = queue()
    error = smtplib.SMTPResponseException(421, b"Service not available, try again later")

    with mock.patch(f"{BACKEND}.send_messages", side_effect=error):
        outbox.deliver_mail(mail_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingMail.Status.QUEUED, 1)
    assert row.last_error.startswith("SMTPResponseException")
    assert mail.outbox == []

    # Not yet due: the sweep leaves it alone.
    assert outbox.sweep_outbox() == {"due": 0, "sent": 0, "unknown": 0}
    assert outbox.sweep_outbox(now=row.next_attempt_at + timedelta(seconds=1)) == {"due": 1, "sent": 1, "unknown": 0}

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutgoingMail.Status.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_temporary_error_on_the_last_attempt_marks_failed(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = queue()
    OutgoingMail.objects.filter(pk=row.pk).update(attempts=settings.OUTBOX_MAX_ATTEMPTS - 1)

    with mock.patch(f"{BACKEND}.open", side_effect=ConnectionRefusedError(111, "Connection refused")):
        outbox.deliver_mail(mail_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingMail.Status.FAILED, settings.OUTBOX_MAX_ATTEMPTS)


def test_permanent_smtp_error_marks_failed_and_is_not_retried(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = queue()
    error = smtplib.SMTPRecipientsRefused({"anna@example.nl": (550, b"No such user")})

    with mock.patch(f"{BACKEND}.send_messages", side_effect=error):
        outbox.deliver_mail(mail_id=row.pk)

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.FAILED
    assert outbox.sweep_outbox(now=timezone.now() + timedelta(days=1))["due"] == 0
    assert mail.outbox == []


def test_sweep_sends_a_queued_mail_whose_task_was_lost(db, django_capture_on_commit_callbacks):
    # The broker was down: the row committed, its task never arrived.
    with django_capture_on_commit_callbacks(execute=False):
        row = queue()

    assert outbox.sweep_outbox()["due"] == 0  # within the grace period the task may still come
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS + 1)
    assert outbox.sweep_outbox(now=later) == {"due": 1, "sent": 1, "unknown": 0}

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert len(mail.outbox) == 1


def test_sweep_marks_mail_stuck_in_sending_unknown_and_never_resends_it(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = queue()
    started = timezone.now() - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 1)
    OutgoingMail.objects.filter(pk=row.pk).update(
        status=OutgoingMail.Status.SENDING, attempts=1, sending_started_at=started
    )

    assert outbox.sweep_outbox(now=timezone.now() + timedelta(hours=1)) == {"due": 0, "sent": 0, "unknown": 1}
    send_mail_task(row.pk)

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.UNKNOWN
    assert mail.outbox == []


def test_resend_creates_a_new_row_and_keeps_the_original(board_user, django_capture_on_commit_callbacks):
    original = OutgoingMail.objects.create(
        to="anna@example.nl", subject="Uitnodiging", body_text="Tekst", idempotency_key="x", status="unknown"
    )

    with django_capture_on_commit_callbacks(execute=True):
        copy = outbox.resend_mail(mail=original, actor=board_user)

    original.refresh_from_db()
    copy.refresh_from_db()
    assert original.status == OutgoingMail.Status.UNKNOWN
    assert (copy.to, copy.subject, copy.resent_from_id, copy.status) == (
        "anna@example.nl",
        "Uitnodiging",
        original.pk,
        OutgoingMail.Status.SENT,
    )
    assert [m.subject for m in mail.outbox] == ["Uitnodiging"]


def test_templated_mail_renders_in_dutch(db):
    row = outbox.queue_templated_mail(to="anna@example.nl", template="test", context={"sent_at": timezone.now()})

    assert row.subject == "[Denktank] Testmail: herinnering voor de volgende sessie"
    assert "Dit is een test" in row.body_text


def queued_row(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return queue()


@pytest.mark.parametrize(
    "error",
    [
        socket.gaierror(-2, "Name or service not known"),
        smtplib.SMTPConnectError(421, b"Too busy"),
        smtplib.SMTPAuthenticationError(535, b"Authentication failed"),
        TimeoutError("timed out"),
    ],
    ids=["dns", "connect", "login", "timeout"],
)
def test_error_while_connecting_is_temporary_and_nothing_is_sent(db, django_capture_on_commit_callbacks, error):
    row = queued_row(django_capture_on_commit_callbacks)

    with (
        mock.patch(f"{BACKEND}.open", side_effect=error),
        mock.patch(f"{BACKEND}.send_messages") as send_messages,
    ):
        outbox.deliver_mail(mail_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingMail.Status.QUEUED, 1)
    assert row.last_error.startswith(type(error).__name__)
    assert send_messages.call_count == 0


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (smtplib.SMTPResponseException(451, b"Local error"), OutgoingMail.Status.QUEUED),
        (smtplib.SMTPResponseException(554, b"Transaction failed"), OutgoingMail.Status.FAILED),
        (smtplib.SMTPRecipientsRefused({"anna@example.nl": (450, b"Mailbox busy")}), OutgoingMail.Status.QUEUED),
        (smtplib.SMTPRecipientsRefused({"anna@example.nl": (550, b"No such user")}), OutgoingMail.Status.FAILED),
        (smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"), OutgoingMail.Status.FAILED),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), OutgoingMail.Status.UNKNOWN),
        (TimeoutError("timed out"), OutgoingMail.Status.UNKNOWN),
        (ConnectionResetError(104, "Connection reset by peer"), OutgoingMail.Status.UNKNOWN),
    ],
    ids=["421-4xx", "5xx", "refused-4xx", "refused-5xx", "other-smtp", "disconnect", "timeout", "reset"],
)
def test_errors_while_sending_are_classified(db, django_capture_on_commit_callbacks, error, status):
    row = queued_row(django_capture_on_commit_callbacks)

    with mock.patch(f"{BACKEND}.send_messages", side_effect=error):
        outbox.deliver_mail(mail_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (status, 1, f"{type(error).__name__}: {error}")


def test_mail_cut_off_while_sending_is_never_retried(db, django_capture_on_commit_callbacks):
    row = queued_row(django_capture_on_commit_callbacks)

    with mock.patch(f"{BACKEND}.send_messages", side_effect=smtplib.SMTPServerDisconnected("gone")):
        outbox.deliver_mail(mail_id=row.pk)

    assert outbox.sweep_outbox(now=timezone.now() + timedelta(days=1)) == {"due": 0, "sent": 0, "unknown": 0}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingMail.Status.UNKNOWN, 1)
    assert mail.outbox == []


def _sweep_marks_unknown_then(result):
    """A send that outlives the sweep's patience: the sweep marks the row unknown meanwhile."""

    def send_messages(messages):
        OutgoingMail.objects.filter(status=OutgoingMail.Status.SENDING).update(status=OutgoingMail.Status.UNKNOWN)
        if isinstance(result, Exception):
            raise result
        return result

    return send_messages


@pytest.mark.parametrize(
    "result", [1, smtplib.SMTPResponseException(421, b"Try later"), smtplib.SMTPDataError(554, b"Rejected")]
)
def test_result_arriving_after_the_sweep_marked_unknown_changes_nothing(db, django_capture_on_commit_callbacks, result):
    row = queued_row(django_capture_on_commit_callbacks)

    with mock.patch(f"{BACKEND}.send_messages", side_effect=_sweep_marks_unknown_then(result)):
        returned = outbox.deliver_mail(mail_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.sent_at, row.last_error) == (OutgoingMail.Status.UNKNOWN, None, "")
    assert returned.status == OutgoingMail.Status.UNKNOWN


def test_broker_outage_after_commit_leaves_the_mail_for_the_sweep(db, django_capture_on_commit_callbacks):
    with (
        mock.patch("denktank.tasks.send_mail_task.delay", side_effect=OperationalError("broker down")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        row = queue()

    row.refresh_from_db()
    assert (len(sends(callbacks)), row.status, row.attempts) == (1, OutgoingMail.Status.QUEUED, 0)
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS + 1)
    assert outbox.sweep_outbox(now=later) == {"due": 1, "sent": 1, "unknown": 0}


def test_sensitive_mail_body_is_removed_once_sent(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox.queue_mail(
            to="anna@example.nl",
            subject="Link",
            body_text="https://x/geheim",
            body_html="<a>geheim</a>",
            sensitive=True,
        )

    row.refresh_from_db()
    with translation.override("nl"):
        placeholder = str(outbox.SENSITIVE_BODY_REMOVED)
    assert (row.status, row.body_text, row.body_html) == (
        OutgoingMail.Status.SENT,
        placeholder,
        f"<p>{placeholder}</p>",
    )
    assert (mail.outbox[0].body, mail.outbox[0].alternatives[0].content) == ("https://x/geheim", "<a>geheim</a>")


def test_sensitive_mail_keeps_its_body_until_it_is_sent(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = outbox.queue_mail(to="anna@example.nl", subject="Link", body_text="https://x/geheim", sensitive=True)

    with mock.patch(f"{BACKEND}.send_messages", side_effect=smtplib.SMTPResponseException(421, b"Later")):
        outbox.deliver_mail(mail_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.body_text) == (OutgoingMail.Status.QUEUED, "https://x/geheim")


def test_resend_refuses_a_sensitive_mail(board_user):
    original = OutgoingMail.objects.create(
        to="anna@example.nl", subject="Link", body_text="geheim", idempotency_key="s", status="failed", sensitive=True
    )

    with pytest.raises(outbox.SensitiveMailNotResendable):
        outbox.resend_mail(mail=original, actor=board_user)

    assert list(OutgoingMail.objects.values_list("pk", flat=True)) == [original.pk]
    assert not AuditEntry.objects.filter(action="mail.resent").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_on_redis_sends_a_queued_mail(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the test command starts Redis)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            with transaction.atomic():
                row = queue()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                row.refresh_from_db()
                if row.status == OutgoingMail.Status.SENT:
                    break
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True

    assert row.status == OutgoingMail.Status.SENT
    assert [m.to for m in mail.outbox] == [["anna@example.nl"]]
