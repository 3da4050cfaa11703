from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from sessions_app import selectors
from sessions_app.models import Meeting, Phase

EXPECTED_UTC = [
    "2026-09-01 17:30", "2026-09-15 18:00", "2026-09-29 18:00", "2026-10-20 18:00", "2026-11-03 18:30",
    "2026-11-17 19:00", "2026-12-01 19:00", "2026-12-15 19:00", "2027-01-12 19:00", "2027-01-26 19:00",
    "2027-02-09 19:00", "2027-03-02 18:30",
]  # fmt: skip


def test_the_twelve_meetings_land_on_their_utc_instants(db):
    instants = [m.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for m in Meeting.objects.all()]

    assert instants == EXPECTED_UTC


def test_dst_change_keeps_amsterdam_wall_clock_times(db):
    local = [m.starts_at.astimezone(ZoneInfo("Europe/Amsterdam")) for m in Meeting.objects.all()]

    assert [(t.strftime("%H:%M"), t.strftime("%a")) for t in local] == [
        ("19:30", "Tue"),
        *[("20:00", "Tue")] * 3,
        ("19:30", "Tue"),
        *[("20:00", "Tue")] * 6,
        ("19:30", "Tue"),
    ]


def test_physical_meetings_are_the_three_in_den_haag_without_address(db):
    physical = Meeting.objects.filter(is_physical=True)

    assert [(m.title, m.place) for m in physical] == [
        ("Kick-off", "Den Haag, adres volgt"),
        ("Tussentijdse sessie", "Den Haag, adres volgt"),
        ("Eindpresentatie", "Den Haag, adres volgt"),
    ]
    assert all(m.attendance_expected for m in physical)


def test_placeholders_of_the_founding_note_are_never_stored(db):
    texts = [f"{m.title} {m.summary} {m.agenda}" for m in Meeting.objects.all()]
    texts += [f"{p.name} {p.description}" for p in Phase.objects.all()]

    assert not [text for text in texts if "[X" in text or "Kamerlid [" in text]


def test_phases_form_the_timeline(db):
    assert list(Phase.objects.values_list("key", flat=True)) == [
        "opstart", "werving", "zomerreces", "kick-off", "voortgang", "oplevering"
    ]  # fmt: skip


def test_timeline_dims_past_and_highlights_the_next_meeting(db):
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    line = selectors.timeline(now)

    assert [item["meeting"].title for item in line.meetings if item["next"]] == ["Sessie 5"]
    assert sum(1 for item in line.meetings if item["past"]) == 6
    assert line.start.isoformat() == "2026-05-01"
    assert line.today_x is not None and 0 < line.today_x < 1000


def test_calendar_page_lists_all_meetings_for_a_member(client_for, member_user):
    response = client_for(member_user).get(reverse("sessions_app:calendar"))

    assert response.status_code == 200
    assert [m.title for m in response.context["meetings"]][:2] == ["Kick-off", "Sessie 1"]
    assert len(response.context["meetings"]) == 12
    assert "onder voorbehoud" in response.content.decode()


def test_kamerlid_sees_answer_badges_only_for_physical_meetings(client_for, mp_user):
    meetings = client_for(mp_user).get(reverse("sessions_app:calendar")).context["meetings"]

    assert [m.title for m in meetings if m.answerable] == ["Kick-off", "Tussentijdse sessie", "Eindpresentatie"]
