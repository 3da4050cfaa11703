"""Writing a section together live, in real browsers against a real ASGI server (daphne)."""

import os
import time

import pytest
from django.db import connection
from playwright.sync_api import expect

from denktank.models import Role
from documents import services
from documents.live import services as live
from documents.models import Draft, Revision, RevisionWriter, Section

from ..asgi_server import AsgiServer
from ..conftest import log_in_by_cookie
from ..factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FOUR = "Eerste alinea.\n\nTweede alinea.\n\nDerde alinea.\n\nVierde alinea."
# The issue asks for 30 seconds offline; LIVE_OFFLINE_SECONDS shortens it while working on the editor.
OFFLINE_SECONDS = float(os.environ.get("LIVE_OFFLINE_SECONDS", "30"))


@pytest.fixture
def two_asgi_servers(transactional_db, tmp_path):
    """Two server processes whose rooms meet through Redis, as behind a load balancer."""
    redis_url = os.environ.get("REDIS_URL", "")
    if connection.vendor != "postgresql" or not redis_url:
        pytest.skip("needs PostgreSQL and Redis (REDIS_URL)")
    servers = []
    for number in (1, 2):
        folder = tmp_path / f"server{number}"
        folder.mkdir()
        servers.append(AsgiServer(folder, redis_url=redis_url))
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def shared_section():
    writers = [
        UserFactory(name="Schrijver A", email="a@example.nl", roles=[Role.DEELNEMER]),
        UserFactory(name="Schrijver B", email="b@example.nl", roles=[Role.DEELNEMER]),
        UserFactory(name="Schrijver C", email="c@example.nl", roles=[Role.DEELNEMER]),
    ]
    section = Section.objects.get(title="Inleiding")
    section.owners.set(writers)
    services.save_revision(section=section, author=writers[0], text=FOUR, base_id=None)
    section.refresh_from_db()
    return section, writers


def logged_in(browser, server, user):
    """A browser context with the user's session (logging in through the form is tested elsewhere)."""
    context = browser.new_context()
    log_in_by_cookie(context, server.url, user)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    return context, page


def open_live(page, server, section):
    page.goto(f"{server.url}/einddocument/{section.pk}/bewerken/")
    editor = page.locator("[data-live-editor] .cm-content")
    expect(editor).to_be_visible()
    expect(page.locator("#id_text")).to_be_hidden()
    return editor


def live_value(page) -> str:
    return page.locator("#id_text").input_value()


def test_two_browsers_write_in_the_same_paragraph_and_converge(browser, asgi_server, shared_section):
    section, writers = shared_section
    contexts = []
    try:
        context_a, page_a = logged_in(browser, asgi_server, writers[0])
        context_b, page_b = logged_in(browser, asgi_server, writers[1])
        contexts += [context_a, context_b]
        editor_a, editor_b = open_live(page_a, asgi_server, section), open_live(page_b, asgi_server, section)
        assert live_value(page_a) == FOUR
        # CodeMirror's own styles arrived despite the Content-Security-Policy (no inline <style>).
        assert page_a.locator(".cm-editor").evaluate("e => getComputedStyle(e).display") == "flex"

        # A at the end of the first paragraph, B at its start: the same paragraph, at once.
        editor_a.locator(".cm-line").first.click()
        page_a.keyboard.press("End")
        editor_b.locator(".cm-line").first.click()
        page_b.keyboard.press("Home")
        for char_a, char_b in zip(" Door A.", "B zegt: ", strict=True):
            page_a.keyboard.type(char_a)
            page_b.keyboard.type(char_b)

        expected = FOUR.replace("Eerste alinea.", "B zegt: Eerste alinea. Door A.")
        started = time.monotonic()
        expect(page_a.locator("#id_text")).to_have_value(expected, timeout=1000)
        expect(page_b.locator("#id_text")).to_have_value(expected, timeout=1000)
        assert time.monotonic() - started < 1.0

        # Each sees the other's cursor with name, and who is on the section.
        expect(page_b.locator(".cm-ySelectionInfo")).to_have_text("Schrijver A")
        expect(page_a.locator(".cm-ySelectionInfo")).to_have_text("Schrijver B")
        expect(page_a.locator("[data-live-person]")).to_have_count(2)
        expect(page_a.locator("[data-live-person='Schrijver A']")).to_contain_text("Schrijver A (jij)")
        expect(page_a.locator("[data-live-status]")).to_have_attribute("data-state", "saved")
        expect(page_b.locator("[data-live-status]")).to_have_attribute("data-state", "saved")

        # A third browser that joins later sees the same text.
        context_c, page_c = logged_in(browser, asgi_server, writers[2])
        contexts.append(context_c)
        open_live(page_c, asgi_server, section)
        expect(page_c.locator("#id_text")).to_have_value(expected)
        expect(page_c.locator("[data-live-person]")).to_have_count(3)
        # The same writer in a second tab is listed once.
        second_tab = context_c.new_page()
        open_live(second_tab, asgi_server, section)
        expect(second_tab.locator("[data-live-person]")).to_have_count(3)
        expect(page_a.locator("[data-live-person]")).to_have_count(3)
        second_tab.close()

        # "Opslaan" while live makes a numbered revision of the live text, crediting both writers.
        page_c.locator("#id_note").fill("Samen")
        page_c.locator("#edit-form button[type=submit]").click()
        expect(page_c.locator("[data-live-status]")).to_contain_text("versie 2")
        expect(page_a.locator("[data-live-status]")).to_contain_text("versie 2")
        # The form's copy that editor.js kept on submit is confirmed by the revision.
        assert page_c.evaluate(f"window.localStorage.getItem('denktank:section:{section.pk}:unsent')") is None
        assert page_a.errors == [] and page_b.errors == [] and page_c.errors == []

        # The history names the one who saved it with everyone who wrote in it.
        page_c.goto(f"{asgi_server.url}/einddocument/{section.pk}/geschiedenis/")
        entry = page_c.locator("li.list-group-item", has_text="#2")
        expect(entry).to_contain_text("Schrijver C met Schrijver")
        for name in ("Schrijver A", "Schrijver B"):
            expect(entry).to_contain_text(name)
    finally:
        for context in contexts:
            context.close()

    revision = Revision.objects.get(section=section, number=2)
    assert (revision.text, revision.author, revision.note) == (expected, writers[2], "Samen")
    assert sorted(RevisionWriter.objects.filter(revision=revision).values_list("user__name", flat=True)) == [
        "Schrijver A",
        "Schrijver B",
    ]
    assert live.live_text(section_id=section.pk) == expected


def test_a_browser_offline_for_a_while_merges_when_it_is_back(browser, asgi_server, shared_section):
    section, writers = shared_section
    context_a, page_a = logged_in(browser, asgi_server, writers[0])
    context_b, page_b = logged_in(browser, asgi_server, writers[1])
    try:
        editor_a, editor_b = open_live(page_a, asgi_server, section), open_live(page_b, asgi_server, section)
        context_a.set_offline(True)
        expect(page_a.locator("[data-live-status]")).to_have_attribute("data-state", "offline")

        editor_a.locator(".cm-line").first.click()
        page_a.keyboard.press("End")
        page_a.keyboard.type(" Offline van A.")
        editor_b.locator(".cm-line").last.click()
        page_b.keyboard.press("End")
        page_b.keyboard.type(" Online van B.")
        expect(page_b.locator("[data-live-status]")).to_have_attribute("data-state", "saved")
        page_a.wait_for_timeout(OFFLINE_SECONDS * 1000)
        # Still offline: A's text is only in A's browser, kept for a closed tab too.
        assert "Offline van A." not in live.live_text(section_id=section.pk)
        assert "Online van B." not in live_value(page_a)
        assert page_a.evaluate(f"window.localStorage.getItem('denktank:live:{section.pk}') !== null")

        context_a.set_offline(False)
        expected = FOUR.replace("Eerste alinea.", "Eerste alinea. Offline van A.").replace(
            "Vierde alinea.", "Vierde alinea. Online van B."
        )
        expect(page_a.locator("#id_text")).to_have_value(expected, timeout=10_000)
        expect(page_b.locator("#id_text")).to_have_value(expected)
        expect(page_a.locator("[data-live-status]")).to_have_attribute("data-state", "saved")
        assert page_a.evaluate(f"window.localStorage.getItem('denktank:live:{section.pk}')") is None
    finally:
        context_a.close()
        context_b.close()
    assert live.live_text(section_id=section.pk) == expected


def test_a_closed_tab_keeps_unconfirmed_text_for_the_next_visit(browser, asgi_server, shared_section):
    """Unconfirmed text kept in the browser comes back on the next visit and reaches the server."""
    section, writers = shared_section
    context, page = logged_in(browser, asgi_server, writers[0])
    try:
        editor = open_live(page, asgi_server, section)
        context.set_offline(True)
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "offline")
        editor.locator(".cm-line").last.click()
        page.keyboard.press("End")
        page.keyboard.type(" Bewaard.")
        # Polled from here: wait_for_function would evaluate a string, which the CSP forbids.
        for _ in range(50):
            if page.evaluate(f"window.localStorage.getItem('denktank:live:{section.pk}') !== null"):
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError("the unconfirmed text was not kept in the browser")
        context.set_offline(False)
        # Closed before the connection is back (a new page in the same browser profile).
        page.close()
        page = context.new_page()
        open_live(page, asgi_server, section)
        expect(page.locator("#id_text")).to_have_value(FOUR + " Bewaard.")
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "saved")
    finally:
        context.close()
    assert live.live_text(section_id=section.pk) == FOUR + " Bewaard."


def test_without_the_live_connection_the_form_still_saves(browser, live_server, shared_section):
    """Served without WebSockets (WSGI): the textarea stays, and saving posts it as before."""
    section, writers = shared_section
    context, page = logged_in(browser, live_server, writers[0])
    try:
        page.goto(f"{live_server.url}/einddocument/{section.pk}/bewerken/")
        page.wait_for_timeout(1500)
        expect(page.locator("#id_text")).to_be_visible()
        expect(page.locator("[data-live-editor]")).to_be_hidden()
        page.locator("#id_text").fill(FOUR + " Via het formulier.")
        page.locator("#edit-form button[type=submit]").click()
        expect(page).to_have_url(f"{live_server.url}/einddocument/{section.pk}/")
    finally:
        context.close()
    assert Section.objects.get(pk=section.pk).head.text == FOUR + " Via het formulier."


def test_a_server_killed_and_restarted_while_typing_loses_nothing(browser, asgi_server, shared_section):
    section, writers = shared_section
    context, page = logged_in(browser, asgi_server, writers[0])
    typed = " Elke letter telt, ook als de server halverwege omvalt."
    try:
        editor = open_live(page, asgi_server, section)
        editor.locator(".cm-line").last.click()
        page.keyboard.press("End")
        page.keyboard.type(typed[:20], delay=40)
        asgi_server.kill()
        page.keyboard.type(typed[20:40], delay=40)  # while the server is down
        acknowledged = live.live_text(section_id=section.pk)
        assert acknowledged.startswith(FOUR + typed[:10])  # what was confirmed is stored
        asgi_server.start()
        page.keyboard.type(typed[40:], delay=40)
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "saved", timeout=15_000)
        assert live_value(page) == FOUR + typed
    finally:
        context.close()
    assert live.live_text(section_id=section.pk) == FOUR + typed


def test_writers_on_two_server_processes_sharing_redis_converge(browser, two_asgi_servers, shared_section):
    section, writers = shared_section
    first, second = two_asgi_servers
    context_a, page_a = logged_in(browser, first, writers[0])
    context_b, page_b = logged_in(browser, second, writers[1])
    try:
        editor_a, editor_b = open_live(page_a, first, section), open_live(page_b, second, section)
        editor_a.locator(".cm-line").first.click()
        page_a.keyboard.press("End")
        editor_b.locator(".cm-line").last.click()
        page_b.keyboard.press("End")
        for char_a, char_b in zip(" Via server een.", " Via server twee", strict=True):
            page_a.keyboard.type(char_a)
            page_b.keyboard.type(char_b)
        expected = FOUR.replace("Eerste alinea.", "Eerste alinea. Via server een.").replace(
            "Vierde alinea.", "Vierde alinea. Via server twee"
        )
        expect(page_a.locator("#id_text")).to_have_value(expected, timeout=2000)
        expect(page_b.locator("#id_text")).to_have_value(expected, timeout=2000)
        # Cursors and who is here cross the processes too.
        expect(page_a.locator("[data-live-person]")).to_have_count(2)
        expect(page_b.locator(".cm-ySelectionInfo")).to_have_text("Schrijver A")
    finally:
        context_a.close()
        context_b.close()
    assert live.live_text(section_id=section.pk) == expected


def test_text_offered_back_by_the_form_editor_becomes_a_live_edit(browser, asgi_server, shared_section):
    """editor.js offers text this browser kept from an unsent form save; taking it edits the live text."""
    section, writers = shared_section
    context, page = logged_in(browser, asgi_server, writers[0])
    kept = FOUR.replace("Derde alinea.", "Derde alinea, nooit verstuurd.")
    try:
        open_live(page, asgi_server, section)
        page.evaluate(
            "([key, text]) => window.localStorage.setItem(key, JSON.stringify({text: text, at: Date.now()}))",
            [f"denktank:section:{section.pk}:unsent", kept],
        )
        open_live(page, asgi_server, section)
        page.locator("[data-unsent-restore]").click()
        expect(page.locator("#id_text")).to_have_value(kept)
        expect(page.locator("[data-live-editor] .cm-content")).to_contain_text("Derde alinea, nooit verstuurd.")
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "saved")
        # Stored live, so the form's kept copy is no longer offered.
        page.wait_for_timeout(300)
        assert page.evaluate(f"window.localStorage.getItem('denktank:section:{section.pk}:unsent')") is None
    finally:
        context.close()
    assert live.live_text(section_id=section.pk) == kept


def test_a_private_draft_is_offered_back_and_inserted_as_an_edit(browser, asgi_server, shared_section):
    """An autosaved draft from the form editor does not vanish when the live editor takes over."""
    section, writers = shared_section
    first = section.head
    drafted = FOUR.replace("Derde alinea.", "Derde alinea, uit mijn concept.")
    Draft.objects.create(section=section, user=writers[0], text=drafted, base=first)
    meanwhile = FOUR.replace("Eerste alinea.", "Eerste, door B.")
    services.save_revision(section=section, author=writers[1], text=meanwhile, base_id=first.pk)
    context, page = logged_in(browser, asgi_server, writers[0])
    expected = "Eerste, door B.\n\nTweede alinea.\n\nDerde alinea, uit mijn concept.\n\nVierde alinea."
    try:
        open_live(page, asgi_server, section)
        banner = page.locator("[data-live-draft]")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Je hebt een eerder concept van")
        expect(page.locator("#id_text")).to_have_value(meanwhile)  # the shared text, the draft offered beside it

        banner.get_by_role("button", name="Invoegen als bewerking").click()
        expect(page.locator("#id_text")).to_have_value(expected)
        expect(banner.locator("[data-live-draft-result]")).to_have_text("Je concept staat nu in de gedeelde tekst.")
        expect(banner.locator("[data-live-draft-offer]")).to_be_hidden()
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "saved")
        assert page.errors == []
    finally:
        context.close()
    assert live.live_text(section_id=section.pk) == expected
    assert not Draft.objects.exists()


def test_a_private_draft_can_be_thrown_away_and_an_identical_one_goes_quietly(browser, asgi_server, shared_section):
    section, writers = shared_section
    Draft.objects.create(section=section, user=writers[0], text=FOUR + " Weg ermee.", base=section.head)
    Draft.objects.create(section=section, user=writers[1], text=FOUR, base=section.head)
    context_a, page_a = logged_in(browser, asgi_server, writers[0])
    context_b, page_b = logged_in(browser, asgi_server, writers[1])
    try:
        open_live(page_a, asgi_server, section)
        page_a.locator("[data-live-draft]").get_by_role("button", name="Weggooien").click()
        expect(page_a.locator("[data-live-draft-result]")).to_have_text("Je concept is weggegooid.")
        expect(page_a.locator("#id_text")).to_have_value(FOUR)

        open_live(page_b, asgi_server, section)
        expect(page_b.locator("[data-live-status]")).to_have_attribute("data-state", "saved")
        for _ in range(50):
            if not Draft.objects.filter(user=writers[1]).exists():
                break
            page_b.wait_for_timeout(100)
        expect(page_b.locator("[data-live-draft]")).to_be_hidden()
        assert page_a.errors == [] and page_b.errors == []
    finally:
        context_a.close()
        context_b.close()
    assert not Draft.objects.exists()
    assert live.live_text(section_id=section.pk) == FOUR


def test_the_editors_own_search_panel_speaks_dutch(browser, asgi_server, shared_section):
    section, writers = shared_section
    context, page = logged_in(browser, asgi_server, writers[0])
    try:
        editor = open_live(page, asgi_server, section)
        editor.locator(".cm-line").first.click()
        page.keyboard.press("Control+f")

        panel = page.locator(".cm-search")
        expect(panel.locator("input[name=search]")).to_have_attribute("placeholder", "Zoeken")
        expect(panel.locator("button[name=next]")).to_have_text("volgende")
        expect(panel.locator("label").first).to_contain_text("hoofdlettergevoelig")
        assert page.errors == []
    finally:
        context.close()
