"""iCalendar files: one meeting as a download or mail attachment, all meetings as a feed."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Meeting

PRODID = "-//VVD TN EZI//Denktank Vrijheid, Werk en AI//NL"


def _event(meeting: Meeting, *, include_link: bool) -> Event:
    event = Event()
    event.add("uid", f"{meeting.uid}@denktank")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now())
    event.add("last-modified", meeting.updated_at)
    event.add("summary", f"Denktank: {meeting.title}")
    # Wall-clock Amsterdam time with its VTIMEZONE, so calendars keep 20:00 at 20:00.
    event.add("dtstart", timezone.localtime(meeting.starts_at))
    event.add("dtend", timezone.localtime(meeting.ends_at))
    event.add("location", meeting.place)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    description = [meeting.summary, meeting.agenda]
    if include_link and meeting.online_url:
        description.append(meeting.online_url)
        event.add("url", meeting.online_url)
    else:
        event.add("url", settings.SITE_URL + reverse("sessions_app:detail", args=[meeting.pk]))
    event.add("description", "\n\n".join(part for part in description if part))
    return event


def build_calendar(meetings, *, include_link: bool, name: str = "Denktank Vrijheid, Werk en AI") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for meeting in meetings:
        calendar.add_component(_event(meeting, include_link=include_link))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_attachment(meeting: Meeting, *, include_link: bool) -> dict:
    """The meeting as an .ics attachment for an outbox mail."""
    return {
        "filename": f"denktank-{meeting.pk}.ics",
        "content": build_calendar([meeting], include_link=include_link).decode(),
        "mimetype": "text/calendar",
    }
