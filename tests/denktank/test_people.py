"""The board manages people: the list, roles, deactivation, invitations and two-factor resets."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from denktank import selectors, services
from denktank.exceptions import (
    AccountAlreadyActive,
    LastBoardMember,
    NoOpenInvitation,
    NoRoleToInviteAs,
    NoTwoFactor,
    PersonInactive,
)
from denktank.models import AuditEntry, Invitation, OutgoingMail, Role, User
from documents import selectors as documents_selectors
from documents.models import Section
from sessions_app import selectors as sessions_selectors
from sessions_app import services as sessions_services
from sessions_app.models import Meeting, Rsvp

from ..conftest import PASSWORD
from ..factories import UserFactory
from ..pages import visible_text


def roles_of(user):
    return sorted(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def audit_actions(person):
    return list(
        AuditEntry.objects.filter(target_id=str(person.pk)).order_by("pk").values_list("action", "data", "actor__name")
    )


@pytest.fixture
def member(db):
    return UserFactory(name="Anna de Vries", email="anna@example.nl", roles=[Role.DEELNEMER])


@pytest.fixture
def second_board(db):
    return UserFactory(name="Ben Bestuur", email="ben@example.nl", roles=[Role.BESTUUR], totp=True)


# --- Roles ----------------------------------------------------------------------------------


def test_set_roles_changes_groups_and_records_both_lists(board_user, member):
    before, after = services.set_roles(person=member, roles=[Role.WERVING, Role.DEELNEMER], by=board_user)

    assert (before, after) == (["Deelnemer"], ["Deelnemer", "Werving"])
    assert roles_of(member) == ["Deelnemer", "Werving"]
    assert member.roles == {"Deelnemer", "Werving"}
    assert audit_actions(member) == [
        ("person.roles_changed", {"before": ["Deelnemer"], "after": ["Deelnemer", "Werving"]}, "Bea Bestuur")
    ]


def test_set_roles_to_the_same_roles_changes_and_records_nothing(board_user, member):
    assert services.set_roles(person=member, roles=[Role.DEELNEMER], by=board_user) == (["Deelnemer"], ["Deelnemer"])
    assert audit_actions(member) == []


def test_last_board_member_cannot_demote_themselves(board_user):
    with pytest.raises(LastBoardMember):
        services.set_roles(person=board_user, roles=[Role.DEELNEMER], by=board_user)

    assert roles_of(board_user) == ["Bestuur"]
    assert audit_actions(board_user) == []


def test_board_member_may_step_down_while_another_remains(board_user, second_board):
    services.set_roles(person=board_user, roles=[Role.WERVING], by=board_user)

    assert roles_of(board_user) == ["Werving"]


@pytest.mark.parametrize("who_else", ["invited", "deactivated"])
def test_board_members_who_cannot_log_in_do_not_count_as_remaining(board_user, who_else):
    if who_else == "invited":
        services.invite_person(name="Nieuw", email="nieuw@example.nl", role=Role.BESTUUR, invited_by=board_user)
    else:
        UserFactory(roles=[Role.BESTUUR], is_active=False)

    with pytest.raises(LastBoardMember):
        services.set_roles(person=board_user, roles=[Role.DEELNEMER], by=board_user)
    with pytest.raises(LastBoardMember):
        services.deactivate_person(person=board_user, by=board_user)


# --- Deactivation ------------------------------------------------------------------------------


def test_deactivated_person_is_logged_out_and_cannot_log_in(client, board_user, member):
    client.force_login(member)
    assert client.get(reverse("home")).status_code == 200

    services.deactivate_person(person=member, by=board_user)

    assert client.get(reverse("sessions_app:calendar")).url == "/account/login/?next=/sessies/"
    login = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert login.url == reverse("account_inactive")
    assert audit_actions(member)[-1] == ("person.deactivated", {}, "Bea Bestuur")


def test_deactivated_person_keeps_authorship_and_answers_but_gets_nothing_more(board_user, member, mp_user):
    section = Section.objects.get(title="Inleiding")
    section.owners.add(member)
    meeting = Meeting.objects.filter(is_physical=True).order_by("starts_at").last()
    sessions_services.set_rsvp(meeting=meeting, user=member, answer=Rsvp.Answer.YES)
    sessions_services.set_rsvp(meeting=meeting, user=mp_user, answer=Rsvp.Answer.YES)

    services.deactivate_person(person=member, by=board_user)
    services.deactivate_person(person=mp_user, by=board_user)

    assert list(section.owners.all()) == [member]
    assert Rsvp.objects.filter(user=member).count() == 1
    # Reminders and "who is coming" take their people from participants; digests and
    # publication mails from active owners and readers; Kamerlid updates from the recipients.
    assert list(sessions_selectors.participants(meeting)) == []
    assert list(documents_selectors.publication_readers()) == []
    assert list(selectors.kamerlid_recipients()) == []


def test_last_board_member_cannot_deactivate_themselves(board_user):
    with pytest.raises(LastBoardMember):
        services.deactivate_person(person=board_user, by=board_user)

    board_user.refresh_from_db()
    assert board_user.is_active is True


def test_board_member_may_deactivate_another_while_one_remains(board_user, second_board):
    services.deactivate_person(person=second_board, by=board_user)

    assert User.objects.get(pk=second_board.pk).is_active is False
    with pytest.raises(LastBoardMember):
        services.deactivate_person(person=board_user, by=board_user)


def test_reactivated_person_logs_in_again(client, board_user, member):
    services.deactivate_person(person=member, by=board_user)

    services.reactivate_person(person=member, by=board_user)

    assert client.login(email=member.email, password=PASSWORD) is True
    assert [action for action, _data, _actor in audit_actions(member)][:2] == [
        "person.deactivated",
        "person.reactivated",
    ]


# --- Invitations --------------------------------------------------------------------------------


@pytest.fixture
def invited(board_user):
    return services.invite_person(
        name="Karel Kamer", email="karel@example.nl", role=Role.KAMERLID, invited_by=board_user
    ).user


def test_resend_invitation_sends_a_new_link_with_the_same_role(board_user, invited):
    first = Invitation.objects.get()

    new = services.resend_invitation(person=invited, by=board_user)

    first.refresh_from_db()
    assert (new.role, new.is_usable, first.is_usable) == (Role.KAMERLID, True, False)
    assert OutgoingMail.objects.filter(to="karel@example.nl").count() == 2


def test_resend_after_a_role_change_invites_with_the_new_role(board_user, invited):
    services.set_roles(person=invited, roles=[Role.DEELNEMER], by=board_user)

    new = services.resend_invitation(person=invited, by=board_user)

    assert (new.role, roles_of(invited)) == (Role.DEELNEMER, ["Deelnemer"])
    assert "met de rol Deelnemer." in OutgoingMail.objects.order_by("-pk").first().body_text


def test_resend_to_someone_without_a_role_is_refused(board_user, invited):
    invited.groups.clear()

    with pytest.raises(NoRoleToInviteAs):
        services.resend_invitation(person=invited, by=board_user)
    assert Invitation.objects.count() == 1


def test_resend_is_refused_for_someone_who_logs_in(board_user, member):
    with pytest.raises(AccountAlreadyActive):
        services.resend_invitation(person=member, by=board_user)
    assert Invitation.objects.count() == 0


def test_withdrawn_invitation_stops_working_and_the_unused_account_is_deactivated(board_user, invited, client):
    token = re.search(r"/uitnodiging/([^/]+)/", OutgoingMail.objects.get().body_text).group(1)

    assert services.withdraw_invitation(person=invited, by=board_user) == 1

    invited.refresh_from_db()
    assert invited.is_active is False
    assert client.get(reverse("invitation_accept", kwargs={"token": token})).status_code == 410
    assert audit_actions(invited)[-1] == ("invitation.withdrawn", {"deactivated": True}, "Bea Bestuur")
    with pytest.raises(NoOpenInvitation):
        services.withdraw_invitation(person=invited, by=board_user)
    with pytest.raises(PersonInactive):
        services.resend_invitation(person=invited, by=board_user)


# --- Two-factor reset ------------------------------------------------------------------------------


def test_reset_two_factor_removes_authenticators_mails_and_asks_for_set_up_at_login(client, board_user, second_board):
    RecoveryCodes.activate(second_board)

    assert services.reset_two_factor(person=second_board, by=board_user) == 2

    assert Authenticator.objects.filter(user=second_board).count() == 0
    assert audit_actions(second_board) == [
        ("person.two_factor_reset", {"removed": ["recovery_codes", "totp"]}, "Bea Bestuur")
    ]
    sent = OutgoingMail.objects.get(to="ben@example.nl")
    assert sent.subject == "[Denktank] Je tweestapsverificatie is gereset"
    assert "Bea Bestuur van het bestuur heeft je tweestapsverificatie gereset" in sent.body_text
    assert "Je rol vraagt om tweestapsverificatie" in sent.body_text
    # The next login needs only the password, and then sets up two-factor before anything else.
    login = client.post(reverse("account_login"), {"login": second_board.email, "password": PASSWORD})
    assert login.url == "/"
    assert client.get("/").url == reverse("mfa_activate_totp")


def test_reset_two_factor_of_someone_without_it_is_refused(board_user, member):
    with pytest.raises(NoTwoFactor):
        services.reset_two_factor(person=member, by=board_user)
    assert OutgoingMail.objects.count() == 0


# --- The list ------------------------------------------------------------------------------------------


def test_people_list_shows_every_account_with_its_state(client_for, board_user, member, invited):
    old = UserFactory(name="Oud Lid", email="oud@example.nl", roles=[Role.DEELNEMER], is_active=False)
    services.invite_person(name="Verlopen", email="verlopen@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    Invitation.objects.filter(user__email="verlopen@example.nl").update(expires_at=timezone.now() - timedelta(days=1))
    Invitation.objects.create(
        user=member,
        role=Role.DEELNEMER,
        token_hash="x",
        expires_at=timezone.now() - timedelta(days=30),
        accepted_at=timezone.now() - timedelta(days=40),
    )
    User.objects.filter(pk=board_user.pk).update(last_login=timezone.now())

    response = client_for(board_user).get(reverse("people"))

    rows = [
        (p.name, sorted(g.name for g in p.groups.all()), p.is_active, p.two_factor, p.invitation_status)
        for p in response.context["people"]
    ]
    assert rows == [
        ("Anna de Vries", ["Deelnemer"], True, False, "accepted"),
        ("Bea Bestuur", ["Bestuur"], True, True, ""),
        ("Karel Kamer", ["Kamerlid"], True, False, "open"),
        ("Oud Lid", ["Deelnemer"], False, False, ""),
        ("Verlopen", ["Deelnemer"], True, False, "expired"),
    ]
    text = visible_text(response)
    assert "5 mensen" in text
    # Name, address, roles, account, two-factor, last login, invitation (phones label each from data-label).
    assert "Anna de Vries anna@example.nl Deelnemer actief uit nooit geaccepteerd" in text
    assert "Oud Lid oud@example.nl Deelnemer gedeactiveerd uit nooit niet uitgenodigd" in text
    assert "Verlopen verlopen@example.nl Deelnemer actief uit nooit verlopen" in text
    assert 'data-label="Tweestapsverificatie"' in response.content.decode()
    assert old.pk in [p.pk for p in response.context["people"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"role": "Kamerlid"}, ["Karel Kamer"]),
        ({"q": "ANNA"}, ["Anna de Vries"]),
        ({"q": "example.nl bea"}, ["Bea Bestuur"]),
        ({"status": "inactive"}, ["Oud Lid"]),
        ({"status": "active", "role": "Deelnemer"}, ["Anna de Vries"]),
        ({"role": "Onzin", "status": "x"}, ["Anna de Vries", "Bea Bestuur", "Karel Kamer", "Oud Lid"]),
    ],
)
def test_people_list_filters(client_for, board_user, member, invited, query, expected):
    UserFactory(name="Oud Lid", roles=[Role.DEELNEMER], is_active=False)

    response = client_for(board_user).get(reverse("people"), query)

    assert [p.name for p in response.context["people"]] == expected


def test_people_list_pages_keep_the_filters(client_for, board_user):
    for number in range(55):
        UserFactory(name=f"Lid {number:02d}", roles=[Role.DEELNEMER])

    response = client_for(board_user).get(reverse("people"), {"role": "Deelnemer"})

    assert len(response.context["people"]) == 50
    assert 'href="?role=Deelnemer&amp;page=2"' in response.content.decode()


def test_people_list_runs_the_same_number_of_queries_for_1_and_3_people(client_for, board_user):
    client = client_for(board_user)
    client.get(reverse("home"))  # the first request of a board session stores its activity time
    counts = []
    for total in (1, 3):
        User.objects.exclude(pk=board_user.pk).delete()
        for number in range(total - 1):
            person = UserFactory(roles=[Role.DEELNEMER, Role.WERVING], totp=True)
            services.invite_person(name="X", email=f"x{number}@example.nl", role=Role.KAMERLID, invited_by=board_user)
            RecoveryCodes.activate(person)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("people"))
        assert len(response.context["people"]) == total + (total - 1)  # the invited ones too
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- The person page and its actions ------------------------------------------------------------


def test_person_page_shows_the_actions_that_apply(client_for, board_user, invited):
    response = client_for(board_user).get(reverse("person", args=[invited.pk]))

    text = visible_text(response)
    assert "Karel Kamer" in text and "nog geen wachtwoord gekozen" in text
    assert "Nieuwe link sturen" in text and "Uitnodiging intrekken" in text
    assert "Niet ingesteld." in text
    assert "Uitnodiging verstuurd" in text  # the history


def test_role_change_and_one_click_back(client_for, board_user, member):
    client = client_for(board_user)

    changed = client.post(reverse("person_roles", args=[member.pk]), {"roles": ["Bestuur"]})

    assert changed.url == reverse("person", args=[member.pk])
    assert [str(m) for m in get_messages(changed.wsgi_request)] == ["Anna de Vries heeft nu de rol(len): Bestuur."]
    page = client.get(changed.url)
    assert "Terugzetten naar: Deelnemer" in visible_text(page)
    undo = re.search(
        r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">\s*'
        r'<input type="hidden" name="roles" value="([^"]+)">',
        page.content.decode(),
    ).groups()
    assert undo == (reverse("person_roles", args=[member.pk]), "Deelnemer")

    client.post(undo[0], {"roles": [undo[1]]})

    assert roles_of(member) == ["Deelnemer"]
    # Changing back is itself a change, which can be changed back in turn.
    assert "Terugzetten naar: Bestuur" in visible_text(client.get(changed.url))


def test_first_role_is_not_offered_back_to_no_role(client_for, board_user):
    roleless = UserFactory(name="Zonder Rol")
    client = client_for(board_user)

    client.post(reverse("person_roles", args=[roleless.pk]), {"roles": ["Deelnemer"]})

    assert "Terugzetten naar" not in visible_text(client.get(reverse("person", args=[roleless.pk])))


def test_role_change_without_a_role_is_refused_with_a_dutch_message(client_for, board_user, member):
    response = client_for(board_user).post(reverse("person_roles", args=[member.pk]), {})

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Kies minstens één rol. Wil je dat iemand niet meer kan inloggen, deactiveer die persoon dan."
    ]
    assert roles_of(member) == ["Deelnemer"]


def test_last_board_member_is_told_why_demotion_is_refused(client_for, board_user):
    response = client_for(board_user).post(reverse("person_roles", args=[board_user.pk]), {"roles": ["Deelnemer"]})

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Dan blijft er geen actief bestuurslid over dat kan inloggen, en kan niemand het platform nog beheren. "
        "Geef eerst iemand anders de rol Bestuur."
    ]
    assert roles_of(board_user) == ["Bestuur"]


def test_deactivate_and_reactivate_through_the_page(client_for, board_user, member):
    client = client_for(board_user)

    client.post(reverse("person_active", args=[member.pk]), {"active": "0"})
    assert User.objects.get(pk=member.pk).is_active is False
    client.post(reverse("person_active", args=[member.pk]), {"active": "1"})
    assert User.objects.get(pk=member.pk).is_active is True


def test_invitation_actions_through_the_page(client_for, board_user, invited):
    client = client_for(board_user)

    resent = client.post(reverse("person_invitation", args=[invited.pk]), {"action": "resend"})
    withdrawn = client.post(reverse("person_invitation", args=[invited.pk]), {"action": "withdraw"})

    assert [str(m) for m in get_messages(resent.wsgi_request)] == [
        "Er is een nieuwe uitnodiging onderweg naar karel@example.nl."
    ]
    assert [str(m) for m in get_messages(withdrawn.wsgi_request)][-1:] == [
        "De uitnodigingslink werkt niet meer en het account, dat nooit is gebruikt, is gedeactiveerd. Wil je "
        "Karel Kamer toch uitnodigen: activeer het account weer en stuur de uitnodiging opnieuw."
    ]
    assert Invitation.objects.filter(expires_at__gt=timezone.now()).count() == 0


def test_two_factor_reset_through_the_page(client_for, board_user, second_board):
    response = client_for(board_user).post(reverse("person_two_factor", args=[second_board.pk]))

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "De tweestapsverificatie van Ben Bestuur is gereset, en diegene heeft daarover een mail gekregen."
    ]
    assert Authenticator.objects.filter(user=second_board).count() == 0


PAGES = ["people", "people_import"]
PERSON_PAGES = ["person"]
PERSON_POSTS = ["person_roles", "person_active", "person_invitation", "person_two_factor"]


@pytest.mark.parametrize("fixture", ["mp_user", "member_user", "recruiter_user"])
def test_people_pages_are_for_the_board_only(client_for, request, member, fixture):
    client = client_for(request.getfixturevalue(fixture))
    before = (roles_of(member), User.objects.get(pk=member.pk).is_active)

    statuses = [client.get(reverse(name)).status_code for name in PAGES]
    statuses += [client.post(reverse("people_import")).status_code]
    statuses += [client.get(reverse(name, args=[member.pk])).status_code for name in PERSON_PAGES]
    statuses += [
        client.post(reverse(name, args=[member.pk]), {"roles": ["Bestuur"], "active": "0"}).status_code
        for name in PERSON_POSTS
    ]

    assert statuses == [403] * 8
    assert (roles_of(member), User.objects.get(pk=member.pk).is_active) == before


def test_people_pages_send_anonymous_visitors_to_login(client, member):
    urls = [reverse(name) for name in PAGES] + [reverse(name, args=[member.pk]) for name in PERSON_PAGES + PERSON_POSTS]

    assert [client.get(url).url for url in urls] == [f"/account/login/?next={url}" for url in urls]


def test_person_actions_answer_get_with_405_and_a_missing_person_with_404(client_for, board_user):
    client = client_for(board_user)

    assert [client.get(reverse(name, args=[board_user.pk])).status_code for name in PERSON_POSTS] == [405] * 4
    assert client.get(reverse("person", args=[999])).status_code == 404
    assert client.post(reverse("person_active", args=[999]), {"active": "0"}).status_code == 404


# --- The two-factor page does not offer what the role forbids -------------------------------------


@pytest.mark.parametrize(("fixture", "offered"), [("board_user", False), ("recruiter_user", False), (None, True)])
def test_two_factor_page_offers_deactivation_only_where_the_role_allows_it(client_for, request, fixture, offered):
    user = request.getfixturevalue(fixture) if fixture else UserFactory(roles=[Role.DEELNEMER], totp=True)

    response = client_for(user).get(reverse("mfa_index"))

    content = response.content.decode()
    assert (reverse("mfa_deactivate_totp") in content) is offered
    assert ("Je rol vraagt om tweestapsverificatie, dus die blijft aan." in visible_text(response)) is not offered


def test_the_board_dashboard_counts_active_people_per_role_in_words(client_for, board_user, member_user, mp_user):
    UserFactory(roles=[Role.DEELNEMER], is_active=False)

    response = client_for(board_user).get(reverse("home"))

    assert response.context["people_by_role"] == [
        ("Bestuur", "Bestuur", 1),
        ("Werving", "Werving", 0),
        ("Deelnemer", "Deelnemer", 1),
        ("Kamerlid", "Kamerlid", 1),
    ]
    assert "?role=Kamerlid&amp;status=active" in response.content.decode()
    # The words are the role labels, in the reader's language; the stored names happen to be Dutch.
    with translation.override("en"):
        in_english = [str(label) for _, label, _ in selectors.dashboard_context(user=board_user)["people_by_role"]]
    assert in_english == ["Board", "Recruiter", "Member", "Member of parliament"]


@pytest.mark.parametrize("data", [{}, {"active": ""}, {"active": "ja"}])
def test_an_unreadable_active_choice_says_what_to_choose_and_changes_nothing(client_for, board_user, member_user, data):
    response = client_for(board_user).post(reverse("person_active", args=[member_user.pk]), data, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Kies of je wilt deactiveren of weer activeren."
    ]
    member_user.refresh_from_db()
    assert member_user.is_active is True
