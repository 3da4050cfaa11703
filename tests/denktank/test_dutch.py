"""The platform's Dutch: plurals, informal "je", one name for two-factor login, a readable Logboek."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from denktank import audit, locale_overrides
from denktank.models import AuditEntry, Invitation, OutgoingMail, Role
from denktank.services import invite_person

from ..conftest import PASSWORD
from ..factories import UserFactory
from ..pages import visible_text

# Formal address and the other names two-factor login had.
NOT_OUR_DUTCH = re.compile(r"\b(?:u|uw|alstublieft)\b|a\.u\.b\.|twee-?factor|authenticatiecode", re.IGNORECASE)


# --- Plurals ---------------------------------------------------------------


def dashboard_stats(client):
    text = visible_text(client.get(reverse("home")))
    return re.search(r"(\d+ openstaande uitnodiging\w*).*?(\d+ mails? die .*?aangekomen)", text).groups()


def test_dashboard_counts_use_singular_and_plural(client_for, board_user):
    client = client_for(board_user)
    invite_person(name="Anna", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    OutgoingMail.objects.update(status=OutgoingMail.Status.FAILED)

    assert dashboard_stats(client) == (
        "1 openstaande uitnodiging",
        "1 mail die mislukt is of waarvan onbekend is of hij is aangekomen",
    )

    invite_person(name="Piet", email="piet@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    OutgoingMail.objects.update(status=OutgoingMail.Status.UNKNOWN)

    assert dashboard_stats(client) == (
        "2 openstaande uitnodigingen",
        "2 mails die mislukt zijn of waarvan onbekend is of ze zijn aangekomen",
    )


# --- allauth's and Django's pages in our Dutch ------------------------------


def test_every_override_has_our_dutch():
    messages = [
        message
        for message in locale_overrides.PASSWORD_VALIDATION + locale_overrides.ACCOUNT + locale_overrides.TWO_FACTOR
        if isinstance(message, str)
    ]
    with translation.override("nl"):
        texts = [translation.gettext(message) for message in messages] + [
            translation.ngettext(
                "Your password must contain at least %(min_length)d character.",
                "Your password must contain at least %(min_length)d characters.",
                10,
            ),
            translation.ngettext(
                "This password is too short. It must contain at least %d character.",
                "This password is too short. It must contain at least %d characters.",
                10,
            ),
        ]
    assert len(texts) == 21
    assert [message for message, text in zip(messages, texts, strict=False) if text == message] == []
    assert [text for text in texts if NOT_OUR_DUTCH.search(text) or not text.strip()] == []
    assert texts[-2:] == [
        "Je wachtwoord moet minstens %(min_length)d tekens lang zijn.",
        "Dit wachtwoord is te kort: het moet minstens %d tekens lang zijn.",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/account/login/",
        "/account/password/reset/",
        "/account/password/reset/done/",
        "/account/password/reset/key/x-set-password/",
    ],
)
def test_anonymous_account_pages_say_je(client, db, url):
    response = client.get(url)

    assert response.status_code == 200
    assert NOT_OUR_DUTCH.findall(visible_text(response)) == []


@pytest.mark.parametrize(
    "url", ["/account/email/", "/account/password/change/", "/account/2fa/", "/account/reauthenticate/"]
)
@pytest.mark.parametrize("fixture", ["board_user", "member_user"])
def test_account_pages_say_je_and_tweestapsverificatie(client_for, request, fixture, url):
    response = client_for(request.getfixturevalue(fixture)).get(url)

    assert response.status_code == 200
    assert NOT_OUR_DUTCH.findall(visible_text(response)) == []


def test_password_rules_read_informal(client_for, member_user):
    response = client_for(member_user).post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": "123", "password2": "123"}
    )

    assert response.context["form"].errors["password1"] == [
        "Dit wachtwoord is te kort: het moet minstens 10 tekens lang zijn.",
        "Dit wachtwoord is te algemeen.",
        "Dit wachtwoord bevat alleen cijfers.",
    ]
    text = visible_text(response)
    assert "Je wachtwoord mag niet te veel lijken op je andere persoonlijke gegevens." in text
    assert "Je wachtwoord moet minstens 10 tekens lang zijn." in text
    assert NOT_OUR_DUTCH.findall(text) == []


def test_two_factor_step_of_the_login_says_tweestapsverificatie(client, board_user):
    client.post(reverse("account_login"), {"login": board_user.email, "password": PASSWORD})

    response = client.get(reverse("mfa_authenticate"))

    text = visible_text(response)
    assert "Je account is beveiligd met tweestapsverificatie. Vul de code uit je authenticator-app in:" in text
    assert NOT_OUR_DUTCH.findall(text) == []


def test_setting_up_two_factor_says_tweestapsverificatie(client_for, db):
    user = UserFactory(roles=[Role.DEELNEMER])
    client = client_for(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 200
    text = visible_text(response)
    assert "Beveilig je account met tweestapsverificatie" in text
    assert NOT_OUR_DUTCH.findall(text) == []


# --- The Logboek -------------------------------------------------------------


def test_audit_log_describes_actions_in_dutch_and_shows_amsterdam_time(client_for, board_user):
    client = client_for(board_user)
    AuditEntry.objects.all().delete()  # the login
    AuditEntry.objects.create(
        action="application.viewed", actor=board_user, created_at=datetime(2026, 7, 1, 10, tzinfo=UTC)
    )
    AuditEntry.objects.create(
        action="report.published", actor=board_user, created_at=datetime(2026, 1, 15, 10, tzinfo=UTC)
    )
    AuditEntry.objects.create(
        action="iets.nieuws", actor=board_user, created_at=datetime(2026, 1, 14, 23, 30, tzinfo=UTC)
    )

    response = client.get(reverse("audit_log"))

    rows = re.findall(r"(?s)<tr>(.*?)</tr>", response.content.decode())[1:]
    cells = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"(?s)<td[^>]*>(.*?)</td>", row)] for row in rows
    ]
    # Summer time (UTC+2), winter time (UTC+1), and an unknown code shown as it is.
    assert [(time, action) for time, _, action, _, _ in cells] == [
        ("1 jul 2026 12:00:00", "Aanmelding bekeken"),
        ("15 jan 2026 11:00:00", "Einddocument gepubliceerd"),
        ("15 jan 2026 00:30:00", "iets.nieuws"),
    ]
    assert "<code>iets.nieuws</code>" in response.content.decode()


SUBJECTS = "login|invitation|mail|procedure|application|talent_note|meeting|section|source|recommendation|report"


def test_every_audit_action_in_the_code_has_a_description():
    codes = set()
    for app in ("denktank", "members", "sessions_app", "documents"):
        for path in (settings.BASE_DIR / app).glob("*.py"):
            # Every literal that names an audit action (some are module constants).
            codes.update(re.findall(rf'"((?:{SUBJECTS})\.[a-z_.]*[a-z_])"', path.read_text()))
    assert {"application.viewed", "procedure.applications_closed", "application.account_linked"} <= codes
    assert sorted(code for code in codes if code not in audit.ACTION_DESCRIPTIONS) == []


def test_describe_action_falls_back_to_the_code():
    with translation.override("nl"):
        assert audit.describe_action("invitation.sent") == "Uitnodiging verstuurd"
        assert audit.describe_action("iets.nieuws") == "iets.nieuws"


def test_invitations_list_on_the_dashboard_counts_only_open_ones(client_for, board_user):
    invite_person(name="Anna", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))

    assert dashboard_stats(client_for(board_user))[0] == "0 openstaande uitnodigingen"
