"""Calendar feeds, the per-meeting .ics download and who sees the online link."""

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from sessions_app import selectors, services
from sessions_app.models import Meeting

ONLINE_URL = "https://meet.example.nl/denktank-geheim-8c1f"

EXPECTED_STARTS_UTC = [
    datetime(2026, 9, 1, 17, 30, tzinfo=UTC),
    datetime(2026, 9, 15, 18, 0, tzinfo=UTC),
    datetime(2026, 9, 29, 18, 0, tzinfo=UTC),
    datetime(2026, 10, 20, 18, 0, tzinfo=UTC),
    datetime(2026, 11, 3, 18, 30, tzinfo=UTC),
    datetime(2026, 11, 17, 19, 0, tzinfo=UTC),
    datetime(2026, 12, 1, 19, 0, tzinfo=UTC),
    datetime(2026, 12, 15, 19, 0, tzinfo=UTC),
    datetime(2027, 1, 12, 19, 0, tzinfo=UTC),
    datetime(2027, 1, 26, 19, 0, tzinfo=UTC),
    datetime(2027, 2, 9, 19, 0, tzinfo=UTC),
    datetime(2027, 3, 2, 18, 30, tzinfo=UTC),
]


def feed_url(user) -> str:
    return reverse("sessions_app:feed", args=[selectors.feed_for(user).token])


def fetch_calendar(client, url) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> list:
    return [component for component in calendar.walk("VEVENT")]


def event_for(calendar: Calendar, meeting: Meeting):
    matches = [event for event in events(calendar) if str(event["UID"]).startswith(str(meeting.uid))]
    assert len(matches) == 1
    return matches[0]


def utc_start(event) -> datetime:
    return event.decoded("DTSTART").astimezone(UTC)


def vobject_utc_starts(content: bytes) -> list[datetime]:
    """Start instants as vobject reads them: from the VTIMEZONE embedded in the file.

    vobject (through dateutil) builds the zone from the file's own VTIMEZONE,
    as Outlook does, unlike icalendar, which looks the TZID up in its zone
    database. It keeps the first VTIMEZONE it met per TZID for the whole
    process: forget it, so this file's own definition is used.
    """
    vars(vobject.icalendar)["__tzidMap"].pop("Europe/Amsterdam", None)
    calendar = vobject.readOne(content.decode())
    return sorted(event.dtstart.value.astimezone(UTC) for event in calendar.vevent_list)


@pytest.fixture
def december_meeting(db):
    return Meeting.objects.get(starts_at=datetime(2026, 12, 1, 19, 0, tzinfo=UTC))


# --- The private feed ---------------------------------------------------------


def test_feed_without_login_has_the_twelve_meetings_at_the_planned_times(client, member_user):
    calendar = fetch_calendar(client, feed_url(member_user))

    starts = sorted(utc_start(event) for event in events(calendar))
    assert starts == EXPECTED_STARTS_UTC


def test_vobject_follows_the_embedded_vtimezone():
    # The check below is only worth something if the parser really uses the
    # file's VTIMEZONE: here one that claims Amsterdam is at +05:00 all year.
    fake = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//NL\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=Europe/Amsterdam:20260901T193000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    assert vobject_utc_starts(fake.encode()) == [datetime(2026, 9, 1, 14, 30, tzinfo=UTC)]


def test_feed_read_through_its_own_vtimezone_has_the_twelve_planned_instants(client, member_user):
    # Readers that build Europe/Amsterdam from the feed's VTIMEZONE (Outlook,
    # dateutil, vobject) once put every summer-time meeting an hour late:
    # the kick-off at 18:30Z (20:30 in Amsterdam) instead of 17:30Z.
    response = client.get(feed_url(member_user))

    assert vobject_utc_starts(response.content) == EXPECTED_STARTS_UTC


def test_each_meeting_ics_read_through_its_own_vtimezone_has_the_planned_instant(client_for, member_user):
    client = client_for(member_user)
    starts = []
    for meeting in Meeting.objects.order_by("starts_at"):
        response = client.get(reverse("sessions_app:ics", args=[meeting.pk]))
        starts += vobject_utc_starts(response.content)

    assert starts == EXPECTED_STARTS_UTC


def ical_text(value) -> str:
    text = value.to_ical()
    return text.decode() if isinstance(text, bytes) else text


def test_feed_timezone_is_written_as_yearly_rules(client, member_user):
    calendar = fetch_calendar(client, feed_url(member_user))

    (vtimezone,) = calendar.walk("VTIMEZONE")
    rules = [
        (
            part.name,
            part.decoded("DTSTART"),
            ical_text(part["RRULE"]),
            ical_text(part["TZOFFSETFROM"]),
            ical_text(part["TZOFFSETTO"]),
        )
        for part in vtimezone.subcomponents
    ]
    assert sorted(rules) == [
        ("DAYLIGHT", datetime(1970, 3, 29, 2, 0), "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "+0100", "+0200"),
        ("STANDARD", datetime(1970, 10, 25, 3, 0), "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "+0200", "+0100"),
    ]
    assert "RDATE" not in vtimezone.to_ical().decode()


def test_feed_has_the_amsterdam_timezone(client, member_user):
    calendar = fetch_calendar(client, feed_url(member_user))

    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    for event in events(calendar):
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"


def test_feed_uids_are_stable_between_fetches(client, member_user):
    url = feed_url(member_user)

    first = [str(event["UID"]) for event in events(fetch_calendar(client, url))]
    second = [str(event["UID"]) for event in events(fetch_calendar(client, url))]

    assert len(set(first)) == 12
    assert first == second


def test_rescheduled_meeting_gets_a_higher_sequence_and_the_new_start(
    client, member_user, board_user, december_meeting
):
    url = feed_url(member_user)
    before = event_for(fetch_calendar(client, url), december_meeting)
    new_start = (max(december_meeting.starts_at, timezone.now()) + timedelta(days=1)).replace(second=0, microsecond=0)

    changed = services.reschedule_meeting(
        meeting=december_meeting,
        starts_at=new_start,
        duration_minutes=december_meeting.duration_minutes,
        city=december_meeting.city,
        address=december_meeting.address,
        by=board_user,
    )

    assert changed is True
    after = event_for(fetch_calendar(client, url), december_meeting)
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert utc_start(after) == new_start.astimezone(UTC)
    assert utc_start(before) == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def test_cancelled_meeting_has_status_cancelled(client, member_user, board_user, december_meeting):
    url = feed_url(member_user)
    before = event_for(fetch_calendar(client, url), december_meeting)
    assert str(before["STATUS"]) == "CONFIRMED"

    services.cancel_meeting(meeting=december_meeting, by=board_user)

    after = event_for(fetch_calendar(client, url), december_meeting)
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1


def test_member_feed_has_the_online_link_and_kamerlid_feed_not(client, member_user, mp_user, december_meeting):
    december_meeting.online_url = ONLINE_URL
    december_meeting.save()

    member_feed = client.get(feed_url(member_user))
    mp_feed = client.get(feed_url(mp_user))

    assert member_feed.status_code == mp_feed.status_code == 200
    member_event = event_for(Calendar.from_ical(member_feed.content), december_meeting)
    assert str(member_event["URL"]) == ONLINE_URL
    assert ONLINE_URL in str(member_event["DESCRIPTION"])
    mp_event = event_for(Calendar.from_ical(mp_feed.content), december_meeting)
    assert str(mp_event["URL"]) == f"http://testserver/sessies/{december_meeting.pk}/"
    assert ONLINE_URL not in str(mp_event.get("DESCRIPTION", ""))
    # Unfolded, the whole feed never mentions the link.
    assert "meet.example.nl" not in mp_feed.content.decode().replace("\r\n ", "")


def test_unknown_token_is_404(client, db):
    assert client.get(reverse("sessions_app:feed", args=["geen-bestaand-token"])).status_code == 404


def test_regenerated_feed_kills_the_old_token(client, member_user):
    old_url = feed_url(member_user)
    assert client.get(old_url).status_code == 200

    feed = services.regenerate_feed(user=member_user)

    new_url = reverse("sessions_app:feed", args=[feed.token])
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    assert client.get(new_url).status_code == 200


# --- The per-meeting download -----------------------------------------------


def test_meeting_ics_download_requires_login(client, december_meeting):
    url = reverse("sessions_app:ics", args=[december_meeting.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/account/login/?next={url}"


def test_meeting_ics_download_has_one_event(client_for, member_user, december_meeting):
    client = client_for(member_user)

    calendar = fetch_calendar(client, reverse("sessions_app:ics", args=[december_meeting.pk]))

    assert len(events(calendar)) == 1
    assert str(events(calendar)[0]["UID"]).startswith(str(december_meeting.uid))
    assert utc_start(events(calendar)[0]) == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


# --- The online link on pages ------------------------------------------------


def test_anonymous_home_shows_the_public_calendar_without_online_link(client, december_meeting):
    december_meeting.online_url = ONLINE_URL
    december_meeting.save()

    content = client.get("/").content.decode()

    for meeting in Meeting.objects.all():
        assert meeting.title in content
    assert "Den Haag" in content
    assert ONLINE_URL not in content
    assert "meet.example.nl" not in content


def test_member_sees_the_online_link_on_the_meeting_page(client_for, member_user, december_meeting):
    december_meeting.online_url = ONLINE_URL
    december_meeting.save()

    response = client_for(member_user).get(reverse("sessions_app:detail", args=[december_meeting.pk]))

    assert response.status_code == 200
    assert f'href="{ONLINE_URL}"' in response.content.decode()


def test_kamerlid_does_not_see_the_online_link_on_the_meeting_page(client_for, mp_user, december_meeting):
    december_meeting.online_url = ONLINE_URL
    december_meeting.save()

    response = client_for(mp_user).get(reverse("sessions_app:detail", args=[december_meeting.pk]))

    assert response.status_code == 200
    assert december_meeting.title in response.content.decode()
    assert ONLINE_URL not in response.content.decode()
