"""Guests of the final presentation: double opt-in, places and the waiting list, reminders, reactions and the purge."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from denktank.models import AuditEntry, OutgoingMail
from documents.models import ReportVersion
from sessions_app import selectors, services, tasks
from sessions_app.exceptions import (
    ConfirmLinkExpired,
    GuestAttendanceTooEarly,
    GuestLinkInvalid,
    NotAllowedToReact,
    PresentationStarted,
    ReactionsClosed,
    RegistrationClosed,
    RegistrationNeedsPlaces,
)
from sessions_app.links import CONFIRM_SALT, make_guest_token, read_confirm_token, read_guest_token
from sessions_app.models import Guest, GuestReminder, Reaction

from .conftest import SignedLongAgo, confirmed, register

CONFIRM_LINK = re.compile(r"http://testserver/sessies/eindpresentatie/bevestigen/[^/\s]+/")
GUEST_LINK = re.compile(r"http://testserver/sessies/eindpresentatie/gast/[^/\s]+/")


def mails(to=None):
    rows = OutgoingMail.objects.order_by("pk")
    if to:
        rows = rows.filter(to=to)
    return list(rows)


def statuses(presentation):
    return list(presentation.guests.order_by("pk").values_list("email", "status"))


# --- Double opt-in ---------------------------------------------------------------


def test_a_registration_counts_only_after_the_address_is_confirmed(presentation):
    guest = register(presentation, email="  Gerda@Example.org ")

    assert (guest.email, guest.status, guest.confirmed_at) == ("gerda@example.org", "unconfirmed", None)
    assert selectors.guest_counts(presentation) == {"unconfirmed": 1, "confirmed": 0, "waiting": 0, "cancelled": 0}
    [mail] = mails()
    assert (mail.to, mail.subject, mail.sensitive) == (
        "gerda@example.org",
        "[Denktank] Bevestig je aanmelding: Eindpresentatie",
        True,
    )
    assert mail.attachments == []
    link = CONFIRM_LINK.search(mail.body_text).group(0)
    assert read_confirm_token(link.rsplit("/", 2)[1]) == guest
    assert "binnen 7 dagen" in mail.body_text


def test_confirming_gives_a_place_and_mails_the_calendar_file_with_a_cancel_link(presentation):
    guest = services.confirm_guest(guest=register(presentation))

    assert guest.status == "confirmed"
    assert guest.confirmed_at is not None
    placed = mails()[-1]
    assert placed.subject == "[Denktank] Je hebt een plek: Eindpresentatie"
    [ics] = placed.attachments
    assert ics["mimetype"] == "text/calendar"
    assert "SUMMARY:Denktank: Eindpresentatie" in ics["content"]
    assert "DTSTART;TZID=Europe/Amsterdam:20270302T193000" in ics["content"]
    guest_link = GUEST_LINK.search(placed.body_text).group(0)
    assert read_guest_token(guest_link.rsplit("/", 2)[1]) == guest
    # The calendar entry points guests to their own page, not the members' meeting page.
    assert "URL:" + guest_link in ics["content"].replace("\r\n ", "")
    assert "aanwezigheid wordt verwacht" not in placed.body_text


def test_confirming_twice_changes_nothing_and_sends_nothing_more(presentation):
    guest = services.confirm_guest(guest=register(presentation))
    count = OutgoingMail.objects.count()

    again = services.confirm_guest(guest=guest)

    assert (again.status, again.confirmed_at) == ("confirmed", guest.confirmed_at)
    assert OutgoingMail.objects.count() == count


def test_beyond_the_places_confirmed_guests_go_on_the_waiting_list_in_their_order(presentation):
    presentation.capacity = 2
    presentation.save()
    guests = [register(presentation, email=f"gast{n}@example.org", name=f"Gast {n}") for n in range(1, 5)]

    for guest in guests:
        services.confirm_guest(guest=guest)

    assert [status for _, status in statuses(presentation)] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert [selectors.waiting_position(Guest.objects.get(pk=g.pk)) for g in guests] == [None, None, 1, 2]
    waiting_mail = mails("gast4@example.org")[-1]
    assert waiting_mail.subject == "[Denktank] Je staat op de wachtlijst: Eindpresentatie"
    assert "Je staat op nummer 2 van de wachtlijst." in waiting_mail.body_text
    assert waiting_mail.attachments == []


def test_cancelling_a_place_moves_the_first_waiting_guest_up_and_mails_them(presentation):
    presentation.capacity = 1
    presentation.save()
    first = confirmed(presentation, email="eerste@example.org", name="Eerste")
    second = confirmed(presentation, email="tweede@example.org", name="Tweede")
    third = confirmed(presentation, email="derde@example.org", name="Derde")

    moved_up = services.cancel_guest(guest=first)

    assert moved_up == [second]
    assert statuses(presentation) == [
        ("eerste@example.org", "cancelled"),
        ("tweede@example.org", "confirmed"),
        ("derde@example.org", "waiting"),
    ]
    assert selectors.waiting_position(Guest.objects.get(pk=third.pk)) == 1
    moved_mail = mails("tweede@example.org")[-1]
    assert moved_mail.subject == "[Denktank] Er is een plek vrijgekomen: Eindpresentatie"
    assert [a["mimetype"] for a in moved_mail.attachments] == ["text/calendar"]


def test_cancelling_from_the_waiting_list_moves_no_one_and_twice_changes_nothing(presentation):
    presentation.capacity = 1
    presentation.save()
    confirmed(presentation, email="eerste@example.org")
    waiting = confirmed(presentation, email="tweede@example.org")
    count = OutgoingMail.objects.count()

    assert services.cancel_guest(guest=waiting) == []
    assert services.cancel_guest(guest=waiting) == []

    assert statuses(presentation) == [("eerste@example.org", "confirmed"), ("tweede@example.org", "cancelled")]
    assert OutgoingMail.objects.count() == count


def test_more_places_move_the_waiting_list_up_and_fewer_take_no_place_away(presentation, board_user):
    presentation.capacity = 1
    presentation.save()
    for n in range(1, 4):
        confirmed(presentation, email=f"gast{n}@example.org")

    moved_up = services.update_presentation(
        presentation=presentation, registration_open=True, capacity=2, reactions_open=True, by=board_user
    )
    assert [g.email for g in moved_up] == ["gast2@example.org"]
    services.update_presentation(
        presentation=presentation, registration_open=True, capacity=1, reactions_open=True, by=board_user
    )

    assert [s for _, s in statuses(presentation)] == ["confirmed", "confirmed", "waiting"]
    entries = AuditEntry.objects.filter(action="presentation.updated").order_by("pk")
    assert [entry.data for entry in entries] == [{"capacity": 2}, {"capacity": 1}]


def test_opening_the_registration_without_places_is_refused(presentation, board_user):
    presentation.registration_open, presentation.capacity = False, 0
    presentation.save()

    with pytest.raises(RegistrationNeedsPlaces):
        services.update_presentation(
            presentation=presentation, registration_open=True, capacity=0, reactions_open=False, by=board_user
        )
    presentation.refresh_from_db()
    assert presentation.registration_open is False


def test_closed_registration_refuses_registering_and_confirming(presentation):
    guest = register(presentation)
    presentation.registration_open = False
    presentation.save()

    with pytest.raises(RegistrationClosed):
        register(presentation, email="later@example.org")
    with pytest.raises(RegistrationClosed):
        services.confirm_guest(guest=guest)
    assert statuses(presentation) == [("gerda@example.org", "unconfirmed")]


def test_nothing_changes_once_the_presentation_has_started(presentation, final_meeting):
    guest = confirmed(presentation)
    final_meeting.starts_at = timezone.now() - timedelta(minutes=5)
    final_meeting.save()

    with pytest.raises(PresentationStarted):
        services.cancel_guest(guest=guest)
    assert Guest.objects.get(pk=guest.pk).status == "confirmed"


# --- Duplicates ------------------------------------------------------------------


def test_registering_a_known_address_again_changes_nothing_and_mails_the_owner(presentation):
    guest = confirmed(presentation)
    before = mails()

    again = register(presentation, email="GERDA@example.org", name="Iemand Anders", organisation="Elders")

    assert again is None
    guest.refresh_from_db()
    assert (guest.name, guest.organisation, guest.status) == ("Gerda Gast", "Gemeente Delft", "confirmed")
    [notice] = mails()[len(before) :]
    assert (notice.to, notice.subject) == ("gerda@example.org", "[Denktank] Je bent al aangemeld: Eindpresentatie")
    assert "Je hebt een plek." in notice.body_text
    assert GUEST_LINK.search(notice.body_text)
    assert not CONFIRM_LINK.search(notice.body_text)


def test_registering_an_unconfirmed_address_again_mails_a_fresh_confirmation_link(presentation):
    guest = register(presentation)
    Guest.objects.filter(pk=guest.pk).update(registered_at=timezone.now() - timedelta(days=6))

    assert register(presentation) is None

    notice = mails()[-1]
    assert notice.subject == "[Denktank] Je bent al aangemeld: Eindpresentatie"
    token = CONFIRM_LINK.search(notice.body_text).group(0).rsplit("/", 2)[1]
    assert read_confirm_token(token) == guest
    # The new link's week counts from now: the purge of stale registrations waits for it.
    assert timezone.now() - Guest.objects.get(pk=guest.pk).registered_at < timedelta(minutes=1)


def test_a_cancelled_guest_registers_afresh_and_the_old_links_stop_working(presentation):
    guest = confirmed(presentation)
    old_token = make_guest_token(guest)
    services.cancel_guest(guest=guest)

    again = register(presentation, name="Gerda Opnieuw")

    assert again.pk == guest.pk
    assert (again.status, again.name, again.confirmed_at, again.cancelled_at) == (
        "unconfirmed",
        "Gerda Opnieuw",
        None,
        None,
    )
    with pytest.raises(GuestLinkInvalid):
        read_guest_token(old_token)
    assert mails()[-1].subject == "[Denktank] Bevestig je aanmelding: Eindpresentatie"


# --- Links -------------------------------------------------------------------------


def test_a_confirmation_link_expires_after_a_week_but_still_leads_a_confirmed_guest_home(presentation):
    guest = register(presentation)
    old_token = SignedLongAgo(salt=CONFIRM_SALT).sign_object({"g": guest.pk, "k": guest.key})

    with pytest.raises(ConfirmLinkExpired):
        read_confirm_token(old_token)
    services.confirm_guest(guest=guest)
    assert read_confirm_token(old_token) == guest


@pytest.mark.parametrize("token", ["kapot", "", "eyJnIjoxfQ:1u:abc", "x" * 500])
def test_a_broken_link_is_invalid(presentation, token):
    with pytest.raises(GuestLinkInvalid):
        read_guest_token(token)
    with pytest.raises(GuestLinkInvalid):
        read_confirm_token(token)


def test_a_personal_link_is_not_a_confirmation_link(presentation):
    guest = register(presentation)

    with pytest.raises(GuestLinkInvalid):
        read_confirm_token(make_guest_token(guest))


# --- Reminder ----------------------------------------------------------------------


def test_the_reminder_goes_the_day_before_once_to_each_guest_with_a_place(presentation, final_meeting):
    confirmed(presentation, email="plek@example.org")
    presentation.capacity = 1
    presentation.save()
    confirmed(presentation, email="wacht@example.org")
    register(presentation, email="onbevestigd@example.org")
    start = final_meeting.starts_at

    assert services.send_guest_reminders(now=start - timedelta(days=1, minutes=1)) == 0
    assert services.send_guest_reminders(now=start - timedelta(hours=23)) == 1
    assert services.send_guest_reminders(now=start - timedelta(hours=22)) == 0

    [reminder] = OutgoingMail.objects.filter(idempotency_key__contains=":reminder:")
    assert (reminder.to, reminder.subject) == ("plek@example.org", "[Denktank] Morgen om 19:30: Eindpresentatie")
    assert [a["mimetype"] for a in reminder.attachments] == ["text/calendar"]
    assert GUEST_LINK.search(reminder.body_text)
    assert list(GuestReminder.objects.values_list("guest__email", "for_starts_at")) == [("plek@example.org", start)]


def test_a_moved_presentation_gets_its_own_reminder_and_guests_hear_of_the_move(
    presentation, final_meeting, board_user
):
    guest = confirmed(presentation)
    services.send_guest_reminders(now=final_meeting.starts_at - timedelta(hours=2))
    new_start = final_meeting.starts_at + timedelta(days=7)

    services.reschedule_meeting(
        meeting=final_meeting,
        starts_at=new_start,
        duration_minutes=final_meeting.duration_minutes,
        city="Den Haag",
        address="Mauritskade 21",
        by=board_user,
    )
    assert services.send_guest_reminders(now=new_start - timedelta(hours=2)) == 1

    moved = OutgoingMail.objects.get(to=guest.email, idempotency_key__contains=":changed:moved:")
    assert moved.subject == "[Denktank] Nieuwe datum of plaats: Eindpresentatie"
    assert "Den Haag, Mauritskade 21" in moved.body_text
    assert GuestReminder.objects.filter(guest=guest).count() == 2


def test_a_cancelled_presentation_is_mailed_to_guests_and_sends_no_reminder(presentation, final_meeting, board_user):
    confirmed(presentation)
    register(presentation, email="onbevestigd@example.org")

    services.cancel_meeting(meeting=final_meeting, by=board_user)

    assert [m.to for m in OutgoingMail.objects.filter(idempotency_key__contains=":changed:cancelled:")] == [
        "gerda@example.org"
    ]
    assert services.send_guest_reminders(now=final_meeting.starts_at - timedelta(hours=2)) == 0


# --- Attendance ----------------------------------------------------------------------


def test_attendance_is_marked_from_the_day_of_the_presentation(presentation, final_meeting, board_user):
    here = confirmed(presentation, email="hier@example.org")
    away = confirmed(presentation, email="weg@example.org")

    with pytest.raises(GuestAttendanceTooEarly):
        services.record_guest_attendance(presentation=presentation, present_ids={here.pk}, by=board_user)
    final_meeting.starts_at = timezone.now() + timedelta(minutes=30)
    final_meeting.save()
    if timezone.localdate(final_meeting.starts_at) != timezone.localdate():
        pytest.skip("run just before midnight: the presentation would be tomorrow")

    assert services.record_guest_attendance(presentation=presentation, present_ids={here.pk}, by=board_user) == 1
    assert dict(presentation.guests.values_list("email", "attended")) == {here.email: True, away.email: False}
    assert AuditEntry.objects.get(action="presentation.attendance_recorded").data == {"present": 1}


# --- Reactions -----------------------------------------------------------------------


def test_a_guest_and_a_member_react_once_per_recommendation_and_can_change_it(
    presentation, recommendations, guest, member_user
):
    first = recommendations[0]
    services.save_reaction(recommendation=first, stance="support", comment="Goed plan", guest=guest)
    services.save_reaction(recommendation=first, stance="oppose", comment=" Toch niet ", guest=guest)
    services.save_reaction(recommendation=first, stance="reservation", user=member_user)

    rows = Reaction.objects.order_by("pk").values_list("respondent", "guest_id", "user_id", "stance", "comment")
    assert list(rows) == [
        ("guest", guest.pk, None, "oppose", "Toch niet"),
        ("member", None, member_user.pk, "reservation", ""),
    ]
    [item, other] = selectors.reaction_summary()
    assert (item.counts, item.total, [r.comment for r in item.comments]) == (
        {"support": 0, "reservation": 1, "oppose": 1},
        2,
        ["Toch niet"],
    )
    assert item.bars == [
        ("support", "Steun", 0, 0),
        ("reservation", "Steun met voorbehoud", 1, 50),
        ("oppose", "Tegen", 1, 50),
    ]
    assert other.total == 0


def test_a_changed_comment_is_no_longer_marked_as_taken_on(presentation, recommendations, guest, board_user):
    reaction = services.save_reaction(recommendation=recommendations[0], stance="support", comment="A", guest=guest)
    services.set_reaction_taken_on(reaction=reaction, taken_on=True, by=board_user)

    services.save_reaction(recommendation=recommendations[0], stance="oppose", comment="A", guest=guest)
    assert Reaction.objects.get(pk=reaction.pk).taken_on_by == board_user
    services.save_reaction(recommendation=recommendations[0], stance="oppose", comment="B", guest=guest)
    assert Reaction.objects.get(pk=reaction.pk).taken_on_at is None


def test_only_confirmed_guests_and_members_react(presentation, recommendations, mp_user, board_user):
    unconfirmed = register(presentation)

    for who in [{"guest": unconfirmed}, {"user": mp_user}, {"user": board_user}]:
        with pytest.raises(NotAllowedToReact):
            services.save_reaction(recommendation=recommendations[0], stance="support", **who)
    assert Reaction.objects.count() == 0


def test_reactions_close_when_the_board_closes_them_or_publishes_the_report(
    presentation, recommendations, guest, member_user, board_user
):
    ReportVersion.objects.create(number=1, published_by=board_user)
    with pytest.raises(ReactionsClosed):
        services.save_reaction(recommendation=recommendations[0], stance="support", user=member_user)

    # Reopening the report for changes opens reactions again, until the board closes them.
    ReportVersion.objects.update(reopened_at=timezone.now())
    services.save_reaction(recommendation=recommendations[0], stance="support", user=member_user)
    presentation.reactions_open = False
    presentation.save()
    with pytest.raises(ReactionsClosed):
        services.save_reaction(recommendation=recommendations[0], stance="oppose", guest=guest)
    assert list(Reaction.objects.values_list("stance", flat=True)) == ["support"]


# --- Purge -------------------------------------------------------------------------------


def test_guest_data_is_purged_four_weeks_after_the_presentation_and_reactions_stay_anonymous(
    presentation, final_meeting, recommendations, guest
):
    other = confirmed(presentation, email="ander@example.org", name="Anne Ander")
    services.save_reaction(recommendation=recommendations[0], stance="support", comment="Sterk punt", guest=guest)
    start = final_meeting.starts_at
    assert OutgoingMail.objects.filter(to=guest.email).exists()
    OutgoingMail.objects.update(status=OutgoingMail.Status.SENT)

    assert services.purge_guests(now=start + timedelta(days=27)) == 0
    assert services.purge_guests(now=start + timedelta(days=28, minutes=1)) == 2
    assert services.purge_guests(now=start + timedelta(days=29)) == 0

    assert Guest.objects.count() == 0
    reaction = Reaction.objects.get()
    assert (reaction.guest_id, reaction.user_id, reaction.respondent, reaction.stance, reaction.comment) == (
        None,
        None,
        "guest",
        "support",
        "Sterk punt",
    )
    assert OutgoingMail.objects.filter(to__in=[guest.email, other.email]).count() == 0
    presentation.refresh_from_db()
    assert presentation.guests_purged_at == start + timedelta(days=28, minutes=1)
    [entry] = AuditEntry.objects.filter(action="presentation.guests_purged")
    assert (entry.actor, entry.data, entry.target_repr) == (None, {"count": 2}, "")
    with pytest.raises(GuestLinkInvalid):
        read_guest_token(make_guest_token(guest))


def test_a_registration_left_unconfirmed_is_purged_after_a_week(presentation):
    stale = register(presentation, email="oud@example.org")
    fresh = register(presentation, email="nieuw@example.org")
    Guest.objects.filter(pk=stale.pk).update(registered_at=timezone.now() - timedelta(days=7, minutes=1))

    assert services.purge_guests() == 1

    assert list(Guest.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_both_sweeps_run_as_celery_tasks(presentation):
    confirmed(presentation)

    assert tasks.send_guest_reminders.apply().get() == 0
    assert tasks.purge_presentation_guests.apply().get() == 0
    assert Guest.objects.count() == 1
