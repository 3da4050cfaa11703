"""Reads about meetings that several pages share."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from denktank.models import Role, User
from documents import selectors as documents_selectors

from .models import Attendance, CalendarFeed, Guest, Meeting, Phase, Presentation, Reaction, Rsvp


def participants(meeting: Meeting):
    """The people expected to answer: the members, and for physical meetings the Kamerleden."""
    roles = [Role.DEELNEMER, Role.KAMERLID] if meeting.is_physical else [Role.DEELNEMER]
    return User.objects.active_with_role(*roles)


def members():
    return User.objects.active_with_role(Role.DEELNEMER)


def current_answers(meeting: Meeting) -> dict[int, Rsvp]:
    """Answers given for the meeting's present start time, by user id."""
    return {rsvp.user_id: rsvp for rsvp in meeting.rsvps.filter(for_starts_at=meeting.starts_at)}


def upcoming_meetings(after: datetime):
    """The scheduled meetings that start after ``after``, soonest first."""
    return Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__gt=after).order_by("starts_at", "pk")


def next_meeting(now=None) -> Meeting | None:
    return upcoming_meetings(now or timezone.now()).first()


def latest_published_minutes() -> Meeting | None:
    """The meeting whose minutes were published last."""
    return Meeting.objects.filter(minutes_published_at__isnull=False).order_by("-minutes_published_at", "-pk").first()


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
    """How many current answers of each kind, in one query: of active accounts only, like the list beside it."""
    return meeting.rsvps.filter(for_starts_at=meeting.starts_at, user__is_active=True).aggregate(
        **{answer: Count("pk", filter=Q(answer=answer)) for answer in Rsvp.Answer.values}
    )


# --- The public final presentation ------------------------------------------


def final_meeting() -> Meeting | None:
    return Meeting.objects.filter(kind=Meeting.Kind.FINAL).order_by("starts_at", "pk").first()


def presentation() -> Presentation | None:
    """The final presentation's public side, made on first use; None without a final meeting."""
    meeting = final_meeting()
    if meeting is None:
        return None
    return Presentation.objects.select_related("meeting").get_or_create(meeting=meeting)[0]


def open_registration() -> Presentation | None:
    """The presentation while guests can register: open, not cancelled, not started. Never creates a row."""
    found = (
        Presentation.objects.select_related("meeting")
        .filter(registration_open=True, meeting__status=Meeting.Status.SCHEDULED, meeting__starts_at__gt=timezone.now())
        .first()
    )
    return found


def presentation_with_open_reactions() -> Presentation | None:
    """The presentation whose reactions the board opened, without creating a row (for the dashboard)."""
    return Presentation.objects.filter(reactions_open=True).first()


def reactions_open(presentation: Presentation | None) -> bool:
    """From the moment the board opens reactions until it publishes the report (reopening counts as open)."""
    return presentation is not None and presentation.reactions_open and documents_selectors.current_version() is None


def reactable_recommendations() -> list:
    """Every recommendation of the report as it stands: reactions apply to all of them."""
    return list(documents_selectors.visible_recommendations(None))


def guest_counts(presentation: Presentation) -> dict[str, int]:
    """How many guests in each status, in one query."""
    return presentation.guests.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Guest.Status.values}
    )


def guests(presentation: Presentation, status: str | None = None):
    """The board's list: by status, the waiting list in its order."""
    rows = presentation.guests.all()
    if status:
        rows = rows.filter(status=status)
    if status == Guest.Status.WAITING:
        return rows.order_by("waiting_since", "pk")
    return rows.order_by("name", "pk")


def waiting_position(guest: Guest) -> int | None:
    """1 for the first on the waiting list; None for anyone not waiting."""
    if guest.status != Guest.Status.WAITING:
        return None
    ahead = guest.presentation.guests.filter(status=Guest.Status.WAITING).filter(
        Q(waiting_since__lt=guest.waiting_since) | Q(waiting_since=guest.waiting_since, pk__lt=guest.pk)
    )
    return ahead.count() + 1


def door_list(presentation: Presentation):
    """Who may come in: the guests with a place."""
    return guests(presentation, Guest.Status.CONFIRMED)


def my_reactions(*, guest: Guest | None = None, user: User | None = None) -> dict[int, Reaction]:
    """This guest's or member's reactions by recommendation id."""
    if guest is not None:
        rows = Reaction.objects.filter(guest=guest)
    elif user is not None:
        rows = Reaction.objects.filter(user=user)
    else:
        return {}
    return {reaction.recommendation_id: reaction for reaction in rows}


@dataclass
class RecommendationReactions:
    recommendation: object
    counts: dict
    comments: list

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def bars(self) -> list[tuple[str, str, int, int]]:
        """(stance, label, count, percentage of all reactions) for the stacked bar."""
        total = self.total
        return [
            (stance, label, self.counts[stance], round(100 * self.counts[stance] / total) if total else 0)
            for stance, label in Reaction.Stance.choices
        ]


def reaction_summary() -> list[RecommendationReactions]:
    """Per recommendation: the count of each view and the comments, in three queries whatever the size."""
    recommendations = reactable_recommendations()
    counts = {r.pk: dict.fromkeys(Reaction.Stance.values, 0) for r in recommendations}
    for row in (
        Reaction.objects.filter(recommendation__in=recommendations)
        .values("recommendation_id", "stance")
        .annotate(n=Count("pk"))
    ):
        counts[row["recommendation_id"]][row["stance"]] = row["n"]
    comments: dict[int, list] = {r.pk: [] for r in recommendations}
    for reaction in (
        Reaction.objects.filter(recommendation__in=recommendations)
        .exclude(comment="")
        .select_related("guest", "user", "taken_on_by")
        .order_by("created_at", "pk")
    ):
        comments[reaction.recommendation_id].append(reaction)
    return [RecommendationReactions(r, counts[r.pk], comments[r.pk]) for r in recommendations]
