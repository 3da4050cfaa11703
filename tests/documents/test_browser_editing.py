"""Two members edit one section in two browsers; nothing is lost."""

import pytest
from playwright.sync_api import expect

from denktank.models import Role
from documents import services
from documents.models import Draft, Revision, Section

from ..conftest import PASSWORD
from ..factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FOUR = "Eerste alinea.\n\nTweede alinea.\n\nDerde alinea.\n\nVierde alinea."


@pytest.fixture
def shared_section():
    writers = [
        UserFactory(name="Schrijver A", email="a@example.nl", roles=[Role.DEELNEMER]),
        UserFactory(name="Schrijver B", email="b@example.nl", roles=[Role.DEELNEMER]),
    ]
    section = Section.objects.get(title="Inleiding")
    section.owners.set(writers)
    services.save_revision(section=section, author=writers[0], text=FOUR, base_id=None)
    section.refresh_from_db()
    return section, writers


def logged_in_page(browser, live_server, email):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/account/login/")
    form = page.locator("form:has(input[name=login])")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")
    return context, page


def open_editor(page, live_server, section):
    page.goto(f"{live_server.url}/einddocument/{section.pk}/bewerken/")
    expect(page.locator("#id_text")).to_have_value(FOUR)


def save(page, text):
    page.locator("#id_text").fill(text)
    page.locator("#edit-form button[type=submit]").click()


def test_two_members_edit_one_section_at_once_and_both_changes_survive(browser, live_server, shared_section):
    section, _ = shared_section
    context_a, page_a = logged_in_page(browser, live_server, "a@example.nl")
    context_b, page_b = logged_in_page(browser, live_server, "b@example.nl")
    try:
        open_editor(page_a, live_server, section)
        open_editor(page_b, live_server, section)

        save(page_a, FOUR.replace("Eerste alinea.", "Eerste alinea, door A."))
        expect(page_a).to_have_url(f"{live_server.url}/einddocument/{section.pk}/")
        save(page_b, FOUR.replace("Vierde alinea.", "Vierde alinea, door B."))
        expect(page_b).to_have_url(f"{live_server.url}/einddocument/{section.pk}/")
        expect(page_b.locator("article.rendered-markdown")).to_contain_text("Eerste alinea, door A.")
        expect(page_b.locator("article.rendered-markdown")).to_contain_text("Vierde alinea, door B.")
    finally:
        context_a.close()
        context_b.close()

    revisions = list(Revision.objects.filter(section=section).order_by("number"))
    assert [(r.number, r.author.name, r.merged) for r in revisions] == [
        (1, "Schrijver A", False),
        (2, "Schrijver A", False),
        (3, "Schrijver B", True),
    ]
    assert revisions[-1].text == "Eerste alinea, door A.\n\nTweede alinea.\n\nDerde alinea.\n\nVierde alinea, door B."


def test_overlapping_edit_shows_a_conflict_and_the_writer_resolves_it(browser, live_server, shared_section):
    section, _ = shared_section
    context_a, page_a = logged_in_page(browser, live_server, "a@example.nl")
    context_b, page_b = logged_in_page(browser, live_server, "b@example.nl")
    try:
        open_editor(page_a, live_server, section)
        open_editor(page_b, live_server, section)
        save(page_a, FOUR.replace("Tweede alinea.", "Tweede alinea volgens A."))
        expect(page_a).to_have_url(f"{live_server.url}/einddocument/{section.pk}/")

        mine = FOUR.replace("Tweede alinea.", "Tweede alinea volgens B.")
        save(page_b, mine)
        expect(page_b.locator("#conflict-heading")).to_be_visible()
        expect(page_b.locator("#id_edited_0")).to_have_value("Tweede alinea volgens B.")

        # Saving from the conflict screen needs a choice: here, by hand.
        resolved = FOUR.replace("Tweede alinea.", "Tweede alinea volgens A en B.")
        page_b.get_by_role("radio", name="Met de hand bewerken").check()
        page_b.locator("#id_edited_0").fill("Tweede alinea volgens A en B.")
        page_b.locator("#conflict-form button[type=submit]").click()
        expect(page_b).to_have_url(f"{live_server.url}/einddocument/{section.pk}/")
    finally:
        context_a.close()
        context_b.close()

    assert Section.objects.get(pk=section.pk).head.text == resolved
    assert Revision.objects.filter(section=section).count() == 3


def test_autosaved_draft_survives_a_new_browser_session(browser, live_server, shared_section):
    section, writers = shared_section
    context, page = logged_in_page(browser, live_server, "a@example.nl")
    open_editor(page, live_server, section)
    page.locator("#id_text").press("Control+End")
    page.locator("#id_text").press_sequentially(" Nog niet opgeslagen.", delay=10)
    expect(page.locator("#autosave-status")).not_to_be_empty(timeout=10000)
    context.close()

    context, page = logged_in_page(browser, live_server, "a@example.nl")
    try:
        page.goto(f"{live_server.url}/einddocument/{section.pk}/bewerken/")
        expect(page.locator("#id_text")).to_have_value(FOUR + " Nog niet opgeslagen.")
    finally:
        context.close()
    assert Draft.objects.get(user=writers[0]).text == FOUR + " Nog niet opgeslagen."
    assert Revision.objects.filter(section=section).count() == 1


def test_script_in_a_section_never_runs_in_the_browser(browser, live_server, shared_section):
    section, writers = shared_section
    services.save_revision(
        section=section,
        author=writers[0],
        text=(
            "<script>window.__xss=1</script>\n\n"
            '<img src=x onerror="window.__xss=2">\n\n'
            "[klik](javascript:window.__xss=3)"
        ),
        base_id=section.head_id,
    )
    context, page = logged_in_page(browser, live_server, "b@example.nl")
    try:
        page.goto(f"{live_server.url}/einddocument/{section.pk}/")
        assert page.evaluate("window.__xss") is None
        assert page.locator("article.rendered-markdown script, article.rendered-markdown img[onerror]").count() == 0
        page.goto(f"{live_server.url}/einddocument/{section.pk}/bewerken/")
        expect(page.locator("#preview")).to_contain_text("window.__xss=1")
        assert page.evaluate("window.__xss") is None
        assert page.locator("#preview script").count() == 0
    finally:
        context.close()


def test_text_of_a_failed_save_stays_in_the_browser_until_the_server_has_it(browser, live_server, shared_section):
    section, writers = shared_section
    context, page = logged_in_page(browser, live_server, writers[0].email)
    edit_url = f"{live_server.url}/einddocument/{section.pk}/bewerken/"
    typed = FOUR + "\n\nTekst getypt terwijl de database weg was."

    # The server is away: autosave and the save both fail.
    def outage(route):
        if route.request.method == "POST":
            route.fulfill(status=500, body="Server Error")
        else:
            route.continue_()

    page.route("**/einddocument/**", outage)
    page.goto(edit_url)
    page.locator("#id_text").fill(typed)
    expect(page.locator("#unsent-status")).to_be_visible(timeout=10_000)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Server Error")).to_be_visible()
    page.unroute("**/einddocument/**")

    # Back on the edit page, the browser offers the text the server never got.
    page.goto(edit_url)
    banner = page.locator("#unsent-banner")
    expect(banner).to_be_visible()
    assert page.locator("#id_text").input_value() == FOUR
    banner.get_by_role("button", name="Terugzetten in de editor").click()
    assert page.locator("#id_text").input_value() == typed
    page.get_by_role("button", name="Opslaan").click()
    expect(page).to_have_url(f"{live_server.url}/einddocument/{section.pk}/")

    assert Section.objects.get(pk=section.pk).head.text == typed
    assert page.evaluate(f"window.localStorage.getItem('denktank:section:{section.pk}:unsent')") is None
    page.goto(edit_url)
    expect(page.locator("#unsent-banner")).to_be_hidden()
    context.close()
