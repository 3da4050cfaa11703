from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from denktank.models import Role
from sessions_app import selectors, services
from sessions_app.exceptions import AttendanceTooEarly
from sessions_app.models import Attendance, Meeting

from ..factories import UserFactory
from ..queries import flat
from .conftest import MeetingFactory


@pytest.fixture
def held(db):
    return MeetingFactory(starts_at=timezone.now() - timedelta(days=1), is_physical=True, city="Den Haag")


def test_board_registers_attendance(client_for, board_user, held, members):
    response = client_for(board_user).post(
        reverse("sessions_app:attendance", args=[held.pk]),
        {f"user_{members[0].pk}": "present", f"user_{members[1].pk}": "excused", f"user_{members[2].pk}": ""},
    )

    assert response.status_code == 302
    assert sorted(Attendance.objects.values_list("user__name", "status")) == [
        ("Lid 01", "present"),
        ("Lid 02", "excused"),
    ]


def test_attendance_cannot_be_registered_before_the_meeting(board_user, meeting, members):
    with pytest.raises(AttendanceTooEarly):
        services.record_attendance(meeting=meeting, statuses={members[0].pk: "present"}, by=board_user)
    assert Attendance.objects.count() == 0


def test_overview_gives_rates_and_flags_a_missed_physical_meeting(board_user, held, members):
    Meeting.objects.exclude(pk=held.pk).delete()
    online = MeetingFactory(starts_at=timezone.now() - timedelta(days=8))
    services.record_attendance(
        meeting=held, statuses={members[0].pk: "present", members[1].pk: "absent"}, by=board_user
    )
    services.record_attendance(
        meeting=online, statuses={members[0].pk: "present", members[1].pk: "present"}, by=board_user
    )

    meetings, rows = selectors.attendance_overview()

    assert [m.pk for m in meetings] == [online.pk, held.pk]
    assert [(row.member.name, row.rate, [m.pk for m in row.missed_physical]) for row in rows] == [
        ("Lid 01", 100, []),
        ("Lid 02", 50, [held.pk]),
        ("Lid 03", None, []),
    ]


def test_attendance_overview_queries_do_not_grow_with_members(client_for, board_user, held):
    client = client_for(board_user)
    # The first request of a board session stores its activity time: measure after it.
    client.get(reverse("sessions_app:attendance_overview"))
    counts = []
    for total in (1, 3):
        while selectors.members().count() < total:
            UserFactory(roles=[Role.DEELNEMER])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("sessions_app:attendance_overview"))
        assert len(response.context["rows"]) == total
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_calendar_page_queries_do_not_grow_with_meetings(client_for, member_user):
    client = client_for(member_user)
    url = reverse("sessions_app:calendar")
    Meeting.objects.all().delete()

    counts = flat(client, url, MeetingFactory, Meeting.objects.count)

    assert counts[0] == counts[1]
    assert len(client.get(url).context["meetings"]) == 3
