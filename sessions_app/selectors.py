"""Reads about meetings that several pages share."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from denktank.models import Role, User

from .models import Attendance, CalendarFeed, Meeting, Phase, Rsvp


def participants(meeting: Meeting):
    """The people expected to answer: the members, and for physical meetings the Kamerleden."""
    roles = [Role.DEELNEMER, Role.KAMERLID] if meeting.is_physical else [Role.DEELNEMER]
    return User.objects.filter(is_active=True, groups__name__in=roles).distinct().order_by("name")


def members():
    return User.objects.filter(is_active=True, groups__name=Role.DEELNEMER).order_by("name")


def current_answers(meeting: Meeting) -> dict[int, Rsvp]:
    """Answers given for the meeting's present start time, by user id."""
    return {rsvp.user_id: rsvp for rsvp in meeting.rsvps.filter(for_starts_at=meeting.starts_at)}


def next_meeting(now=None) -> Meeting | None:
    now = now or timezone.now()
    return Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__gt=now).first()


def meetings_with_my_answer(user: User):
    """All meetings, each with ``my_rsvp`` set to the user's current answer or None."""
    meetings = list(Meeting.objects.prefetch_related(Prefetch("rsvps", queryset=Rsvp.objects.filter(user=user))))
    for meeting in meetings:
        meeting.my_rsvp = next((r for r in meeting.rsvps.all() if r.for_starts_at == meeting.starts_at), None)
    return meetings


def public_calendar():
    """Dates and places only: what anonymous visitors may see."""
    return Meeting.objects.filter(status=Meeting.Status.SCHEDULED).only(
        "title", "starts_at", "is_physical", "city", "address", "kind", "number", "status"
    )


def feed_for(user: User) -> CalendarFeed:
    return CalendarFeed.objects.get_or_create(user=user)[0]


# --- The timeline picture -------------------------------------------------


@dataclass
class Timeline:
    start: date
    end: date
    phases: list = field(default_factory=list)
    meetings: list = field(default_factory=list)
    months: list = field(default_factory=list)
    today_x: float | None = None

    @property
    def meetings_y(self) -> int:
        return 34 + len(self.phases) * 22 + 18

    @property
    def height(self) -> int:
        return self.meetings_y + 34


def _x(day: date, start: date, end: date) -> float:
    """Position of a day on a 0–1000 axis."""
    return round(1000 * (day - start).days / max((end - start).days, 1), 1)


def timeline(now=None) -> Timeline:
    """Phases as bars and meetings as dots on one axis, for an SVG on the calendar page."""
    now = now or timezone.now()
    phases = list(Phase.objects.all())
    meetings = list(Meeting.objects.all())
    if not phases and not meetings:
        return Timeline(start=now.date(), end=now.date())
    start = min([p.starts_on for p in phases] + [timezone.localdate(m.starts_at) for m in meetings]).replace(day=1)
    last = max([p.ends_on for p in phases] + [timezone.localdate(m.starts_at) for m in meetings])
    end = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    line = Timeline(start=start, end=end)
    upcoming = next_meeting(now)
    for row, phase in enumerate(phases):
        x1 = _x(phase.starts_on, start, end)
        x2 = max(_x(phase.ends_on + timedelta(days=1), start, end), x1 + 6)
        line.phases.append({"phase": phase, "x": x1, "width": round(x2 - x1, 1), "row": row, "y": 34 + row * 22})
    for meeting in meetings:
        line.meetings.append(
            {
                "meeting": meeting,
                "x": _x(timezone.localdate(meeting.starts_at), start, end),
                "past": meeting.starts_at <= now,
                "next": upcoming is not None and meeting.pk == upcoming.pk,
            }
        )
    month = start
    while month < end:
        line.months.append({"date": month, "x": _x(month, start, end)})
        month = (month + timedelta(days=32)).replace(day=1)
    today = timezone.localdate(now)
    if start <= today <= end:
        line.today_x = _x(today, start, end)
    return line


# --- Attendance -----------------------------------------------------------


@dataclass
class AttendanceRow:
    member: User
    cells: list
    present: int
    recorded: int
    missed_physical: list

    @property
    def rate(self) -> int | None:
        return round(100 * self.present / self.recorded) if self.recorded else None


def attendance_overview(now=None):
    """Members × held meetings with attendance, rates and missed physical meetings."""
    now = now or timezone.now()
    held = list(Meeting.objects.filter(starts_at__lte=now).exclude(status=Meeting.Status.CANCELLED))
    people = list(members())
    records = {
        (a.meeting_id, a.user_id): a.status
        for a in Attendance.objects.filter(meeting__in=held, user__in=people).only("meeting_id", "user_id", "status")
    }
    rows = []
    for person in people:
        cells = [records.get((meeting.pk, person.pk)) for meeting in held]
        rows.append(
            AttendanceRow(
                member=person,
                cells=cells,
                present=sum(1 for status in cells if status == Attendance.Status.PRESENT),
                recorded=sum(1 for status in cells if status),
                missed_physical=[
                    meeting
                    for meeting, status in zip(held, cells, strict=True)
                    if meeting.is_physical and status in (Attendance.Status.ABSENT, Attendance.Status.EXCUSED)
                ],
            )
        )
    return held, rows


def answer_counts(meeting: Meeting) -> dict[str, int]:
    """How many current answers of each kind, in one query."""
    return meeting.rsvps.filter(for_starts_at=meeting.starts_at).aggregate(
        **{answer: Count("pk", filter=Q(answer=answer)) for answer in Rsvp.Answer.values}
    )
