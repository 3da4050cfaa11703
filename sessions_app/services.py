"""Every change to the calendar, answers and attendance."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from denktank import audit
from denktank.models import OutgoingMail, User
from denktank.outbox import queue_templated_mail

from . import selectors
from .exceptions import (
    AnswerClosed,
    AttendanceTooEarly,
    GuestAttendanceTooEarly,
    MeetingInPast,
    NotAllowedToReact,
    NotInvited,
    PresentationStarted,
    ReactionsClosed,
    ReasonRequired,
    RegistrationClosed,
    RegistrationNeedsPlaces,
)
from .ics import meeting_attachment
from .links import CONFIRM_MAX_AGE, answer_links, confirm_url, guest_url
from .models import (
    Attachment,
    Attendance,
    CalendarFeed,
    Guest,
    GuestReminder,
    Meeting,
    Presentation,
    Reaction,
    Rsvp,
    SentReminder,
    new_feed_token,
    new_guest_key,
)
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
    participant, and every guest with a place or on the waiting list, the
    old and new time and place. Answers given for the old
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
        _notify_guests(meeting=meeting, change="moved", old=old)
        audit.record(action="meeting.moved", actor=by, target=meeting, old=str(old["starts_at"]), new=str(starts_at))
    return True


def cancel_meeting(*, meeting: Meeting, by: User) -> None:
    """Cancel a meeting. Side effects: status and ``sequence``; mails every participant and guest."""
    with transaction.atomic():
        meeting.status = Meeting.Status.CANCELLED
        meeting.sequence += 1
        meeting.save()
        _notify_participants(meeting=meeting, change="cancelled")
        _notify_guests(meeting=meeting, change="cancelled")
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


# --- The public final presentation ---------------------------------------------

# The reminder goes out from this long before the start.
GUEST_REMINDER_BEFORE = timedelta(days=1)
# Guest data is kept this long after the presentation, as applicants' data after the procedure.
GUEST_RETENTION = timedelta(weeks=4)
# Guests who still count: the ones with a place and those waiting for one.
EXPECTED_GUESTS = [Guest.Status.CONFIRMED, Guest.Status.WAITING]


def _mail_key(guest: Guest, what: str) -> str:
    """Idempotency keys of a guest's mails share a prefix, so the purge finds every mail we sent them."""
    return f"presentation-guest:{guest.pk}:{what}"


def _lock_presentation(presentation: Presentation) -> Presentation:
    """Lock the presentation row: every decision about places takes this lock first (then guest rows),
    so counting the places and giving one away are one step, also with twenty confirmations at once."""
    return Presentation.objects.select_related("meeting").select_for_update(of=("self",)).get(pk=presentation.pk)


def _places_taken(presentation: Presentation) -> int:
    return Guest.objects.filter(presentation=presentation, status=Guest.Status.CONFIRMED).count()


def _guest_mail(guest: Guest, *, template: str, what: str, context: dict | None = None, calendar: bool = False):
    meeting = guest.presentation.meeting
    personal_url = guest_url(guest)
    attachments = [meeting_attachment(meeting, include_link=False, url=personal_url)] if calendar else None
    # Every guest mail carries a personal link that can cancel the place:
    # like a login link, its body is not kept after sending.
    queue_templated_mail(
        to=guest.email,
        template=template,
        # ``for_guest``: the shared meeting block leaves out what concerns members (attendance expected).
        context={
            "name": guest.name,
            "meeting": meeting,
            "guest_url": personal_url,
            "for_guest": True,
            **(context or {}),
        },
        attachments=attachments,
        idempotency_key=_mail_key(guest, what),
        sensitive=True,
    )


def _mail_confirmation(guest: Guest) -> None:
    _guest_mail(
        guest,
        template="guest_confirm",
        what=f"confirm:{guest.key}",
        context={"confirm_url": confirm_url(guest), "valid_days": CONFIRM_MAX_AGE.days},
    )


def _mail_placed(guest: Guest, *, moved_up: bool) -> None:
    _guest_mail(
        guest, template="guest_placed", what=f"placed:{guest.key}", context={"moved_up": moved_up}, calendar=True
    )


def update_presentation(
    *, presentation: Presentation, registration_open: bool, capacity: int, reactions_open: bool, by: User
) -> list[Guest]:
    """Open or close the registration and the reactions, and set the number of places.

    Side effects: saves the presentation under its row lock; with more
    places than guests who have one, guests move up from the waiting list
    in their order (each gets a mail with the calendar file); one audit
    entry listing what changed. Fewer places take no one's place away.
    Returns the guests who moved up. Raises ``RegistrationNeedsPlaces``
    when opening the registration without places.
    """
    if registration_open and capacity < 1:
        raise RegistrationNeedsPlaces
    with transaction.atomic():
        locked = _lock_presentation(presentation)
        wanted = {"registration_open": registration_open, "capacity": capacity, "reactions_open": reactions_open}
        changes = {field: value for field, value in wanted.items() if getattr(locked, field) != value}
        if not changes:
            return []
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changes, "updated_at"])
        moved_up = _fill_places(locked)
        audit.record(action="presentation.updated", actor=by, target=locked.meeting, **changes)
    for field, value in changes.items():
        setattr(presentation, field, value)
    return moved_up


def register_guest(
    *, presentation: Presentation, name: str, email: str, is_party_member: bool, organisation: str = ""
) -> Guest | None:
    """Register a guest for the final presentation; nothing counts until they confirm their address.

    Side effects: creates an unconfirmed ``Guest`` and queues the mail with
    the confirmation link. When the address is already registered, that
    registration keeps its data and its place, and the address gets a mail
    saying so, with the link that helps (confirm, or the guest's own page);
    the page shown is the same, so it reveals nothing. A cancelled
    registration starts afresh with new links. Returns the guest, or None
    for a duplicate. Raises ``RegistrationClosed``.
    """
    meeting = presentation.meeting
    if not presentation.registration_open or meeting.is_cancelled or meeting.is_past:
        raise RegistrationClosed
    email = email.strip().lower()
    data = {"name": name.strip(), "is_party_member": is_party_member, "organisation": organisation.strip()}
    try:
        with transaction.atomic():
            guest = Guest.objects.select_for_update().filter(presentation=presentation, email=email).first()
            if guest is not None and guest.status != Guest.Status.CANCELLED:
                _mail_duplicate(guest)
                return None
            if guest is None:
                guest = Guest.objects.create(presentation=presentation, email=email, **data)
            else:
                _start_afresh(guest, data)
            _mail_confirmation(guest)
    except IntegrityError:
        # A registration for the same address committed a moment earlier: same answer as any duplicate.
        earlier = Guest.objects.filter(presentation=presentation, email=email).first()
        if earlier is not None:
            _mail_duplicate(earlier)
        return None
    return guest


def _start_afresh(guest: Guest, data: dict) -> None:
    """A cancelled registration used again: new data, a new key (old links stop working), unconfirmed."""
    for field, value in data.items():
        setattr(guest, field, value)
    guest.status = Guest.Status.UNCONFIRMED
    guest.key = new_guest_key()
    guest.registered_at = timezone.now()
    guest.confirmed_at = guest.waiting_since = guest.cancelled_at = None
    guest.attended = False
    guest.save()


def _mail_duplicate(guest: Guest) -> None:
    """Tell the owner of the address that it is registered already, with the link they need."""
    context = {"status": guest.status, "position": selectors.waiting_position(guest)}
    if guest.status == Guest.Status.UNCONFIRMED:
        # A new confirmation link is valid for a week from now: the registration's clock restarts with it.
        guest.registered_at = timezone.now()
        guest.save(update_fields=["registered_at"])
        context.update(confirm_url=confirm_url(guest), valid_days=CONFIRM_MAX_AGE.days)
    _guest_mail(guest, template="guest_exists", what=f"exists:{uuid.uuid4().hex}", context=context)


def confirm_guest(*, guest: Guest) -> Guest:
    """Confirm a guest's address: a place while there is one, else the waiting list.

    Side effects: under the presentation's row lock, so counting the places
    and taking one are a single decision under concurrency: sets the status
    (``confirmed`` or ``waiting``), ``confirmed_at`` and for the waiting list
    ``waiting_since``; queues the mail with the calendar file, or the
    waiting-list mail with the position. Confirming again changes nothing.
    Raises ``PresentationStarted`` or ``RegistrationClosed``.
    """
    with transaction.atomic():
        presentation = _lock_presentation(guest.presentation)
        guest = Guest.objects.select_for_update(of=("self",)).select_related("presentation__meeting").get(pk=guest.pk)
        if guest.status != Guest.Status.UNCONFIRMED:
            return guest
        meeting = presentation.meeting
        if meeting.is_past:
            raise PresentationStarted
        if meeting.is_cancelled or not presentation.registration_open:
            raise RegistrationClosed
        now = timezone.now()
        guest.confirmed_at = now
        if _places_taken(presentation) < presentation.capacity:
            guest.status = Guest.Status.CONFIRMED
        else:
            guest.status, guest.waiting_since = Guest.Status.WAITING, now
        guest.save(update_fields=["status", "confirmed_at", "waiting_since"])
        if guest.status == Guest.Status.CONFIRMED:
            _mail_placed(guest, moved_up=False)
        else:
            _guest_mail(
                guest,
                template="guest_waiting",
                what=f"waiting:{guest.key}",
                context={"position": selectors.waiting_position(guest)},
            )
    return guest


def cancel_guest(*, guest: Guest) -> list[Guest]:
    """A guest gives up their registration, their place or their spot on the waiting list.

    Side effects: under the presentation's row lock: status ``cancelled``
    and ``cancelled_at``; when they had a place, the first on the waiting
    list moves up and gets a mail with the calendar file. Cancelling twice
    changes nothing. Returns the guests who moved up. Raises
    ``PresentationStarted``.
    """
    with transaction.atomic():
        presentation = _lock_presentation(guest.presentation)
        locked = Guest.objects.select_for_update().get(pk=guest.pk)
        if locked.status == Guest.Status.CANCELLED:
            return []
        if presentation.meeting.is_past:
            raise PresentationStarted
        had_place = locked.status == Guest.Status.CONFIRMED
        locked.status, locked.cancelled_at = Guest.Status.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "cancelled_at"])
        moved_up = _fill_places(presentation) if had_place else []
    guest.status, guest.cancelled_at = locked.status, locked.cancelled_at
    return moved_up


def _fill_places(presentation: Presentation) -> list[Guest]:
    """Give free places to the waiting list in its order. The caller holds the presentation's lock."""
    meeting = presentation.meeting
    if meeting.is_past or meeting.is_cancelled:
        return []
    free = presentation.capacity - _places_taken(presentation)
    if free <= 0:
        return []
    moved_up = list(
        Guest.objects.select_for_update(of=("self",))
        .select_related("presentation__meeting")
        .filter(presentation=presentation, status=Guest.Status.WAITING)
        .order_by("waiting_since", "pk")[:free]
    )
    for guest in moved_up:
        guest.status = Guest.Status.CONFIRMED
        guest.save(update_fields=["status"])
        _mail_placed(guest, moved_up=True)
    return moved_up


def _notify_guests(*, meeting: Meeting, change: str, old: dict | None = None) -> int:
    """Mail the guests who expect to come (with a place or waiting) that the presentation moved or is off."""
    guests = list(
        Guest.objects.select_related("presentation__meeting").filter(
            presentation__meeting=meeting, status__in=EXPECTED_GUESTS
        )
    )
    for guest in guests:
        _guest_mail(
            guest,
            template="guest_meeting_changed",
            what=f"changed:{change}:{meeting.sequence}",
            context={"change": change, "old": old, "has_place": guest.status == Guest.Status.CONFIRMED},
            calendar=guest.status == Guest.Status.CONFIRMED,
        )
    return len(guests)


def record_guest_attendance(*, presentation: Presentation, present_ids: set[int], by: User) -> int:
    """Mark which guests with a place came; the others are marked absent.

    Side effects: sets ``attended`` on every guest with a place; an audit
    entry with the number present (no names). Returns that number. Raises
    ``GuestAttendanceTooEarly`` before the day of the presentation.
    """
    meeting = presentation.meeting
    if timezone.localdate() < timezone.localdate(meeting.starts_at):
        raise GuestAttendanceTooEarly
    with transaction.atomic():
        door = Guest.objects.filter(presentation=presentation, status=Guest.Status.CONFIRMED)
        present = door.filter(pk__in=present_ids).update(attended=True)
        door.exclude(pk__in=present_ids).update(attended=False)
        audit.record(action="presentation.attendance_recorded", actor=by, target=meeting, present=present)
    return present


def export_door_list(*, presentation: Presentation, by: User) -> list[Guest]:
    """The guests with a place, for the list at the door. Side effects: an audit entry (guest data left the site)."""
    guests = list(selectors.door_list(presentation))
    audit.record(action="presentation.door_list_exported", actor=by, target=presentation.meeting, count=len(guests))
    return guests


def save_reaction(
    *, recommendation, stance: str, comment: str = "", guest: Guest | None = None, user: User | None = None
) -> Reaction:
    """Record or change one guest's or member's view of one recommendation.

    Side effects: creates or updates the one ``Reaction`` of this person and
    recommendation (a unique constraint keeps it one, also for a double
    click); a changed comment is no longer marked as taken on. Raises
    ``ReactionsClosed`` or ``NotAllowedToReact``.
    """
    if (guest is None) == (user is None):
        raise ValueError("A reaction comes from one guest or one member.")
    if stance not in Reaction.Stance.values:
        raise ValueError(f"Unknown stance {stance!r}")
    if guest is not None and not guest.address_confirmed:
        raise NotAllowedToReact
    if user is not None and not user.has_perm("sessions_app.react_to_recommendations"):
        raise NotAllowedToReact
    # Fresh from the database: whether reactions are open is the board's latest word, not the caller's copy.
    presentation = Presentation.objects.get(pk=guest.presentation_id) if guest is not None else selectors.presentation()
    if not selectors.reactions_open(presentation):
        raise ReactionsClosed
    comment = comment.strip()
    who = {"guest": guest} if guest is not None else {"user": user}
    respondent = Reaction.Respondent.GUEST if guest is not None else Reaction.Respondent.MEMBER
    now = timezone.now()
    try:
        with transaction.atomic():
            reaction = Reaction.objects.select_for_update().filter(recommendation=recommendation, **who).first()
            if reaction is None:
                return Reaction.objects.create(
                    recommendation=recommendation, respondent=respondent, stance=stance, comment=comment, **who
                )
            if reaction.comment != comment:
                reaction.taken_on_at, reaction.taken_on_by = None, None
            reaction.stance, reaction.comment, reaction.updated_at = stance, comment, now
            reaction.save()
            return reaction
    except IntegrityError:
        # The same person's other click created the row a moment ago: change that one.
        return save_reaction(recommendation=recommendation, stance=stance, comment=comment, guest=guest, user=user)


def set_reaction_taken_on(*, reaction: Reaction, taken_on: bool, by: User) -> None:
    """Mark a comment as taken on in the report, or undo that. Side effects: the mark; an audit entry."""
    reaction.taken_on_at = timezone.now() if taken_on else None
    reaction.taken_on_by = by if taken_on else None
    reaction.save(update_fields=["taken_on_at", "taken_on_by"])
    audit.record(action="reaction.taken_on" if taken_on else "reaction.taken_on_undone", actor=by, target=reaction)


def send_guest_reminders(*, now: datetime | None = None) -> int:
    """The periodic sweep: the day before the presentation, each guest with a place gets one reminder.

    Side effects: per guest, in one transaction, a ``GuestReminder`` row
    (unique per guest and start time) and an outbox mail with the calendar
    file. The guest row is claimed with ``select_for_update(skip_locked=True)``:
    a concurrent sweep skips a guest being handled, and the unique row stops
    one that comes after the first committed. A moved presentation gets its
    own reminder. Returns the number of mails queued.
    """
    now = now or timezone.now()
    sent = 0
    due = Presentation.objects.select_related("meeting").filter(
        meeting__status=Meeting.Status.SCHEDULED,
        meeting__starts_at__gt=now,
        meeting__starts_at__lte=now + GUEST_REMINDER_BEFORE,
    )
    for presentation in due:
        starts_at = presentation.meeting.starts_at
        pending = (
            Guest.objects.filter(presentation=presentation, status=Guest.Status.CONFIRMED)
            .exclude(reminders__for_starts_at=starts_at)
            .values_list("pk", flat=True)
        )
        for guest_id in list(pending):
            sent += _remind_guest(guest_id=guest_id, starts_at=starts_at)
    return sent


def _remind_guest(*, guest_id: int, starts_at: datetime) -> int:
    try:
        with transaction.atomic():
            guest = (
                Guest.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("presentation__meeting")
                .filter(pk=guest_id, status=Guest.Status.CONFIRMED)
                .first()
            )
            if guest is None or GuestReminder.objects.filter(guest=guest, for_starts_at=starts_at).exists():
                return 0
            GuestReminder.objects.create(guest=guest, for_starts_at=starts_at)
            _guest_mail(guest, template="guest_reminder", what=f"reminder:{int(starts_at.timestamp())}", calendar=True)
    except IntegrityError:
        # A concurrent sweep reminded this guest already.
        return 0
    return 1


def purge_guests(*, now: datetime | None = None) -> int:
    """The periodic sweep that deletes guest data when it is no longer needed.

    Four weeks after the presentation every guest goes; before that, a
    registration whose confirmation link expired unconfirmed. Side effects,
    per guest in its own transaction: their reactions stay but lose the
    link to them (anonymised), the mails we sent them that are no longer in
    the outbox queue are deleted, and the guest row is deleted; the
    presentation's ``guests_purged_at`` is set when all its guests are gone;
    one audit entry per sweep that deleted anyone, with the number only.
    Guest rows are claimed with ``select_for_update(skip_locked=True)``, so
    two sweeps never handle the same guest. Returns how many were deleted.
    """
    now = now or timezone.now()
    deleted = 0
    ended = Presentation.objects.filter(guests_purged_at__isnull=True, meeting__starts_at__lte=now - GUEST_RETENTION)
    for presentation in ended:
        deleted += _purge(Guest.objects.filter(presentation=presentation))
        if not presentation.guests.exists():
            presentation.guests_purged_at = now
            presentation.save(update_fields=["guests_purged_at", "updated_at"])
    deleted += _purge(Guest.objects.filter(status=Guest.Status.UNCONFIRMED, registered_at__lte=now - CONFIRM_MAX_AGE))
    if deleted:
        audit.record(action="presentation.guests_purged", count=deleted)
    return deleted


def _purge(guests) -> int:
    deleted = 0
    for guest_id in list(guests.values_list("pk", flat=True)):
        with transaction.atomic():
            # The same filter again under the lock: a registration confirmed meanwhile is no longer stale.
            guest = guests.select_for_update(skip_locked=True).filter(pk=guest_id).first()
            if guest is None:
                continue
            Reaction.objects.filter(guest=guest).update(guest=None)
            OutgoingMail.objects.filter(idempotency_key__startswith=_mail_key(guest, "")).exclude(
                status__in=[OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING]
            ).delete()
            guest.delete()
            deleted += 1
    return deleted
