"""A guest registers, confirms through the mail, reacts to a recommendation, the board sees it; all fits a phone."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from documents.models import Recommendation
from sessions_app.links import make_confirm_token, make_guest_token
from sessions_app.models import Guest, Meeting, Presentation, Reaction

from ...demo_fixtures import ANONYMOUS, DEMO_EMAILS, PASSWORD, TWO_FACTOR_ROLES, load_demo_data
from ...walk import log_in as walk_log_in
from ...walk import walk
from ..test_browser import WIDER_THAN_VIEWPORT, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CONFIRM_LINK = re.compile(r"http://[^\s]+/sessies/eindpresentatie/bevestigen/[^/\s]+/")


@pytest.fixture
def open_presentation(_reference_data, live_server, settings):
    # Links in mails point at the live server, as they point at the site in production.
    settings.SITE_URL = live_server.url
    meeting = Meeting.objects.get(kind=Meeting.Kind.FINAL)
    if meeting.starts_at <= timezone.now() + timedelta(days=7):
        meeting.starts_at = timezone.now() + timedelta(days=90)
        meeting.save()
    Recommendation.objects.create(position=1, text="Maak omscholing een recht met een inkomensbrug.")
    return Presentation.objects.create(meeting=meeting, registration_open=True, capacity=3, reactions_open=True)


def test_a_guest_registers_confirms_reacts_and_the_board_sees_it(browser, live_server, open_presentation, board_user):
    problems = []
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))

        # From the public page to the registration form.
        page.goto(live_server.url + "/")
        page.locator("section[aria-labelledby=presentation-heading]").get_by_role("link", name="Aanmelden").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden voor de eindpresentatie")
        problems.append(page.evaluate(WIDER_THAN_VIEWPORT))
        page.get_by_label("Naam").fill("Gerda Gast")
        page.get_by_label("E-mailadres").fill("gerda@example.org")
        page.get_by_label("Nee", exact=True).check()
        page.get_by_label("Organisatie (optioneel)").fill("Gemeente Delft")
        page.get_by_label("Ik heb gelezen hoe mijn gegevens worden gebruikt").check()
        page.get_by_role("button", name="Aanmelden").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je mail")
        assert Guest.objects.get().status == "unconfirmed"

        # The confirmation link from the mail; opening it confirms nothing until the button.
        [confirmation] = [m for m in mail.outbox if m.to == ["gerda@example.org"]]
        assert confirmation.subject == "[Denktank] Bevestig je aanmelding: Eindpresentatie"
        page.goto(CONFIRM_LINK.search(confirmation.body).group(0))
        problems.append(page.evaluate(WIDER_THAN_VIEWPORT))
        assert Guest.objects.get().status == "unconfirmed"
        page.get_by_role("button", name="Mijn aanmelding bevestigen").click()
        expect(page.locator(".messages")).to_contain_text("Je aanmelding is bevestigd: je hebt een plek.")
        expect(page.get_by_text("Je hebt een plek", exact=True)).to_be_visible()
        assert Guest.objects.get().status == "confirmed"
        placed = [m for m in mail.outbox if m.subject == "[Denktank] Je hebt een plek: Eindpresentatie"]
        assert [name for name, _, _ in placed[0].attachments] == [f"denktank-{open_presentation.meeting.pk}.ics"]
        problems.append(page.evaluate(WIDER_THAN_VIEWPORT))

        # The calendar file from the guest's page.
        with page.expect_download() as download:
            page.get_by_role("link", name="Toevoegen aan mijn kalender (.ics)").click()
        assert "BEGIN:VEVENT" in Path(download.value.path()).read_text(encoding="utf-8")

        # Reacting to the recommendation.
        page.get_by_role("link", name="Reageer op de aanbevelingen").click()
        problems.append(page.evaluate(WIDER_THAN_VIEWPORT))
        card = page.locator("section", has_text="Maak omscholing een recht")
        card.get_by_label("Steun met voorbehoud").check()
        card.get_by_label("Toelichting (optioneel)").fill("Alleen met een duidelijke einddatum.")
        card.get_by_role("button", name="Mijn reactie opslaan").click()
        expect(page.locator(".messages")).to_contain_text("Je reactie is opgeslagen.")
        expect(page.locator("section", has_text="Maak omscholing een recht")).to_contain_text("Steun met voorbehoud")
    finally:
        context.close()
    assert list(Reaction.objects.values_list("respondent", "stance", "comment")) == [
        ("guest", "reservation", "Alleen met een duidelijke einddatum.")
    ]

    # The board, in a browser of its own, sees the reaction and the guest.
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        board_page = context.new_page()
        board_page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        log_in(board_page, live_server, board_user.email, two_factor=True)
        board_page.goto(live_server.url + "/sessies/eindpresentatie/beheer/reacties/")
        recommendation = board_page.get_by_role("region", name="Aanbeveling 1")
        expect(recommendation).to_contain_text("1 reactie")
        expect(recommendation).to_contain_text("Gast: Gerda Gast (Gemeente Delft)")
        expect(recommendation).to_contain_text("Alleen met een duidelijke einddatum.")
        problems.append(board_page.evaluate(WIDER_THAN_VIEWPORT))
        recommendation.get_by_role("button", name="Markeer als overgenomen").click()
        expect(board_page.get_by_role("region", name="Aanbeveling 1")).to_contain_text("overgenomen")

        board_page.goto(live_server.url + "/sessies/eindpresentatie/beheer/")
        expect(board_page.locator("table")).to_contain_text("gerda@example.org")
        problems.append(board_page.evaluate(WIDER_THAN_VIEWPORT))
    finally:
        context.close()
    assert Reaction.objects.get().taken_on_by == board_user
    assert [problem for problem in problems if problem] == []


@pytest.mark.parametrize("role", ["anonymous", "deelnemer", "bestuur"])
def test_the_presentation_pages_pass_the_walk_checks_on_the_demo(role, _reference_data, live_server, browser):
    """The crawl's checks (no console error or CSP violation, axe-core clean, fits 360 px) on every new page:
    the crawl of the whole product reaches its page limit before some of them."""
    load_demo_data()
    guest = Guest.objects.get(email="anouk.devries@voorbeeld.test")
    unconfirmed = Guest.objects.get(email="eva.smit@voorbeeld.test")
    final = Meeting.objects.get(kind=Meeting.Kind.FINAL)
    start = {
        "anonymous": [
            "/",
            reverse("sessions_app:register"),
            reverse("sessions_app:registered"),
            reverse("sessions_app:guest_confirm", args=[make_confirm_token(unconfirmed)]),
            reverse("sessions_app:guest", args=[make_guest_token(guest)]),
            reverse("sessions_app:guest_cancel", args=[make_guest_token(guest)]),
            reverse("sessions_app:guest_reactions", args=[make_guest_token(guest)]),
        ],
        "deelnemer": ["/", reverse("sessions_app:member_reactions"), reverse("sessions_app:detail", args=[final.pk])],
        "bestuur": [
            reverse("sessions_app:presentation_manage"),
            reverse("sessions_app:presentation_reactions"),
            reverse("sessions_app:detail", args=[final.pk]),
        ],
    }[role]
    login = None
    if role != ANONYMOUS:

        def login(page):
            walk_log_in(page, live_server.url, DEMO_EMAILS[role], PASSWORD, two_factor=role in TWO_FACTOR_ROLES)

    result = walk(browser, live_server.url, role, login=login, start=start, max_pages=len(start))

    assert sorted(result.visited) == sorted(start)
    if result.problems:
        pytest.fail(result.summary(), pytrace=False)
