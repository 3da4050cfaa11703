import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from denktank.models import OutgoingMail
from sessions_app import services
from sessions_app.exceptions import MeetingInPast
from sessions_app.models import Meeting


def test_moving_a_meeting_mails_every_member_old_and_new(meeting, members, board_user):
    old_start = meeting.starts_at
    new_start = (old_start + timedelta(days=7)).replace(second=0, microsecond=0)

    changed = services.reschedule_meeting(
        meeting=meeting, starts_at=new_start, duration_minutes=120, city="", address="", by=board_user
    )

    meeting.refresh_from_db()
    assert (changed, meeting.starts_at, meeting.sequence) == (True, new_start, 1)
    mails = OutgoingMail.objects.order_by("to")
    assert [mail.to for mail in mails] == ["lid1@example.nl", "lid2@example.nl", "lid3@example.nl"]
    old_local, new_local = timezone.localtime(old_start), timezone.localtime(new_start)
    assert f"{old_local:%H:%M}" in mails[0].body_text
    assert f"{new_local:%H:%M}" in mails[0].body_text


def test_saving_without_changes_mails_nobody(meeting, members, board_user):
    changed = services.reschedule_meeting(
        meeting=meeting, starts_at=meeting.starts_at, duration_minutes=90, city="", address="", by=board_user
    )

    assert changed is False
    assert OutgoingMail.objects.count() == 0
    assert Meeting.objects.get(pk=meeting.pk).sequence == 0


def test_a_meeting_cannot_move_into_the_past(meeting, board_user):
    with pytest.raises(MeetingInPast):
        services.reschedule_meeting(
            meeting=meeting,
            starts_at=timezone.now() - timedelta(hours=1),
            duration_minutes=90,
            city="",
            address="",
            by=board_user,
        )
    assert Meeting.objects.get(pk=meeting.pk).starts_at == meeting.starts_at


def test_cancelling_raises_sequence_and_mails_members(meeting, members, board_user):
    services.cancel_meeting(meeting=meeting, by=board_user)

    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == ("cancelled", 1)
    assert OutgoingMail.objects.count() == 3


def test_board_moves_a_meeting_through_the_form(client_for, board_user, meeting, members):
    day = (timezone.localtime(meeting.starts_at) + timedelta(days=2)).date()

    response = client_for(board_user).post(
        reverse("sessions_app:reschedule", args=[meeting.pk]),
        {"day": day.isoformat(), "time": "19:30", "duration_minutes": "120", "city": "", "address": ""},
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M") == f"{day.isoformat()} 19:30"
    assert OutgoingMail.objects.count() == 3


def label_text(html: str, field_id: str) -> str:
    match = re.search(rf'<label\s+for="{field_id}"[^>]*>(.*?)</label>', html, re.DOTALL)
    assert match, f"no label for {field_id}"
    return " ".join(match.group(1).split())


def input_tag(html: str, field_id: str) -> str:
    match = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', html)
    assert match, f"no input {field_id}"
    return match.group(0)


def test_reschedule_form_shows_the_current_date_and_time_in_iso_and_a_dutch_address_label(client_for, board_user):
    december = Meeting.objects.get(starts_at=datetime(2026, 12, 1, 19, 0, tzinfo=UTC))

    response = client_for(board_user).get(reverse("sessions_app:reschedule", args=[december.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    # <input type=date> shows nothing for dd-mm-yyyy: the value must be ISO.
    assert 'type="date"' in input_tag(html, "id_day")
    assert 'value="2026-12-01"' in input_tag(html, "id_day")
    assert 'type="time"' in input_tag(html, "id_time")
    assert 'value="20:00"' in input_tag(html, "id_time")
    assert label_text(html, "id_address") == "Adres"
    assert "IP-adres" not in html


def test_board_adds_an_extra_meeting(client_for, board_user, members):
    day = (timezone.localdate() + timedelta(days=5)).isoformat()

    response = client_for(board_user).post(
        reverse("sessions_app:new"),
        {"title": "Extra werksessie", "day": day, "time": "20:00", "duration_minutes": "60", "city": "", "address": ""},
    )

    meeting = Meeting.objects.get(title="Extra werksessie")
    assert response.url == reverse("sessions_app:detail", args=[meeting.pk])
    assert (meeting.kind, meeting.is_physical, meeting.duration_minutes) == ("extra", False, 60)
    assert OutgoingMail.objects.count() == 3


@pytest.mark.parametrize("fixture", ["member_user", "mp_user", "recruiter_user"])
def test_only_the_board_edits_meetings(client_for, request, fixture, meeting):
    client = client_for(request.getfixturevalue(fixture))

    responses = [
        client.post(reverse("sessions_app:reschedule", args=[meeting.pk]), {"day": "2030-01-01", "time": "10:00"}),
        client.post(reverse("sessions_app:cancel", args=[meeting.pk])),
        client.post(reverse("sessions_app:content", args=[meeting.pk]), {"agenda": "gehackt"}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.agenda, meeting.sequence) == ("scheduled", "", 0)


def test_agenda_markdown_is_sanitised(client_for, board_user, member_user, meeting):
    client_for(board_user).post(
        reverse("sessions_app:content", args=[meeting.pk]),
        {"agenda": "1. Punt\n\n<script>alert(1)</script> [x](javascript:alert(1))", "subtopics": "", "online_url": ""},
    )

    html = client_for(member_user).get(reverse("sessions_app:detail", args=[meeting.pk])).content.decode()

    assert "<li>Punt</li>" in html
    assert "<script>alert(1)</script>" not in html
    assert 'href="javascript:' not in html


def test_minutes_are_visible_once_published(client_for, board_user, mp_user, meeting):
    services.save_minutes(meeting=meeting, minutes="Besloten: **meer data**.", publish=False, by=board_user)
    mp_client = client_for(mp_user)
    url = reverse("sessions_app:detail", args=[meeting.pk])

    assert "meer data" not in mp_client.get(url).content.decode()
    services.save_minutes(meeting=meeting, minutes="Besloten: **meer data**.", publish=True, by=board_user)
    assert "<strong>meer data</strong>" in mp_client.get(url).content.decode()


def test_members_see_who_said_yes_but_not_the_reasons(client_for, member_user, members, meeting):
    services.set_rsvp(meeting=meeting, user=members[0], answer="yes")
    services.set_rsvp(meeting=meeting, user=members[1], answer="no", reason="Geheime reden")

    response = client_for(member_user).get(reverse("sessions_app:detail", args=[meeting.pk]))

    assert [person.name for person in response.context["coming"]] == ["Lid 01"]
    assert "Geheime reden" not in response.content.decode()


def test_board_sees_every_answer_with_reasons(client_for, board_user, members, meeting):
    services.set_rsvp(meeting=meeting, user=members[1], answer="no", reason="Op reis")

    response = client_for(board_user).get(reverse("sessions_app:detail", args=[meeting.pk]))

    assert [(p.name, getattr(r, "answer", None)) for p, r in response.context["answers"]] == [
        ("Lid 01", None),
        ("Lid 02", "no"),
        ("Lid 03", None),
    ]
    assert response.context["answer_counts"] == {"yes": 0, "no": 1, "maybe": 0}
    assert "Op reis" in response.content.decode()


def test_attachments_are_private_and_served_as_downloads(client_for, board_user, member_user, mp_user, meeting):
    client_for(board_user).post(
        reverse("sessions_app:attachment_upload", args=[meeting.pk]),
        {"title": "Leeslijst", "file": SimpleUploadedFile("lijst.pdf", b"%PDF-1.4 leeslijst", "application/pdf")},
    )
    attachment = meeting.attachments.get()
    url = reverse("sessions_app:attachment", args=[attachment.pk])

    response = client_for(member_user).get(url)
    assert (response["Content-Disposition"], response["Cache-Control"], response["X-Content-Type-Options"]) == (
        'attachment; filename="Leeslijst.pdf"',
        "private, no-store",
        "nosniff",
    )
    assert b"".join(response.streaming_content) == b"%PDF-1.4 leeslijst"
    assert client_for(mp_user).get(url).status_code == 403
    assert not attachment.file.name.endswith("lijst.pdf")
