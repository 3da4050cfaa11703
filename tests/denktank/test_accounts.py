import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import DeactivateTOTPForm
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse
from django.utils import translation

from denktank import rules
from denktank.demo import DEMO_TOTP_SECRET, current_totp_counter
from denktank.models import AuditEntry, OutgoingMail, User
from denktank.outbox import SENSITIVE_BODY_REMOVED

from ..conftest import PASSWORD
from ..factories import UserFactory


def totp_code():
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current_totp_counter()))


def test_login_with_email_and_password_opens_the_dashboard(client, member_user):
    response = client.post(reverse("account_login"), {"login": "deelnemer@example.nl", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == member_user
    assert AuditEntry.objects.filter(action="login", actor=member_user).count() == 1


def test_login_with_wrong_password_is_refused_and_logged(client, member_user):
    response = client.post(reverse("account_login"), {"login": "deelnemer@example.nl", "password": "fout"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(action="login.failed")
    assert entry.data == {"email": "deelnemer@example.nl"}


def test_signup_is_closed(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "nieuw@example.nl", "password1": "een-lang-wachtwoord", "password2": "een-lang-wachtwoord"},
    )

    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.filter(email="nieuw@example.nl").exists()


@pytest.mark.parametrize("fixture", ["board_user", "recruiter_user"])
def test_board_and_recruiters_must_answer_a_totp_code(db, client, request, fixture):
    user = request.getfixturevalue(fixture)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize("fixture", ["board_user", "recruiter_user"])
def test_board_and_recruiters_without_totp_are_sent_to_set_it_up(client_for, request, fixture):
    user = request.getfixturevalue(fixture)
    Authenticator.objects.filter(user=user).delete()
    client = client_for(user)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    # Setting it up asks for the password again, and that page is reachable.
    setup = client.get(reverse("mfa_activate_totp"), follow=True)
    assert setup.redirect_chain == [("/account/reauthenticate/?next=%2Faccount%2F2fa%2Ftotp%2Factivate%2F", 302)]
    assert setup.status_code == 200


@pytest.mark.parametrize("fixture", ["member_user", "mp_user"])
def test_members_and_mps_need_no_totp(client_for, request, fixture):
    client = client_for(request.getfixturevalue(fixture))

    assert client.get(reverse("home")).status_code == 200


def test_board_cannot_remove_their_authenticator(board_user):
    form = DeactivateTOTPForm({}, authenticator=Authenticator.objects.get(user=board_user))

    assert form.is_valid() is False
    assert Authenticator.objects.filter(user=board_user, type=Authenticator.Type.TOTP).count() == 1


def test_member_can_remove_their_authenticator(member_user):
    authenticator = Authenticator.objects.create(user=member_user, type=Authenticator.Type.TOTP, data={"secret": "x"})

    assert DeactivateTOTPForm({}, authenticator=authenticator).is_valid() is True


def test_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain == [
        ("/admin/login/?next=/admin/", 302),
        ("/account/login/?next=%2Fadmin%2F", 302),
    ]


def test_password_reset_mail_goes_through_the_outbox(client, member_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "deelnemer@example.nl"})

    row = OutgoingMail.objects.get()
    assert (row.to, row.status, row.sensitive) == ("deelnemer@example.nl", OutgoingMail.Status.SENT, True)
    assert len(mail.outbox) == 1
    assert "/account/password/reset/key/" in mail.outbox[0].body
    # The reset link left with the mail; the outbox keeps only a placeholder.
    with translation.override("nl"):
        placeholder = str(SENSITIVE_BODY_REMOVED)
    assert (row.body_text, row.body_html) == (placeholder, "")


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_staff_and_superusers_without_a_role_must_set_up_two_factor(client_for, db, flag):
    user = UserFactory(**{flag: True})
    client = client_for(user)

    response = client.get(reverse("home"))

    assert rules.requires_two_factor(user) is True
    assert (response.status_code, response.url) == (302, reverse("mfa_activate_totp"))


def test_email_management_is_rate_limited_with_our_limit(client_for, member_user):
    client = client_for(member_user)

    statuses = [
        client.post(reverse("account_email"), {"action_add": "", "email": f"nieuw{n}@example.nl"}).status_code
        for n in range(6)
    ]

    # Our limit is 5 a minute (allauth's own default is 10).
    assert statuses[5] == 429
    assert len(set(statuses[:5]) - {200, 302}) == 0


def test_audit_log_takes_the_client_address_behind_a_trusted_proxy(client, member_user, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    client.post(
        reverse("account_login"),
        {"login": "deelnemer@example.nl", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )

    assert AuditEntry.objects.get(action="login").ip_address == "203.0.113.7"


def test_audit_log_ignores_forwarded_for_without_a_trusted_proxy(client, member_user):
    client.post(
        reverse("account_login"),
        {"login": "deelnemer@example.nl", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )

    assert AuditEntry.objects.get(action="login").ip_address == "127.0.0.1"


def test_login_rate_limit_blocks_after_repeated_failures(client, member_user):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "deelnemer@example.nl", "password": "fout"})

    response = client.post(reverse("account_login"), {"login": "deelnemer@example.nl", "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_email_change_waits_for_verification_of_the_new_address(client_for, member_user):
    client = client_for(member_user)

    client.post(reverse("account_email"), {"action_add": "", "email": "nieuw@example.nl"})

    member_user.refresh_from_db()
    assert member_user.email == "deelnemer@example.nl"
    row = OutgoingMail.objects.get()
    assert row.to == "nieuw@example.nl"
    assert "/account/confirm-email/" in row.body_text
