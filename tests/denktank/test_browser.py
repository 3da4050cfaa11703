import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from denktank.demo import DEMO_TOTP_SECRET, current_totp_counter

from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, live_server, email, two_factor=False):
    """Through the form by the labels a person reads: these tests are about the login form itself
    (elsewhere, ``conftest.log_in``)."""
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    if two_factor:
        expect(page).to_have_url(f"{live_server.url}/account/2fa/authenticate/")
        page.get_by_label("Code").fill(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current_totp_counter())))
        page.get_by_role("button", name="Inloggen").click()


@pytest.mark.parametrize(
    ("fixture", "two_factor", "heading"),
    [
        ("board_user", True, "Dashboard Bestuur"),
        ("recruiter_user", True, "Dashboard Werving"),
        ("member_user", False, "Dashboard Deelnemer"),
        ("mp_user", False, "Dashboard Kamerlid"),
    ],
)
def test_each_role_logs_in_and_sees_its_dashboard(page, live_server, request, fixture, two_factor, heading):
    user = request.getfixturevalue(fixture)

    log_in(page, live_server, user.email, two_factor=two_factor)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welkom, {user.get_short_name()}")


def test_public_page_makes_no_third_party_requests(page, live_server):
    hosts = set()
    page.on("request", lambda req: hosts.add(req.url.split("/")[2]))

    page.goto(f"{live_server.url}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Vrijheid, Werk en AI: een liberale heroriëntatie")
    assert hosts == {live_server.url.split("/")[2]}
