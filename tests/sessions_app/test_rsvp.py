from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app import services
from sessions_app.exceptions import AnswerClosed, NotInvited, ReasonRequired
from sessions_app.links import make_answer_token
from sessions_app.models import Rsvp

from ..concurrency import requires_postgresql, run_concurrently
from .conftest import MeetingFactory


def test_member_answers_and_changes_their_answer(member_user, meeting):
    services.set_rsvp(meeting=meeting, user=member_user, answer="yes")
    services.set_rsvp(meeting=meeting, user=member_user, answer="no", reason="Ziek")

    assert list(Rsvp.objects.values_list("answer", "reason")) == [("no", "Ziek")]


def test_no_without_reason_is_refused_and_changes_nothing(member_user, meeting):
    services.set_rsvp(meeting=meeting, user=member_user, answer="yes")

    with pytest.raises(ReasonRequired):
        services.set_rsvp(meeting=meeting, user=member_user, answer="no", reason="  ")

    assert list(Rsvp.objects.values_list("answer", flat=True)) == ["yes"]


def test_answers_close_when_the_meeting_starts(member_user, db):
    started = MeetingFactory(starts_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(AnswerClosed):
        services.set_rsvp(meeting=started, user=member_user, answer="yes")
    assert Rsvp.objects.count() == 0


def test_kamerlid_answers_only_for_physical_meetings(mp_user, meeting, physical_meeting):
    services.set_rsvp(meeting=physical_meeting, user=mp_user, answer="yes")

    with pytest.raises(NotInvited):
        services.set_rsvp(meeting=meeting, user=mp_user, answer="yes")
    assert list(Rsvp.objects.values_list("meeting_id", flat=True)) == [physical_meeting.pk]


def test_recruiter_without_member_role_cannot_answer(recruiter_user, meeting):
    with pytest.raises(NotInvited):
        services.set_rsvp(meeting=meeting, user=recruiter_user, answer="yes")


def test_rsvp_view_saves_the_answer(client_for, member_user, meeting):
    response = client_for(member_user).post(reverse("sessions_app:rsvp", args=[meeting.pk]), {"answer": "maybe"})

    assert response.status_code == 302
    assert list(Rsvp.objects.values_list("user_id", "answer")) == [(member_user.pk, "maybe")]


def test_rsvp_view_shows_a_clear_error_for_no_without_reason(client_for, member_user, meeting):
    client = client_for(member_user)

    response = client.post(
        reverse("sessions_app:rsvp", args=[meeting.pk]), {"answer": "no", "reason": ""}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.context["rsvp_form"].errors == {"reason": ["Laat kort weten waarom je niet kunt komen."]}
    assert Rsvp.objects.count() == 0


def test_htmx_answer_sends_a_clean_form_and_the_who_is_coming_box(client_for, member_user, members, meeting):
    services.set_rsvp(meeting=meeting, user=members[0], answer="yes")
    client = client_for(member_user)
    url = reverse("sessions_app:rsvp", args=[meeting.pk])
    client.post(url, {"answer": "no", "reason": ""}, HTTP_HX_REQUEST="true")

    response = client.post(url, {"answer": "yes", "reason": ""}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert not response.context["rsvp_form"].is_bound
    assert "is-invalid" not in html
    assert '<div id="who-is-coming" hx-swap-oob="true">' in html
    assert [person.name for person in response.context["coming"]] == ["Dirk Deelnemer", "Lid 01"]
    assert 'role="status" tabindex="-1" autofocus>Opgeslagen: Ja.</div>' in html


def test_answering_again_after_a_move_updates_the_same_row(member_user, meeting, board_user):
    services.set_rsvp(meeting=meeting, user=member_user, answer="yes")
    services.reschedule_meeting(
        meeting=meeting,
        starts_at=meeting.starts_at + timedelta(days=1),
        duration_minutes=90,
        city="",
        address="",
        by=board_user,
    )
    rsvp = Rsvp.objects.get()
    assert rsvp.is_current is False

    services.set_rsvp(meeting=meeting, user=member_user, answer="maybe")

    rsvp = Rsvp.objects.get()
    assert (rsvp.answer, rsvp.is_current, rsvp.for_starts_at) == ("maybe", True, meeting.starts_at)


# --- Answer links from mails -------------------------------------------------


def test_opening_an_answer_link_records_nothing_until_the_button(client, member_user, meeting):
    url = reverse("sessions_app:answer_link", args=[make_answer_token(meeting=meeting, user=member_user)])

    page = client.get(url + "?antwoord=yes")

    assert page.status_code == 200
    assert page.context["form"].initial == {"answer": "yes"}
    assert Rsvp.objects.count() == 0

    client.post(url, {"answer": "yes"})
    assert list(Rsvp.objects.values_list("user_id", "answer")) == [(member_user.pk, "yes")]


def test_answer_link_of_a_moved_meeting_is_refused(client, member_user, meeting, board_user):
    url = reverse("sessions_app:answer_link", args=[make_answer_token(meeting=meeting, user=member_user)])
    services.reschedule_meeting(
        meeting=meeting,
        starts_at=meeting.starts_at + timedelta(hours=2),
        duration_minutes=90,
        city="",
        address="",
        by=board_user,
    )

    response = client.post(url, {"answer": "yes"})

    assert response.status_code == 410
    assert "Deze sessie is verplaatst" in response.content.decode()
    assert Rsvp.objects.count() == 0


def test_tampered_answer_link_is_refused(client, member_user, meeting):
    token = make_answer_token(meeting=meeting, user=member_user)

    response = client.post(reverse("sessions_app:answer_link", args=[token[:-2] + "xx"]), {"answer": "yes"})

    assert response.status_code == 410
    assert "Deze antwoordlink is niet geldig." in response.content.decode()
    assert Rsvp.objects.count() == 0


def test_answer_link_after_the_start_is_refused(client, member_user, db):
    started = MeetingFactory(starts_at=timezone.now() - timedelta(minutes=5))
    url = reverse("sessions_app:answer_link", args=[make_answer_token(meeting=started, user=member_user)])

    response = client.get(url)

    assert response.status_code == 410
    assert Rsvp.objects.count() == 0


def test_someone_elses_answer_link_is_refused_when_logged_in(client_for, member_user, members, meeting):
    url = reverse("sessions_app:answer_link", args=[make_answer_token(meeting=meeting, user=members[0])])

    response = client_for(member_user).post(url, {"answer": "no", "reason": "x"})

    assert response.status_code == 410
    assert Rsvp.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_double_submitted_answer_makes_one_row_on_postgresql(member_user):
    requires_postgresql()
    meeting = MeetingFactory()

    results = run_concurrently(lambda: services.set_rsvp(meeting=meeting, user=member_user, answer="yes"), 6)

    assert [kind for kind, _ in results] == ["ok"] * 6
    assert Rsvp.objects.filter(meeting=meeting, user=member_user).count() == 1


def test_answer_counts_leave_out_deactivated_people(member_user, meeting):
    from sessions_app import selectors

    from ..factories import UserFactory

    gone = UserFactory(name="Gert Gestopt", email="gert@example.nl", roles=["Deelnemer"])
    services.set_rsvp(meeting=meeting, user=member_user, answer=Rsvp.Answer.YES, reason="")
    services.set_rsvp(meeting=meeting, user=gone, answer=Rsvp.Answer.YES, reason="")
    gone.is_active = False
    gone.save()

    assert selectors.answer_counts(meeting) == {"yes": 1, "no": 0, "maybe": 0}
