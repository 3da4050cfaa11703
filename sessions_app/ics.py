"""iCalendar files: one meeting as a download or mail attachment, all meetings as a feed."""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from .models import Meeting

PRODID = "-//VVD TN EZI//Denktank Vrijheid, Werk en AI//NL"


def _amsterdam_vtimezone() -> Timezone:
    """Europe/Amsterdam as the two yearly rules that Outlook and Google emit.

    icalendar's own VTIMEZONE lists every transition from 1970 to 2038 as
    RDATEs; calendar readers that build the zone from the embedded VTIMEZONE
    (dateutil, and with it vobject and others) ignore those lists and put
    every summer-time meeting an hour late. The EU rule is the same every
    year since 1996: summer time from the last Sunday of March at 02:00 to
    the last Sunday of October at 03:00.
    """
    vtimezone = Timezone()
    vtimezone.add("tzid", "Europe/Amsterdam")
    vtimezone.add("x-lic-location", "Europe/Amsterdam")
    standard = TimezoneStandard()
    standard.add("tzname", "CET")
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0))
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    daylight = TimezoneDaylight()
    daylight.add("tzname", "CEST")
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0))
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    vtimezone.add_component(standard)
    vtimezone.add_component(daylight)
    return vtimezone


# Zones written by hand in the rule form; any other zone falls back to icalendar's.
VTIMEZONES = {"Europe/Amsterdam": _amsterdam_vtimezone}


def _event(meeting: Meeting, *, include_link: bool, url: str | None = None) -> Event:
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
    # A guest's file (with its own ``url``) leaves out the agenda: guests see dates and places, as on the public page.
    description = [meeting.summary, meeting.agenda if url is None else ""]
    if include_link and meeting.online_url:
        description.append(meeting.online_url)
        event.add("url", meeting.online_url)
    else:
        event.add("url", url or settings.SITE_URL + reverse("sessions_app:detail", args=[meeting.pk]))
    event.add("description", "\n\n".join(part for part in description if part))
    return event


def build_calendar(
    meetings, *, include_link: bool, name: str = "Denktank Vrijheid, Werk en AI", url: str | None = None
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    # Before the events: some readers resolve a TZID only against zones they have already read.
    if settings.TIME_ZONE in VTIMEZONES:
        calendar.add_component(VTIMEZONES[settings.TIME_ZONE]())
    for meeting in meetings:
        calendar.add_component(_event(meeting, include_link=include_link, url=url))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_attachment(meeting: Meeting, *, include_link: bool, url: str | None = None) -> dict:
    """The meeting as an .ics attachment for an outbox mail (``url``: where a guest manages their place)."""
    return {
        "filename": f"denktank-{meeting.pk}.ics",
        "content": build_calendar([meeting], include_link=include_link, url=url).decode(),
        "mimetype": "text/calendar",
    }
