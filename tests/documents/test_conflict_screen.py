"""The form editor's fallback: different paragraphs merge, the same paragraph asks an explicit choice."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from documents import merge, services
from documents.exceptions import EditConflict
from documents.models import Revision, Section

from .conftest import FOUR

A_SAID = FOUR.replace("Tweede alinea.", "Tweede alinea volgens A.")
B_SAID = FOUR.replace("Tweede alinea.", "Tweede alinea volgens B.").replace("Vierde alinea.", "Vierde alinea, door B.")


def texts(section):
    return list(section.revisions.order_by("number").values_list("number", "text"))


def conflict_data(response) -> dict:
    """The hidden fields of the conflict screen, as the browser sends them back."""
    form = response.context["conflict_form"]
    return {name: form[name].value() for name in ("text", "base", "theirs", "note")}


@pytest.fixture
def stale(section, writers):
    """A saved the second paragraph after B started from revision 1; B's save is stale."""
    base = section.head_id
    services.save_revision(section=section, author=writers[0], text=A_SAID, base_id=base)
    section.refresh_from_db()
    return base


# --- Merging by paragraph ---------------------------------------------------------------


def test_changes_in_neighbouring_paragraphs_merge(section, writers):
    base = section.head_id
    services.save_revision(
        section=section, author=writers[0], text=FOUR.replace("Tweede alinea.", "Tweede, door A."), base_id=base
    )

    result = services.save_revision(
        section=section, author=writers[1], text=FOUR.replace("Derde alinea.", "Derde, door B."), base_id=base
    )

    assert (result.merged, result.revision.text) == (
        True,
        "Eerste alinea.\n\nTweede, door A.\n\nDerde, door B.\n\nVierde alinea.",
    )


def test_a_paragraph_added_next_to_one_changed_merges():
    ours = FOUR.replace("Tweede alinea.", "Tweede alinea.\n\nNieuw na de tweede.")
    theirs = FOUR.replace("Derde alinea.", "Derde, anders.")

    result = merge.merge(FOUR, ours, theirs)

    assert (result.clean, result.text) == (
        True,
        "Eerste alinea.\n\nTweede alinea.\n\nNieuw na de tweede.\n\nDerde, anders.\n\nVierde alinea.",
    )


def test_two_paragraphs_added_at_the_same_place_are_a_conflict():
    result = merge.merge(FOUR, FOUR + "\n\nSlot van mij.", FOUR + "\n\nSlot van jou.")

    assert [(c.base, c.ours, c.theirs) for c in result.conflicts] == [("", "Slot van mij.", "Slot van jou.")]


@pytest.mark.parametrize(
    ("choice", "edited", "expected"),
    [
        ("theirs", "", "Tweede alinea volgens A."),
        ("ours", "", "Tweede alinea volgens B."),
        ("both", "", "Tweede alinea volgens A.\n\nTweede alinea volgens B."),
        ("edit", "Tweede alinea volgens A en B.", "Tweede alinea volgens A en B."),
        ("edit", "", None),  # nothing written by hand: the paragraph goes
    ],
)
def test_resolve_applies_the_choice_and_keeps_the_other_changes(choice, edited, expected):
    text = merge.resolve(FOUR, B_SAID, A_SAID, [(choice, edited)])

    second = [expected] if expected else []
    assert text == merge.join(["Eerste alinea.", *second, "Derde alinea.", "Vierde alinea, door B."])


def test_resolve_needs_one_choice_per_conflict():
    with pytest.raises(ValueError):
        merge.resolve(FOUR, B_SAID, A_SAID, [])
    with pytest.raises(ValueError):
        merge.resolve(FOUR, B_SAID, A_SAID, [("ours", ""), ("ours", "")])


def test_paragraph_word_diff_compares_words_only_in_changed_paragraphs():
    diff = merge.paragraph_word_diff(FOUR, B_SAID + "\n\nNieuw slot.")

    assert [(p.kind, p.pieces) for p in diff] == [
        ("equal", (("equal", "Eerste alinea."),)),
        ("change", (("equal", "Tweede alinea"), ("insert", " volgens B"), ("equal", "."))),
        ("equal", (("equal", "Derde alinea."),)),
        ("change", (("equal", "Vierde alinea"), ("insert", ", door B"), ("equal", "."))),
        ("insert", (("insert", "Nieuw slot."),)),
    ]


def test_paragraph_word_diff_shows_a_replaced_phrase_whole():
    [paragraph] = merge.paragraph_word_diff("De kat zat hier.", "De hond lag hier.")

    assert paragraph.pieces == (("equal", "De "), ("delete", "kat zat"), ("insert", "hond lag"), ("equal", " hier."))


# --- The conflict screen ---------------------------------------------------------------


def test_same_paragraph_shows_the_conflict_screen_with_the_word_difference(client_for, section, writers, stale):
    response = client_for(writers[1]).post(
        reverse("documents:edit", args=[section.pk]), {"text": B_SAID, "base": stale, "note": "Mijn deel"}
    )

    assert response.status_code == 409
    head = Section.objects.get(pk=section.pk).head
    # The resubmission carries where the writer started, not the new head: saving
    # again without a choice cannot overwrite A.
    assert conflict_data(response) == {"text": B_SAID, "base": stale, "theirs": head.pk, "note": "Mijn deel"}
    page = response.content.decode()
    assert re.search(r"data-conflict-theirs><div class=\"mb-2\">Tweede alinea volgens <mark>A</mark>\.</div>", page)
    assert re.search(r"data-conflict-ours><div class=\"mb-2\">Tweede alinea volgens <mark>B</mark>\.</div>", page)
    # A choice for each place, none made for the writer.
    assert re.findall(r'<input type="radio" name="choice_0" value="(\w+)"[^>]*>', page) == [
        "theirs",
        "ours",
        "both",
        "edit",
    ]
    assert not re.search(r'<input type="radio" name="choice_0"[^>]*checked', page)
    assert texts(section) == [(1, FOUR), (2, A_SAID)]


def test_saving_the_conflict_screen_without_a_choice_overwrites_nothing(client_for, section, writers, stale):
    client = client_for(writers[1])
    screen = client.post(reverse("documents:edit", args=[section.pk]), {"text": B_SAID, "base": stale})

    again = client.post(reverse("documents:edit", args=[section.pk]), conflict_data(screen))

    assert again.status_code == 400
    assert again.context["conflict_form"].errors == {
        "choice_0": ["Kies wat je hier houdt; er wordt niets opgeslagen tot je dat doet."]
    }
    assert texts(section) == [(1, FOUR), (2, A_SAID)]


@pytest.mark.parametrize(
    ("choice", "edited", "second"),
    [
        ("theirs", "", ["Tweede alinea volgens A."]),
        ("ours", "", ["Tweede alinea volgens B."]),
        ("both", "", ["Tweede alinea volgens A.", "Tweede alinea volgens B."]),
        ("edit", "Tweede alinea\r\nvolgens A en B.", ["Tweede alinea\nvolgens A en B."]),
    ],
)
def test_the_choice_is_applied_and_saved(client_for, section, writers, stale, choice, edited, second):
    client = client_for(writers[1])
    screen = client.post(reverse("documents:edit", args=[section.pk]), {"text": B_SAID, "base": stale})

    response = client.post(
        reverse("documents:edit", args=[section.pk]),
        {**conflict_data(screen), "choice_0": choice, "edited_0": edited},
    )

    assert response.status_code == 302
    expected = merge.join(["Eerste alinea.", *second, "Derde alinea.", "Vierde alinea, door B."])
    assert texts(section) == [(1, FOUR), (2, A_SAID), (3, expected)]
    revision = Revision.objects.get(section=section, number=3)
    assert (revision.author, revision.merged) == (writers[1], False)


def test_a_save_in_the_same_place_while_choosing_shows_the_conflict_again(client_for, section, writers, stale):
    client = client_for(writers[1])
    screen = client.post(reverse("documents:edit", args=[section.pk]), {"text": B_SAID, "base": stale})
    first_theirs = screen.context["conflict_form"]["theirs"].value()
    c_said = FOUR.replace("Tweede alinea.", "Tweede alinea volgens C.")
    services.save_revision(section=section, author=writers[0], text=c_said, base_id=first_theirs)

    response = client.post(
        reverse("documents:edit", args=[section.pk]), {**conflict_data(screen), "choice_0": "ours", "edited_0": ""}
    )

    assert response.status_code == 409
    chosen = merge.join(["Eerste alinea.", "Tweede alinea volgens B.", "Derde alinea.", "Vierde alinea, door B."])
    head = Section.objects.get(pk=section.pk).head
    assert conflict_data(response) == {"text": chosen, "base": first_theirs, "theirs": head.pk, "note": ""}
    assert [n for n, _ in texts(section)] == [1, 2, 3]


def test_a_save_elsewhere_while_choosing_is_merged(client_for, section, writers, stale):
    client = client_for(writers[1])
    screen = client.post(reverse("documents:edit", args=[section.pk]), {"text": B_SAID, "base": stale})
    theirs = screen.context["conflict_form"]["theirs"].value()
    services.save_revision(
        section=section, author=writers[0], text=A_SAID.replace("Eerste alinea.", "Eerste, door A."), base_id=theirs
    )

    response = client.post(
        reverse("documents:edit", args=[section.pk]), {**conflict_data(screen), "choice_0": "both", "edited_0": ""}
    )

    assert response.status_code == 302
    assert Section.objects.get(pk=section.pk).head.text == merge.join(
        [
            "Eerste, door A.",
            "Tweede alinea volgens A.",
            "Tweede alinea volgens B.",
            "Derde alinea.",
            "Vierde alinea, door B.",
        ]
    )


@pytest.mark.parametrize("theirs", ["", "abc", "99999999", str(2**70)])
def test_a_conflict_screen_that_cannot_be_read_saves_nothing(client_for, section, writers, stale, theirs):
    response = client_for(writers[1]).post(
        reverse("documents:edit", args=[section.pk]),
        {"text": B_SAID, "base": stale, "theirs": theirs, "choice_0": "ours"},
    )

    assert response.status_code == 400
    assert response.context["form"].initial == {"text": B_SAID, "base": None}
    assert [str(m) for m in response.context["messages"]] == [
        "Dit conflictscherm kon niet worden gelezen. Je tekst staat hieronder; sla hem opnieuw op."
    ]
    assert texts(section) == [(1, FOUR), (2, A_SAID)]


def test_a_revision_of_another_section_is_not_accepted_as_theirs(client_for, section, writers, stale):
    other = Section.objects.exclude(pk=section.pk).first()
    other.owners.set(writers)
    foreign = services.save_revision(section=other, author=writers[0], text="Elders.", base_id=None).revision

    response = client_for(writers[1]).post(
        reverse("documents:edit", args=[section.pk]),
        {"text": B_SAID, "base": stale, "theirs": foreign.pk, "choice_0": "ours"},
    )

    assert response.status_code == 400
    assert texts(section) == [(1, FOUR), (2, A_SAID)]


def test_the_service_still_raises_on_the_same_paragraph(section, writers, stale):
    with pytest.raises(EditConflict) as raised:
        services.save_revision(section=section, author=writers[1], text=B_SAID, base_id=stale)

    assert [(c.ours, c.theirs) for c in raised.value.conflicts] == [
        ("Tweede alinea volgens B.", "Tweede alinea volgens A.")
    ]


# --- In a browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_conflict_screen_in_a_browser_needs_a_choice(browser, live_server, section, writers):
    from .test_browser_live import logged_in

    context, page = logged_in(browser, live_server, writers[1])
    try:
        page.goto(f"{live_server.url}/einddocument/{section.pk}/bewerken/")
        expect(page.locator("#id_text")).to_have_value(FOUR)
        services.save_revision(section=section, author=writers[0], text=A_SAID, base_id=section.head_id)
        page.locator("#id_text").fill(B_SAID)
        page.locator("#edit-form button[type=submit]").click()

        expect(page.locator("#conflict-heading")).to_be_visible()
        expect(page.locator("[data-conflict-theirs] mark")).to_have_text("A")
        expect(page.locator("[data-conflict-ours] mark")).to_have_text("B")
        # A second click without a choice: the screen again, with the reason.
        page.locator("#conflict-form button[type=submit]").click()
        expect(page.locator("#conflict-errors")).to_be_visible()
        expect(page.locator("[data-conflict-place='1'] .invalid-feedback")).to_have_text(
            "Kies wat je hier houdt; er wordt niets opgeslagen tot je dat doet."
        )
        assert Section.objects.get(pk=section.pk).head.text == A_SAID

        page.get_by_role("radio", name="Met de hand bewerken").check()
        page.locator("#id_edited_0").fill("Tweede alinea volgens A en B.")
        page.locator("#conflict-form button[type=submit]").click()
        expect(page).to_have_url(f"{live_server.url}/einddocument/{section.pk}/")
        expect(page.locator("article.rendered-markdown")).to_contain_text("Tweede alinea volgens A en B.")
        assert [error for error in page.errors if "Content Security Policy" in error] == []
    finally:
        context.close()

    assert Section.objects.get(pk=section.pk).head.text == merge.join(
        ["Eerste alinea.", "Tweede alinea volgens A en B.", "Derde alinea.", "Vierde alinea, door B."]
    )
