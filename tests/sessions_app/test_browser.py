"""A member answers "yes" in the browser; the board sees it on the meeting page."""

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from denktank.demo import DEMO_TOTP_SECRET, current_totp_counter
from sessions_app import selectors
from sessions_app.models import Rsvp

from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, live_server, email, two_factor=False):
    page.goto(f"{live_server.url}/account/login/")
    login_form = page.locator("form:has(input[name=login])")
    login_form.locator("input[name=login]").fill(email)
    login_form.locator("input[name=password]").fill(PASSWORD)
    login_form.locator("button[type=submit]").click()
    if two_factor:
        expect(page).to_have_url(f"{live_server.url}/account/2fa/authenticate/")
        code_form = page.locator("form:has(input[name=code])")
        code_form.locator("input[name=code]").fill(
            format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current_totp_counter()))
        )
        code_form.locator("button[type=submit]:not([form])").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_member_answers_yes_and_the_board_sees_it(page, browser, live_server, member_user, board_user):
    meeting = selectors.next_meeting()
    assert meeting is not None
    meeting_url = f"{live_server.url}/sessies/{meeting.pk}/"
    rsvp_path = f"/sessies/{meeting.pk}/antwoord/"

    # The member answers "yes".
    log_in(page, live_server, member_user.email)
    page.goto(meeting_url)
    rsvp_form = page.locator(f'form[action="{rsvp_path}"]')
    rsvp_form.locator("input[name=answer][value=yes]").check()
    with page.expect_response(lambda r: r.url.endswith(rsvp_path) and r.request.method == "POST") as answered:
        rsvp_form.locator("button[type=submit]").click()
    assert answered.value.status in (200, 302)
    expect(page.locator("#rsvp-box").locator("[role=status], .answer-yes").first).to_be_visible()

    # The board, in a browser of its own, sees the member under "who is coming".
    context = browser.new_context()
    try:
        board_page = context.new_page()
        log_in(board_page, live_server, board_user.email, two_factor=True)
        board_page.goto(meeting_url)
        member_row = board_page.locator("section[aria-labelledby=answers-heading] li").filter(has_text=member_user.name)
        expect(member_row).to_have_count(1)
        expect(member_row.locator(".answer-yes")).to_be_visible()
    finally:
        context.close()

    rsvps = Rsvp.objects.filter(user=member_user)
    assert [(r.meeting_id, r.answer, r.for_starts_at) for r in rsvps] == [(meeting.pk, "yes", meeting.starts_at)]
