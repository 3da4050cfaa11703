"""Every change to the calendar, answers and attendance."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from denktank import audit
from denktank.models import User
from denktank.outbox import queue_templated_mail

from . import selectors
from .exceptions import AnswerClosed, AttendanceTooEarly, MeetingInPast, NotInvited, ReasonRequired
from .ics import meeting_attachment
from .links import answer_links
from .models import Attachment, Attendance, CalendarFeed, Meeting, Rsvp, SentReminder, new_feed_token
from .rules import can_answer

# --- Answers ----------------------------------------------------------------


def set_rsvp(*, meeting: Meeting, user: User, answer: str, reason: str = "") -> Rsvp:
    """Record or change a person's answer for a meeting.

    Side effects: creates or updates the one ``Rsvp`` row of this person and
    meeting (the database's unique constraint makes a double click one row).
    Raises ``NotInvited``, ``AnswerClosed`` or ``ReasonRequired``.
    """
    reason = reason.strip()
    if not can_answer(user, meeting):
        raise NotInvited
    if meeting.is_cancelled or meeting.is_past:
        raise AnswerClosed
    if answer not in Rsvp.Answer.values:
        raise ValueError(f"Unknown answer {answer!r}")
    if answer == Rsvp.Answer.NO and not reason:
        raise ReasonRequired
    rsvp, _ = Rsvp.objects.update_or_create(
        meeting=meeting,
        user=user,
        defaults={
            "answer": answer,
            "reason": reason if answer == Rsvp.Answer.NO else "",
            "for_starts_at": meeting.starts_at,
            "answered_at": timezone.now(),
        },
    )
    return rsvp


# --- Changing the calendar ---------------------------------------------------


def _notify_participants(*, meeting: Meeting, change: str, old: dict | None = None) -> int:
    """Mail every participant about a change, with the meeting as .ics."""
    people = list(selectors.participants(meeting))
    for person in people:
        include_link = person.has_perm("sessions_app.view_online_link")
        queue_templated_mail(
            to=person.email,
            template="session_changed",
            context={
                "name": person.get_short_name(),
                "meeting": meeting,
                "change": change,
                "old": old,
                "links": answer_links(meeting=meeting, user=person) if change != "cancelled" else None,
                "show_online_link": include_link,
            },
            attachments=[meeting_attachment(meeting, include_link=include_link)],
            idempotency_key=f"meeting-{change}:{meeting.pk}:{meeting.sequence}:{person.pk}",
        )
    return len(people)


def reschedule_meeting(
    *, meeting: Meeting, starts_at: datetime, duration_minutes: int, city: str, address: str, by: User
) -> bool:
    """Move a meeting in time or place and tell everyone.

    Side effects: saves the meeting with a raised ``sequence``; mails every
    participant the old and new time and place. Answers given for the old
    start time stop counting (they are asked again), old answer links stop
    working and reminders follow the new time, because all three are keyed
    on the start time. Returns False when nothing changed.
    """
    if starts_at <= timezone.now():
        raise MeetingInPast
    old = {"starts_at": meeting.starts_at, "ends_at": meeting.ends_at, "place": meeting.place}
    changed = (meeting.starts_at, meeting.duration_minutes, meeting.city, meeting.address) != (
        starts_at,
        duration_minutes,
        city,
        address,
    )
    if not changed:
        return False
    with transaction.atomic():
        meeting.starts_at = starts_at
        meeting.duration_minutes = duration_minutes
        meeting.city = city
        meeting.address = address
        meeting.sequence += 1
        meeting.save()
        _notify_participants(meeting=meeting, change="moved", old=old)
        audit.record(action="meeting.moved", actor=by, target=meeting, old=str(old["starts_at"]), new=str(starts_at))
    return True


def cancel_meeting(*, meeting: Meeting, by: User) -> None:
    """Cancel a meeting. Side effects: status and ``sequence``; mails every participant."""
    with transaction.atomic():
        meeting.status = Meeting.Status.CANCELLED
        meeting.sequence += 1
        meeting.save()
        _notify_participants(meeting=meeting, change="cancelled")
        audit.record(action="meeting.cancelled", actor=by, target=meeting)


def add_meeting(
    *,
    title: str,
    starts_at: datetime,
    duration_minutes: int,
    is_physical: bool,
    city: str,
    address: str,
    by: User,
) -> Meeting:
    """Add an extra meeting. Side effects: creates it; mails every participant."""
    if starts_at <= timezone.now():
        raise MeetingInPast
    with transaction.atomic():
        meeting = Meeting.objects.create(
            kind=Meeting.Kind.EXTRA,
            title=title,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            is_physical=is_physical,
            city=city if is_physical else "",
            address=address if is_physical else "",
        )
        _notify_participants(meeting=meeting, change="added")
        audit.record(action="meeting.added", actor=by, target=meeting)
    return meeting


def update_meeting_content(*, meeting: Meeting, agenda: str, subtopics: str, online_url: str, by: User) -> None:
    """Save agenda, sub-topics and online link. Side effects: raises ``sequence`` so feeds refresh."""
    meeting.agenda = agenda
    meeting.subtopics = subtopics
    meeting.online_url = online_url
    meeting.sequence += 1
    meeting.save()
    audit.record(action="meeting.content_changed", actor=by, target=meeting)


def save_minutes(*, meeting: Meeting, minutes: str, publish: bool, by: User) -> None:
    """Save the minutes; publishing shows them to members and Kamerleden."""
    meeting.minutes = minutes
    if publish and meeting.minutes_published_at is None:
        meeting.minutes_published_at = timezone.now()
    elif not publish:
        meeting.minutes_published_at = None
    meeting.save(update_fields=["minutes", "minutes_published_at", "updated_at"])
    audit.record(action="meeting.minutes_saved", actor=by, target=meeting, published=publish)


def add_attachment(*, meeting: Meeting, title: str, file, by: User) -> Attachment:
    return Attachment.objects.create(meeting=meeting, title=title, file=file, uploaded_by=by)


# --- Attendance -------------------------------------------------------------


def record_attendance(*, meeting: Meeting, statuses: dict[int, str], by: User) -> None:
    """Register who was there. ``statuses`` maps user ids to an Attendance status.

    Side effects: creates or updates one ``Attendance`` row per person (a
    unique constraint keeps it one) and removes rows whose status is empty.
    """
    if not meeting.is_past:
        raise AttendanceTooEarly
    with transaction.atomic():
        for user_id, status in statuses.items():
            if status:
                Attendance.objects.update_or_create(
                    meeting=meeting,
                    user_id=user_id,
                    defaults={"status": status, "recorded_by": by, "recorded_at": timezone.now()},
                )
            else:
                Attendance.objects.filter(meeting=meeting, user_id=user_id).delete()
        audit.record(action="meeting.attendance_recorded", actor=by, target=meeting)


# --- Reminders ---------------------------------------------------------------


def reminder_schedule() -> list[tuple[str, timedelta, timedelta]]:
    """(kind, due from this long before the start, stale from this long before).

    A reminder becomes stale once the next, closer reminder is due: after a
    long downtime the platform sends the one still fitting, not all of them.
    """
    reminders = sorted(settings.SESSION_REMINDERS.items(), key=lambda item: item[1], reverse=True)
    schedule = []
    for index, (kind, before) in enumerate(reminders):
        stale = reminders[index + 1][1] if index + 1 < len(reminders) else timedelta(0)
        schedule.append((kind, before, stale))
    nudge_stale = max((before for _, before in reminders if before < settings.SESSION_NUDGE), default=timedelta(0))
    schedule.append((SentReminder.Kind.NUDGE, settings.SESSION_NUDGE, nudge_stale))
    return schedule


def send_due_reminders(*, now: datetime | None = None) -> int:
    """The periodic sweep: send every reminder that is due now, once.

    Works from database state only. One mail per person and meeting per
    sweep: when several reminders are due at once (after downtime, the week
    reminder and the nudge), one mail does all their jobs. Side effects: per
    person and meeting one outbox mail and a ``SentReminder`` row for each
    reminder it covers, in one transaction; the unique key (person, meeting,
    kind, start time) makes a concurrent sweep's duplicate fail and roll
    back. Returns the number of mails queued.
    """
    now = now or timezone.now()
    schedule = reminder_schedule()
    horizon = now + max(before for _, before, _ in schedule)
    sent = 0
    meetings = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=horizon)
    for meeting in meetings:
        due = [
            kind for kind, before, stale in schedule if meeting.starts_at - before <= now < meeting.starts_at - stale
        ]
        if not due:
            continue
        answers = selectors.current_answers(meeting)
        already = set(
            SentReminder.objects.filter(meeting=meeting, for_starts_at=meeting.starts_at).values_list("user_id", "kind")
        )
        for person in selectors.participants(meeting):
            answer = answers.get(person.pk)
            kinds = [kind for kind in due if (person.pk, kind) not in already and _reminder_applies(kind, answer)]
            if kinds:
                sent += _send_reminder(meeting=meeting, person=person, kinds=kinds, answer=answer)
    return sent


def _reminder_applies(kind: str, answer: Rsvp | None) -> bool:
    """The nudge is for those who have not answered; reminders skip those who said no."""
    if kind == SentReminder.Kind.NUDGE:
        return answer is None
    return answer is None or answer.answer != Rsvp.Answer.NO


def _send_reminder(*, meeting: Meeting, person: User, kinds: list[str], answer: Rsvp | None) -> int:
    """One mail covering ``kinds``. The nudge's text also reminds of the
    meeting, so it speaks for all; otherwise the closest reminder does."""
    mail_kind = SentReminder.Kind.NUDGE if SentReminder.Kind.NUDGE in kinds else kinds[-1]
    include_link = person.has_perm("sessions_app.view_online_link")
    try:
        with transaction.atomic():
            for kind in kinds:
                SentReminder.objects.create(meeting=meeting, user=person, kind=kind, for_starts_at=meeting.starts_at)
            queue_templated_mail(
                to=person.email,
                template="session_reminder",
                context={
                    "name": person.get_short_name(),
                    "meeting": meeting,
                    "kind": mail_kind,
                    "answer": answer,
                    "links": answer_links(meeting=meeting, user=person),
                    "show_online_link": include_link,
                },
                attachments=[meeting_attachment(meeting, include_link=include_link)],
                idempotency_key=(
                    f"reminder:{meeting.pk}:{person.pk}:{'+'.join(sorted(kinds))}:{int(meeting.starts_at.timestamp())}"
                ),
            )
    except IntegrityError:
        # A concurrent sweep sent this one already.
        return 0
    return 1


# --- Calendar feeds ----------------------------------------------------------


def regenerate_feed(*, user: User) -> CalendarFeed:
    """Give the person a new secret feed address; the old one stops working."""
    feed = selectors.feed_for(user)
    feed.token = new_feed_token()
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed
