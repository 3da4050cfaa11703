import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation.template import templatize

from denktank import outbox, services
from denktank.exceptions import AccountAlreadyActive, InvitationExpired, InvitationInvalid, InvitationUsed
from denktank.models import AuditEntry, Invitation, OutgoingMail, Role, User

from ..factories import UserFactory


def invitation_token(mail: OutgoingMail) -> str:
    return re.search(r"/uitnodiging/([^/]+)/", mail.body_text).group(1)


def test_invite_person_creates_account_role_and_mail(db, board_user):
    services.invite_person(name="Anna de Vries", email="Anna@Example.nl", role=Role.DEELNEMER, invited_by=board_user)

    user = User.objects.get(email="anna@example.nl")
    assert (user.name, sorted(user.roles), user.has_usable_password()) == ("Anna de Vries", ["Deelnemer"], False)
    mail = OutgoingMail.objects.get(to="anna@example.nl")
    assert mail.subject == "[Denktank] Je uitnodiging voor de denktank Vrijheid, Werk en AI"
    assert "Beste Anna de Vries," in mail.body_text
    assert AuditEntry.objects.filter(action="invitation.sent", actor=board_user, target_id=str(user.pk)).count() == 1


def test_invitation_link_works_once(client, board_user):
    services.invite_person(name="Anna de Vries", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    url = reverse("invitation_accept", kwargs={"token": invitation_token(OutgoingMail.objects.get())})

    assert client.get(url).status_code == 200
    response = client.post(url, {"password1": "Vrijheid-en-werk-2026", "password2": "Vrijheid-en-werk-2026"})
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(User.objects.get(email="anna@example.nl").pk)
    assert EmailAddress.objects.get(email="anna@example.nl").verified is True

    client.logout()
    second = client.get(url)
    assert second.status_code == 410
    assert "Deze uitnodigingslink is al gebruikt." in second.content.decode()


def test_accept_invitation_twice_raises_used(db, board_user):
    services.invite_person(name="Anna de Vries", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    token = invitation_token(OutgoingMail.objects.get())
    services.accept_invitation(token=token, password="Vrijheid-en-werk-2026")

    with pytest.raises(InvitationUsed):
        services.accept_invitation(token=token, password="Ander-wachtwoord-2026")
    assert User.objects.get(email="anna@example.nl").check_password("Vrijheid-en-werk-2026")


def test_expired_invitation_is_refused(client, board_user):
    services.invite_person(name="Anna de Vries", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    token = invitation_token(OutgoingMail.objects.get())
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(InvitationExpired):
        services.accept_invitation(token=token, password="Vrijheid-en-werk-2026")
    response = client.get(reverse("invitation_accept", kwargs={"token": token}))
    assert response.status_code == 410
    assert "Deze uitnodigingslink is verlopen." in response.content.decode()
    assert not User.objects.get(email="anna@example.nl").has_usable_password()


def test_unknown_token_is_refused(client, db):
    response = client.get(reverse("invitation_accept", kwargs={"token": "verzonnen"}))

    assert response.status_code == 410
    page = response.content.decode()
    assert "Deze uitnodigingslink is niet geldig." in page
    assert '<a class="btn btn-primary" href="/account/login/">Naar inloggen</a>' in page


def test_new_invitation_replaces_the_old_link(db, board_user):
    services.invite_person(name="Anna", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    old_token = invitation_token(OutgoingMail.objects.get())
    services.invite_person(name="Anna", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)

    with pytest.raises(InvitationExpired):
        services.get_invitation(token=old_token)
    assert Invitation.objects.count() == 2


def test_weak_password_is_refused_with_a_message(client, board_user):
    services.invite_person(name="Anna de Vries", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    url = reverse("invitation_accept", kwargs={"token": invitation_token(OutgoingMail.objects.get())})

    response = client.post(url, {"password1": "kort", "password2": "kort"})

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert Invitation.objects.get().accepted_at is None


def test_board_invites_a_pasted_list(client_for, board_user):
    client = client_for(board_user)

    response = client.post(
        reverse("invite"),
        {"role": Role.KAMERLID, "people": "Karin Kamer, karin@example.nl\nPiet Plein;piet@example.nl\n\n"},
    )

    assert response.status_code == 302
    assert sorted(User.objects.filter(groups__name="Kamerlid").values_list("email", flat=True)) == [
        "karin@example.nl",
        "piet@example.nl",
    ]
    assert OutgoingMail.objects.count() == 2


def test_pasted_list_with_an_error_invites_nobody(client_for, board_user):
    client = client_for(board_user)

    response = client.post(
        reverse("invite"), {"role": Role.DEELNEMER, "people": "Karin Kamer, karin@example.nl\nPiet zonder adres"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["people"] == ["Regel 2: vul een naam en een e-mailadres in."]
    assert not User.objects.filter(email="karin@example.nl").exists()
    assert OutgoingMail.objects.count() == 0


@pytest.mark.parametrize("fixture", ["recruiter_user", "member_user", "mp_user"])
def test_only_the_board_invites(client_for, request, fixture):
    client = client_for(request.getfixturevalue(fixture))

    response = client.post(reverse("invite"), {"role": Role.BESTUUR, "name": "Indringer", "email": "x@example.nl"})

    assert response.status_code == 403
    assert "Geen toegang" in response.content.decode()
    assert not User.objects.filter(email="x@example.nl").exists()


def test_reinvited_user_with_two_factor_must_log_in_with_a_code(client, board_user, recruiter_user):
    # Someone whose password was taken away (an account in use is never re-invited).
    recruiter_user.set_unusable_password()
    recruiter_user.save(update_fields=["password"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    services.invite_person(name="Wim", email="werving@example.nl", role=Role.WERVING, invited_by=board_user)
    url = reverse("invitation_accept", kwargs={"token": invitation_token(OutgoingMail.objects.get())})

    response = client.post(url, {"password1": "Vrijheid-en-werk-2026", "password2": "Vrijheid-en-werk-2026"})

    assert response.url == reverse("account_login")
    assert "_auth_user_id" not in client.session
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your password is set. Log in with your e-mail address, password and two-factor code."
    ]
    recruiter_user.refresh_from_db()
    assert recruiter_user.check_password("Vrijheid-en-werk-2026")
    assert Invitation.objects.get().accepted_at is not None


def test_invitation_of_a_deactivated_user_is_refused(client, board_user):
    services.invite_person(name="Anna de Vries", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    token = invitation_token(OutgoingMail.objects.get())
    User.objects.filter(email="anna@example.nl").update(is_active=False)

    response = client.get(reverse("invitation_accept", kwargs={"token": token}))
    with pytest.raises(InvitationInvalid):
        services.accept_invitation(token=token, password="Vrijheid-en-werk-2026")

    assert response.status_code == 410
    assert "Deze uitnodigingslink is niet geldig." in response.content.decode()
    user = User.objects.get(email="anna@example.nl")
    assert (user.is_active, user.has_usable_password()) == (False, False)
    assert Invitation.objects.get().accepted_at is None


def test_sent_invitation_keeps_no_link_and_cannot_be_resent(board_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_person(
            name="Anna de Vries", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user
        )

    row = OutgoingMail.objects.get()
    with translation.override("nl"):
        placeholder = str(outbox.SENSITIVE_BODY_REMOVED)
    assert (row.status, row.sensitive) == (OutgoingMail.Status.SENT, True)
    assert (row.body_text, row.body_html) == (placeholder, f"<p>{placeholder}</p>")
    assert "/uitnodiging/" in mail.outbox[0].body
    with pytest.raises(outbox.SensitiveMailNotResendable):
        outbox.resend_mail(mail=row, actor=board_user)
    assert OutgoingMail.objects.count() == 1


def test_invitation_mail_keeps_quotes_and_ampersands_in_the_text(db, board_user):
    services.invite_person(
        name="Anna 't Hart & Zn", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user
    )

    row = OutgoingMail.objects.get()
    assert row.body_text.splitlines()[0] == "Beste Anna 't Hart & Zn,"
    assert "Beste Anna &#x27;t Hart &amp; Zn," in row.body_html
    assert row.body_html.startswith('<!DOCTYPE html>\n<html lang="nl">')


def test_invitation_page_has_the_login_sentence_as_one_message():
    source = (settings.BASE_DIR / "denktank/templates/denktank/invitation_accept.html").read_text()

    assert "gettext(u'You log in with <strong>%(email)s</strong>.')" in templatize(source)


def active_account_error(name, email, roles):
    return (
        f"{name} ({email}) heeft al een account (rol: {roles}) en logt in met een eigen wachtwoord. "
        "Er gaat geen uitnodiging uit: die zou dat wachtwoord alleen maar vervangen. "
        "Wie het wachtwoord kwijt is, gebruikt “Wachtwoord vergeten?” op de inlogpagina."
    )


def test_inviting_an_active_account_says_so_and_changes_nothing(client_for, board_user, member_user):
    client = client_for(board_user)
    password_hash = member_user.password

    response = client.post(
        reverse("invite"), {"role": Role.BESTUUR, "name": "Dirk", "email": "Deelnemer@Example.nl", "people": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": [active_account_error("Dirk Deelnemer", "deelnemer@example.nl", "Deelnemer")]
    }
    member_user.refresh_from_db()
    assert (member_user.password, sorted(member_user.roles)) == (password_hash, ["Deelnemer"])
    assert (Invitation.objects.count(), OutgoingMail.objects.count()) == (0, 0)
    assert not AuditEntry.objects.filter(action="invitation.sent").exists()
    assert "Uitnodigingen versturen" in response.content.decode()


def test_pasted_list_with_an_active_account_invites_nobody(client_for, board_user, mp_user):
    client = client_for(board_user)

    response = client.post(
        reverse("invite"),
        {"role": Role.KAMERLID, "people": "Piet Plein, piet@example.nl\nKarin Kamerlid, kamerlid@example.nl"},
    )

    assert response.context["form"].errors == {
        "people": [active_account_error("Karin Kamerlid", "kamerlid@example.nl", "Kamerlid")]
    }
    assert not User.objects.filter(email="piet@example.nl").exists()
    assert (Invitation.objects.count(), OutgoingMail.objects.count()) == (0, 0)


def test_invite_person_refuses_an_active_account(db, board_user):
    with pytest.raises(AccountAlreadyActive) as error:
        services.invite_person(name="Bea", email="bestuur@example.nl", role=Role.DEELNEMER, invited_by=board_user)

    assert error.value.message == active_account_error("Bea Bestuur", "bestuur@example.nl", "Bestuur")
    assert sorted(User.objects.get(email="bestuur@example.nl").roles) == ["Bestuur"]
    assert (Invitation.objects.count(), OutgoingMail.objects.count()) == (0, 0)


def test_account_that_never_set_a_password_can_be_invited_again(client_for, board_user):
    services.invite_person(name="Anna", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)

    response = client_for(board_user).post(
        reverse("invite"), {"role": Role.DEELNEMER, "name": "Anna", "email": "anna@example.nl", "people": ""}
    )

    assert response.status_code == 302
    assert (Invitation.objects.count(), OutgoingMail.objects.count()) == (2, 2)


def test_deactivated_account_can_be_invited_as_before(db, board_user):
    former = UserFactory(name="Oud Lid", email="oud@example.nl", roles=[Role.DEELNEMER], is_active=False)

    invitation = services.invite_person(
        name="Oud Lid", email="oud@example.nl", role=Role.DEELNEMER, invited_by=board_user
    )

    assert invitation.user == former
    assert OutgoingMail.objects.filter(to="oud@example.nl").count() == 1


def test_an_active_account_stored_with_capitals_is_found_too(client_for, board_user):
    UserFactory(name="Wim Hoofdletter", email="Wim.Hoofdletter@Example.nl", roles=[Role.DEELNEMER])

    response = client_for(board_user).post(
        reverse("invite"), {"role": Role.DEELNEMER, "name": "Wim", "email": "wim.hoofdletter@example.nl", "people": ""}
    )

    assert response.context["form"].errors == {
        "email": [active_account_error("Wim Hoofdletter", "Wim.Hoofdletter@Example.nl", "Deelnemer")]
    }
    assert Invitation.objects.count() == 0
