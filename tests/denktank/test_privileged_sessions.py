"""Bestuur, Werving and staff: no long-lived session, logged out after 30 minutes idle."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from denktank import middleware
from denktank.demo import DEMO_TOTP_SECRET, current_totp_counter
from denktank.models import Role

from ..conftest import PASSWORD
from ..factories import UserFactory

T0 = 1_790_000_000.0  # some moment in 2026


@pytest.fixture
def clock(monkeypatch):
    """The middleware's clock, moved by hand."""

    class Clock:
        now = T0

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(middleware, "clock", lambda: fake.now)
    return fake


def test_idle_timeout_is_thirty_minutes():
    assert settings.PRIVILEGED_IDLE_TIMEOUT == 30 * 60


@pytest.mark.parametrize("fixture", ["board_user", "recruiter_user"])
def test_privileged_session_ends_after_thirty_idle_minutes(client_for, request, clock, fixture):
    client = client_for(request.getfixturevalue(fixture))
    assert client.get(reverse("home")).status_code == 200
    assert client.session[middleware.LAST_ACTIVITY_KEY] == int(T0)

    clock.advance(29 * 60)
    assert client.get(reverse("home")).status_code == 200
    assert client.session[middleware.LAST_ACTIVITY_KEY] == int(T0 + 29 * 60)

    # 29 minutes after the last request: still in. 31: out.
    clock.advance(29 * 60)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(31 * 60)
    response = client.get(reverse("home") + "?x=1")

    assert (response.status_code, response.url) == (302, "/account/login/?next=/%3Fx%3D1")
    assert "_auth_user_id" not in client.session
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Je bent uitgelogd omdat je 30 minuten niets hebt gedaan. Log opnieuw in om verder te gaan."
    ]
    login_page = client.get(response.url).content.decode()
    assert "Je bent uitgelogd omdat je 30 minuten niets hebt gedaan." in login_page
    assert client.get(reverse("home")).templates[0].name == "denktank/public.html"


def test_idle_logout_of_an_htmx_request_loads_the_login_page_whole(client_for, board_user, clock):
    client = client_for(board_user)
    client.get(reverse("home"))
    clock.advance(31 * 60)

    response = client.get(reverse("home"), headers={"HX-Request": "true"})

    assert (response.status_code, response["HX-Redirect"]) == (200, "/account/login/?next=/")
    assert "_auth_user_id" not in client.session


def test_staff_without_a_role_get_the_idle_timeout_too(client, db, clock):
    staff = UserFactory(is_staff=True, totp=True)
    client.force_login(staff)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(31 * 60)

    response = client.get(reverse("home"))

    assert response.url == "/account/login/?next=/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("fixture", ["member_user", "mp_user"])
def test_members_and_mps_keep_their_session_when_idle(client_for, request, clock, fixture):
    client = client_for(request.getfixturevalue(fixture))
    client.get(reverse("home"))
    clock.advance(8 * 60 * 60)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert client.session.get_expire_at_browser_close() is False
    assert middleware.LAST_ACTIVITY_KEY not in client.session


def test_privileged_session_ends_with_the_browser_from_the_login_on(client_for, board_user, clock):
    client = client_for(board_user)

    assert client.session.get_expire_at_browser_close() is True
    assert client.session[middleware.LAST_ACTIVITY_KEY] == int(T0)
    assert client.get(reverse("home")).status_code == 200
    assert client.session.get_expire_at_browser_close() is True


def login(client, email, remember):
    data = {"login": email, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("account_login"), data)


def test_remember_me_gives_a_recruiter_no_long_session(client, db, clock):
    # Without an authenticator the login completes in one step (setting one
    # up is asked for afterwards), so the login response itself is checked.
    recruiter = UserFactory(email="werver@example.nl", roles=[Role.WERVING])
    assert not Authenticator.objects.filter(user=recruiter).exists()

    response = login(client, recruiter.email, remember=True)

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert (cookie["max-age"], cookie["expires"]) == ("", "")
    assert client.session[middleware.LAST_ACTIVITY_KEY] == int(T0)


def test_remember_me_still_gives_a_member_two_weeks(client, member_user):
    response = login(client, member_user.email, remember=True)

    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 60 * 60 * 24 * 14


def test_remember_me_gives_the_board_no_long_session_after_two_factor(client, board_user, clock):
    login(client, board_user.email, remember=True)
    code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current_totp_counter()))

    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert (response.status_code, response.url) == (302, "/")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert (cookie["max-age"], cookie["expires"]) == ("", "")
    assert client.session["_auth_user_id"] == str(board_user.pk)
