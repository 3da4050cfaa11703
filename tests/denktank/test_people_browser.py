"""In a real browser: the board finds, changes, deactivates and imports people, and informs the Kamerleden."""

import re

import pytest
from playwright.sync_api import expect

from denktank.models import Invitation, KamerlidUpdate, OutgoingMail, Role, User

from ..conftest import log_in, log_in_by_cookie
from ..factories import UserFactory
from .test_interface import OFF_SCREEN, PHONE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TWELVE = "\ufeffe-mail;naam;rol;profielen\r\n" + "".join(
    f"lid{number:02d}@voorbeeld.nl;Lid {number:02d} van der Denktank;{'Kamerlid' if number > 10 else 'Deelnemer'};\r\n"
    for number in range(1, 13)
)


def test_board_finds_changes_deactivates_and_imports_people(page, live_server, board_user):
    UserFactory(name="Anna de Vries", email="anna@example.nl", roles=[Role.DEELNEMER])
    UserFactory(name="Bram Bos", email="bram@example.nl", roles=[Role.DEELNEMER])
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server, board_user.email, two_factor=True)

    # Find.
    page.get_by_role("button", name="Bestuur").click()
    page.get_by_role("link", name="Mensen", exact=True).click()
    page.get_by_label("Naam of e-mailadres").fill("anna")
    page.get_by_role("button", name="Filteren").click()
    expect(page.locator("#people-count")).to_have_text("1 persoon")
    page.get_by_role("link", name="Anna de Vries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna de Vries")

    # Change the role, and back with one click.
    page.get_by_label("Deelnemer").uncheck()
    page.get_by_label("Kamerlid").check()
    page.get_by_role("button", name="Rollen opslaan").click()
    expect(page.get_by_text("Anna de Vries heeft nu de rol(len): Kamerlid.")).to_be_visible()
    page.get_by_role("button", name="Terugzetten naar: Deelnemer").click()
    expect(page.get_by_text("Anna de Vries heeft nu de rol(len): Deelnemer.")).to_be_visible()
    assert sorted(User.objects.get(email="anna@example.nl").roles) == ["Deelnemer"]

    # Deactivate (the confirmation dialog is accepted).
    page.get_by_role("button", name="Deactiveren").click()
    expect(page.get_by_text("Anna de Vries is gedeactiveerd en kan niet meer inloggen.")).to_be_visible()
    expect(page.get_by_role("button", name="Weer activeren")).to_be_visible()
    assert User.objects.get(email="anna@example.nl").is_active is False

    # Import twelve people in one go.
    page.get_by_role("link", name="Mensen").first.click()
    page.get_by_role("link", name="CSV-bestand importeren").click()
    page.get_by_label("CSV-bestand").set_input_files(
        {"name": "leden.csv", "mimeType": "text/csv", "buffer": TWELVE.encode()}
    )
    page.get_by_role("button", name="Bestand controleren").click()
    expect(page.locator("#import-summary")).to_contain_text("12 mensen krijgen een uitnodiging")
    assert OutgoingMail.objects.count() == 0
    page.get_by_role("button", name="12 mensen uitnodigen").click()
    expect(page.get_by_text("Er zijn 12 uitnodigingen onderweg.")).to_be_visible()

    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == [
        f"lid{number:02d}@voorbeeld.nl" for number in range(1, 13)
    ]
    assert sorted(Invitation.objects.values_list("role", flat=True)) == ["Deelnemer"] * 10 + ["Kamerlid"] * 2
    expect(page.locator("#people-count")).to_have_text("15 mensen")


def test_board_sends_an_update_the_kamerlid_reads_on_the_dashboard(page, live_server, board_user, mp_user):
    log_in(page, live_server, board_user.email, two_factor=True)

    page.get_by_role("link", name="Update schrijven").click()
    page.get_by_label("Titel").fill("Sessie 5 in aantocht")
    page.get_by_label("Je update").fill("We zijn op **schema**.")
    page.get_by_role("button", name="Voorbeeld van de mail bekijken").click()
    expect(page.get_by_role("heading", name="[Denktank] Update van de denktank: Sessie 5 in aantocht")).to_be_visible()
    page.get_by_role("button", name="Naar de Kamerleden sturen").click()
    expect(page.get_by_text("De update is onderweg naar 1 Kamerlid.")).to_be_visible()
    assert OutgoingMail.objects.get().to == mp_user.email

    page.context.clear_cookies()
    log_in(page, live_server, mp_user.email)
    page.get_by_role("link", name="Sessie 5 in aantocht").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessie 5 in aantocht")
    expect(page.locator("strong", has_text="schema")).to_be_visible()


@pytest.fixture
def busy_people(board_user, mp_user):
    for number in range(3):
        UserFactory(
            name=f"Annemarie van der Velde-Hoogendoorn {number}",
            email=f"annemarie.vandervelde{number}@voorbeeld-organisatie.example.nl",
            roles=[Role.DEELNEMER, Role.WERVING],
        )
    KamerlidUpdate.objects.create(
        title="Een lange titel over de voortgang van het einddocument en de sessies",
        text="Tekst met een [link](https://example.nl/een/heel/lang/pad/naar/een/document/dat/niet/past).",
        facts={"since": None, "until": "2026-11-20T11:00:00+00:00", "sections": [], "meetings": []},
        facts_since="2000-01-01T00:00:00+00:00",
        facts_until="2026-11-20T11:00:00+00:00",
        sent_by=board_user,
        token="00000000-0000-0000-0000-000000000001",
    )
    return board_user


PAGES = [
    "/mensen/",
    "/mensen/importeren/",
    "/kamerlid-updates/",
    "/kamerlid-updates/nieuw/",
]


@pytest.mark.parametrize("width", [360, 1280])
def test_people_and_update_pages_fit_a_phone_and_pass_axe(page, live_server, busy_people, width):
    page.set_viewport_size({"width": width, "height": PHONE["height"]})
    log_in_by_cookie(page.context, live_server.url, busy_people)
    person = User.objects.get(email="annemarie.vandervelde0@voorbeeld-organisatie.example.nl")
    update = KamerlidUpdate.objects.get()
    found = {}

    for url in [*PAGES, f"/mensen/{person.pk}/", f"/kamerlid-updates/{update.pk}/"]:
        page.goto(f"{live_server.url}{url}")
        found[url] = (page.evaluate("() => document.documentElement.scrollWidth") <= width, page.evaluate(OFF_SCREEN))
        found[url] += (axe_violations(page),)
    # The preview of an import and of an update.
    page.goto(f"{live_server.url}/mensen/importeren/")
    page.get_by_label("CSV-bestand").set_input_files(
        {"name": "leden.csv", "mimeType": "text/csv", "buffer": (TWELVE + "fout;Fout;Onbekend\r\n").encode()}
    )
    page.get_by_role("button", name="Bestand controleren").click()
    found["import preview"] = (
        page.evaluate("() => document.documentElement.scrollWidth") <= width,
        page.evaluate(OFF_SCREEN),
        axe_violations(page),
    )
    page.goto(f"{live_server.url}/kamerlid-updates/nieuw/")
    page.get_by_label("Titel").fill("Titel")
    page.get_by_label("Je update").fill("Tekst " * 200)
    page.get_by_role("button", name="Voorbeeld van de mail bekijken").click()
    found["update preview"] = (
        page.evaluate("() => document.documentElement.scrollWidth") <= width,
        page.evaluate(OFF_SCREEN),
        axe_violations(page),
    )

    assert found == {url: (True, [], []) for url in found}


def test_kamerlid_pages_fit_a_phone(page, live_server, busy_people, mp_user):
    page.set_viewport_size(PHONE)
    log_in_by_cookie(page.context, live_server.url, mp_user)
    update = KamerlidUpdate.objects.get()

    for url in ["/", "/kamerlid-updates/", f"/kamerlid-updates/{update.pk}/"]:
        page.goto(f"{live_server.url}{url}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], url
        assert page.evaluate(OFF_SCREEN) == [], url
    assert re.search("Een lange titel", page.content())
