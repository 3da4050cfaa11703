"""Answering in the browser: the board sees it; the page follows the answer; phones need no sideways scroll."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from sessions_app import selectors, services
from sessions_app.links import make_answer_token
from sessions_app.models import Meeting, Rsvp

from ..conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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


def test_htmx_answer_clears_the_error_refreshes_who_is_coming_and_keeps_the_focus(page, live_server, member_user):
    meeting = selectors.next_meeting()
    log_in(page, live_server, member_user.email)
    page.goto(f"{live_server.url}/sessies/{meeting.pk}/")
    box = page.locator("#rsvp-box")
    coming = page.locator("section[aria-labelledby=coming-heading]")
    expect(coming).not_to_contain_text(member_user.name)

    # "No" without a reason: the error shows and the focus goes to the field to fix.
    box.locator("input[name=answer][value=no]").check()
    box.locator("button[type=submit]").click()
    expect(box.locator("#id_reason")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(box.locator("#id_reason_error")).to_have_text("Laat kort weten waarom je niet kunt komen.")
    expect(box.locator("#id_reason")).to_be_focused()

    # "Yes": saved, no error left, the member is in the list, the focus on the message.
    box.locator("input[name=answer][value=yes]").check()
    box.locator("button[type=submit]").click()
    expect(box.locator("[role=status]")).to_have_text("Opgeslagen: Ja.")
    expect(box.locator(".is-invalid, [aria-invalid=true], .invalid-feedback")).to_have_count(0)
    expect(coming).to_contain_text(member_user.name)
    expect(box.locator("[role=status]")).to_be_focused()
    assert page.evaluate("document.activeElement !== document.body")
    assert [(r.answer, r.reason) for r in Rsvp.objects.filter(user=member_user, meeting=meeting)] == [("yes", "")]


# Long unbroken text is what pushes a page wider than a phone: meeting links and URLs in agendas.
LONG_URL = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ2ZTFmYzYtYjRlOC00ZWU1LWIxYjktOTk4ZGYzYzQ1YWJj"
    "%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%7d"
)
WIDER_THAN_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  return document.documentElement.scrollWidth > width ? document.documentElement.scrollWidth : null;
}"""


def test_sessions_pages_fit_a_360_px_phone_without_sideways_scroll(browser, live_server, member_user, board_user):
    next_meeting = selectors.next_meeting()
    held = Meeting.objects.filter(starts_at__lt=timezone.now()).last()
    Meeting.objects.update(online_url=LONG_URL, agenda=f"1. Lees vooraf {LONG_URL}\n2. Bespreking", minutes=LONG_URL)
    services.set_rsvp(meeting=next_meeting, user=member_user, answer="no", reason="Werkbezoek " + "x" * 60)
    services.add_attachment(
        meeting=next_meeting,
        title="Rapport_CPB_arbeidsmarkt_en_kunstmatige_intelligentie_definitief_v3",
        file=SimpleUploadedFile("rapport.pdf", b"%PDF-1.4", "application/pdf"),
        by=board_user,
    )
    token = make_answer_token(meeting=next_meeting, user=member_user)
    member_pages = [
        "/",
        reverse("sessions_app:calendar"),
        reverse("sessions_app:detail", args=[next_meeting.pk]),
        reverse("sessions_app:detail", args=[held.pk]),
        reverse("sessions_app:feed_settings"),
    ]
    board_pages = [
        *member_pages,
        reverse("sessions_app:new"),
        reverse("sessions_app:attendance_overview"),
        reverse("sessions_app:reschedule", args=[next_meeting.pk]),
        reverse("sessions_app:content", args=[next_meeting.pk]),
        reverse("sessions_app:minutes", args=[held.pk]),
        reverse("sessions_app:attendance", args=[held.pk]),
        reverse("sessions_app:attachment_upload", args=[next_meeting.pk]),
    ]
    anonymous_pages = [
        reverse("sessions_app:answer_link", args=[token]) + "?antwoord=yes",
        reverse("sessions_app:answer_link", args=["kapot"]),
    ]

    too_wide = []
    for email, two_factor, pages in [
        (None, False, anonymous_pages),
        (member_user.email, False, member_pages),
        (board_user.email, True, board_pages),
    ]:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        try:
            page = context.new_page()
            if email:
                log_in(page, live_server, email, two_factor=two_factor)
            for path in pages:
                response = page.goto(live_server.url + path)
                assert response.status in (200, 410), path
                width = page.evaluate(WIDER_THAN_VIEWPORT)
                if width:
                    too_wide.append((email, path, width))
        finally:
            context.close()

    assert too_wide == []
