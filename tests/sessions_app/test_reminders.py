from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from denktank.models import OutgoingMail
from sessions_app import services
from sessions_app.models import SentReminder

from ..concurrency import requires_postgresql, run_concurrently
from .conftest import MeetingFactory


def sent(kind=None):
    rows = SentReminder.objects.order_by("user__name", "kind")
    if kind:
        rows = rows.filter(kind=kind)
    return [(row.user.name, row.kind) for row in rows]


@pytest.fixture
def upcoming(db, members):
    return MeetingFactory(title="Sessie X")


def test_week_reminder_goes_to_everyone_who_has_not_declined(upcoming, members, django_capture_on_commit_callbacks):
    services.set_rsvp(meeting=upcoming, user=members[0], answer="no", reason="Op reis")
    services.set_rsvp(meeting=upcoming, user=members[1], answer="yes")
    now = upcoming.starts_at - timedelta(days=6, hours=23)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_due_reminders(now=now) == 2

    assert sent("week") == [("Lid 02", "week"), ("Lid 03", "week")]
    mails = OutgoingMail.objects.order_by("to")
    assert [mail.to for mail in mails] == ["lid2@example.nl", "lid3@example.nl"]
    assert mails[0].attachments[0]["mimetype"] == "text/calendar"
    assert "BEGIN:VEVENT" in mails[0].attachments[0]["content"]
    assert "/sessies/antwoord/" in mails[0].body_text


def test_each_reminder_is_sent_once(upcoming, members):
    now = upcoming.starts_at - timedelta(days=6)

    first = services.send_due_reminders(now=now)
    second = services.send_due_reminders(now=now + timedelta(minutes=5))

    assert (first, second) == (3, 0)
    assert OutgoingMail.objects.count() == 3


def test_nudge_goes_only_to_those_who_have_not_answered(upcoming, members):
    services.set_rsvp(meeting=upcoming, user=members[0], answer="yes")
    services.send_due_reminders(now=upcoming.starts_at - timedelta(days=6))

    services.send_due_reminders(now=upcoming.starts_at - timedelta(days=2, hours=23))

    assert sent("nudge") == [("Lid 02", "nudge"), ("Lid 03", "nudge")]


def test_reminder_and_nudge_due_together_make_one_mail_per_person(upcoming, members):
    # After downtime, two days before the start both the week reminder and the
    # nudge are due: those who have not answered once got both, in the same second.
    services.set_rsvp(meeting=upcoming, user=members[0], answer="yes")
    now = upcoming.starts_at - timedelta(days=2)

    assert services.send_due_reminders(now=now) == 3

    mails = OutgoingMail.objects.order_by("to")
    local_start = timezone.localtime(upcoming.starts_at)
    with translation.override("nl"):
        long_day, short_day = date_format(local_start, "l j F"), date_format(local_start, "j F")
    assert [(mail.to, mail.subject) for mail in mails] == [
        ("lid1@example.nl", f"[Denktank] Herinnering: Sessie X op {long_day}"),
        ("lid2@example.nl", f"[Denktank] Kom je naar Sessie X op {short_day}?"),
        ("lid3@example.nl", f"[Denktank] Kom je naar Sessie X op {short_day}?"),
    ]
    assert [len(mail.attachments) for mail in mails] == [1, 1, 1]
    assert sent() == [
        ("Lid 01", "week"),
        ("Lid 02", "nudge"),
        ("Lid 02", "week"),
        ("Lid 03", "nudge"),
        ("Lid 03", "week"),
    ]
    # The reminder the combined mail stood in for is not sent afterwards.
    assert services.send_due_reminders(now=now + timedelta(hours=6)) == 0
    assert OutgoingMail.objects.count() == 3


def test_after_downtime_only_the_reminder_still_fitting_is_sent(upcoming, members):
    # The platform was down for the week reminder and the nudge: twelve hours
    # before the start only the day reminder is still worth sending.
    services.send_due_reminders(now=upcoming.starts_at - timedelta(hours=12))

    assert sent() == [("Lid 01", "day"), ("Lid 02", "day"), ("Lid 03", "day")]


def test_nothing_for_past_or_cancelled_meetings(upcoming, members, board_user):
    past = MeetingFactory(starts_at=upcoming.starts_at - timedelta(days=30))
    services.cancel_meeting(meeting=upcoming, by=board_user)
    OutgoingMail.objects.all().delete()

    assert services.send_due_reminders(now=upcoming.starts_at - timedelta(hours=12)) == 0
    assert services.send_due_reminders(now=past.starts_at + timedelta(minutes=1)) == 0
    assert SentReminder.objects.count() == 0


def test_moving_a_meeting_retimes_its_reminders(upcoming, members, board_user):
    services.send_due_reminders(now=upcoming.starts_at - timedelta(hours=12))
    new_start = upcoming.starts_at + timedelta(days=14)
    services.reschedule_meeting(
        meeting=upcoming, starts_at=new_start, duration_minutes=90, city="", address="", by=board_user
    )

    assert services.send_due_reminders(now=new_start - timedelta(days=20)) == 0
    assert services.send_due_reminders(now=new_start - timedelta(days=6)) == 3
    assert SentReminder.objects.filter(for_starts_at=new_start, kind="week").count() == 3


def test_reminder_that_fails_to_queue_leaves_no_trace(upcoming, members, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr(services, "queue_templated_mail", broken)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.send_due_reminders(now=upcoming.starts_at - timedelta(days=6))

    assert SentReminder.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_send_each_reminder_once(members):
    requires_postgresql()
    meeting = MeetingFactory()
    now = meeting.starts_at - timedelta(days=6)

    results = run_concurrently(lambda: services.send_due_reminders(now=now), 4)

    assert sorted(kind for kind, _ in results) == ["ok"] * 4
    assert sum(count for _, count in results) == 3
    assert SentReminder.objects.count() == 3
    assert OutgoingMail.objects.count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_send_one_mail_per_person_when_reminder_and_nudge_are_due(members):
    requires_postgresql()
    meeting = MeetingFactory()
    now = meeting.starts_at - timedelta(days=2)

    results = run_concurrently(lambda: services.send_due_reminders(now=now), 4)

    assert sorted(kind for kind, _ in results) == ["ok"] * 4
    assert sum(count for _, count in results) == 3
    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == [
        "lid1@example.nl",
        "lid2@example.nl",
        "lid3@example.nl",
    ]
    assert sorted(SentReminder.objects.values_list("user__name", "kind")) == [
        ("Lid 01", "nudge"),
        ("Lid 01", "week"),
        ("Lid 02", "nudge"),
        ("Lid 02", "week"),
        ("Lid 03", "nudge"),
        ("Lid 03", "week"),
    ]
