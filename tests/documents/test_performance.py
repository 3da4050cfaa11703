"""The report stays fast at any size: diffs by paragraph and cached, texts left out of lists, rendering cached."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from denktank.models import Role
from documents import selectors, services
from documents.merge import ParagraphDiff
from documents.models import (
    Amendment,
    Comment,
    Recommendation,
    ReportExport,
    Revision,
    RevisionWriter,
    Section,
    Source,
)

from ..factories import UserFactory
from ..pages import visible_text
from ..queries import flat
from .conftest import FOUR

TEXT_COLUMN = '"documents_revision"."text"'


def save(section, author, text):
    result = services.save_revision(section=section, author=author, text=text, base_id=section.head_id)
    section.refresh_from_db()
    return result.revision


def sql(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


# --- The history diff ---------------------------------------------------------------------


def test_a_one_paragraph_change_gives_the_word_pieces_of_the_whole_text_diff(section, writers):
    section.revisions.all().delete()
    old = save(section, writers[0], "De snelle bruine vos")
    new = save(section, writers[0], "De trage bruine vos springt")

    diff = selectors.revision_diff(old, new)

    assert diff == [
        ParagraphDiff(
            "change",
            (
                ("equal", "De "),
                ("delete", "snelle"),
                ("insert", "trage"),
                ("equal", " bruine vos"),
                ("insert", " springt"),
            ),
        )
    ]
    # The word-level diff over the whole text gave these pieces; the spaces now travel with the words.
    assert [(kind, text.strip()) for kind, text in diff[0].pieces] == [
        ("equal", "De"),
        ("delete", "snelle"),
        ("insert", "trage"),
        ("equal", "bruine vos"),
        ("insert", "springt"),
    ]


def test_only_the_changed_paragraph_is_diffed_by_word_and_far_paragraphs_are_left_out(section, writers):
    old = section.head
    new = save(section, writers[0], FOUR.replace("Derde alinea.", "Derde, herschreven alinea.") + "\n\nVijfde.")

    diff = selectors.revision_diff(old, new)

    assert diff == [
        ParagraphDiff("skip", (("equal", "…"),)),
        ParagraphDiff("equal", (("equal", "Tweede alinea."),)),
        ParagraphDiff(
            "change",
            (("equal", "Derde"), ("insert", ", herschreven"), ("equal", " alinea.")),
        ),
        ParagraphDiff("equal", (("equal", "Vierde alinea."),)),
        ParagraphDiff("insert", (("insert", "Vijfde."),)),
    ]


def test_the_first_revision_shows_as_added_whole(section):
    diff = selectors.revision_diff(None, section.head)

    assert [paragraph.kind for paragraph in diff] == ["insert"] * 4
    assert diff[0].pieces == (("insert", "Eerste alinea."),)


def test_a_long_section_diffs_in_time_and_only_around_the_change(section, writers):
    paragraphs = [
        f"Alinea {number} over werk en vrijheid in een tijd van kunstmatige intelligentie." for number in range(2000)
    ]
    old = save(section, writers[0], "\n\n".join(paragraphs))
    paragraphs[1000] = paragraphs[1000].replace("vrijheid", "zekerheid")
    new = save(section, writers[0], "\n\n".join(paragraphs))

    diff = selectors.revision_diff(old, new)

    assert [paragraph.kind for paragraph in diff] == ["skip", "equal", "change", "equal", "skip"]
    assert diff[2].pieces[1:3] == (("delete", "vrijheid"), ("insert", "zekerheid"))


def test_a_pair_is_diffed_once_and_then_read_from_the_cache(client_for, section, writers, board_user):
    save(section, writers[0], FOUR.replace("Tweede", "TWEEDE"))
    client = client_for(board_user)
    url = reverse("documents:history", args=[section.pk])
    first = client.get(url)

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)

    assert again.context["diff"] == first.context["diff"]
    assert again.context["diff"][1] == ParagraphDiff(
        "change", (("delete", "Tweede"), ("insert", "TWEEDE"), ("equal", " alinea."))
    )
    assert not [query for query in sql(queries) if TEXT_COLUMN in query]


def test_the_history_page_reads_the_texts_of_the_two_revisions_compared_only(client_for, section, writers, board_user):
    for number in range(3):
        save(section, writers[0], f"{FOUR}\n\nErbij {number}.")
    client = client_for(board_user)
    client.get(reverse("home"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("documents:history", args=[section.pk]), {"van": 2, "naar": 4})

    reading_texts = [query for query in sql(queries) if TEXT_COLUMN in query]
    assert len(reading_texts) == 1
    new, old = (Revision.objects.get(section=section, number=n).pk for n in (4, 2))
    assert f'"documents_revision"."id" IN ({old}, {new})' in reading_texts[0] or (
        f'"documents_revision"."id" IN ({new}, {old})' in reading_texts[0]
    )
    assert (response.context["old"].number, response.context["new"].number) == (2, 4)


def test_the_revision_list_is_paginated_and_links_keep_the_page(client_for, section, writers, board_user):
    for number in range(selectors.REVISIONS_PER_PAGE + 1):
        save(section, writers[0], f"{FOUR}\n\nVersie {number}.")
    url = reverse("documents:history", args=[section.pk])

    response = client_for(board_user).get(url, {"page": 2, "van": 1, "naar": 2})

    assert [revision.number for revision in response.context["revisions"]] == [2, 1]
    assert response.context["page_obj"].paginator.num_pages == 2
    html = response.content.decode()
    assert 'href="?page=1&amp;van=1&amp;naar=2">Vorige</a>' in html
    # Choosing a revision from the list keeps the page and compares it with the one before.
    assert 'href="?page=2&amp;naar=1">#1</a>' in html
    assert "Pagina 2 van 2" in html


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999999", "-1", ""])
def test_history_ignores_numbers_that_cannot_be_revisions(client_for, section, board_user, value):
    response = client_for(board_user).get(
        reverse("documents:history", args=[section.pk]), {"van": value, "naar": value, "page": value}
    )

    assert response.status_code == 200
    assert (response.context["old"], response.context["new"].number) == (None, 1)


# --- Rendering cached per revision, invalidated by the sources ------------------------------------


@pytest.fixture
def cited(section, writers):
    Source.objects.create(key="cpb-2025", authors="CPB", year="2025", title="Werk en AI")
    return save(section, writers[0], "Zie [@cpb-2025] en [@nog-niet].")


def test_a_revision_is_rendered_once_and_then_read_without_the_sources(cited):
    first = selectors.render_revision(cited)

    with CaptureQueriesContext(connection) as queries:
        again = selectors.render_revision(cited)

    assert len(queries) == 0
    assert again == first
    assert first == (
        '<p>Zie <a href="#ref-1" rel="noopener noreferrer nofollow">[1]</a> en <strong>[@nog-niet?]</strong>.</p>\n',
        [(1, "CPB (2025). Werk en AI")],
        ["nog-niet"],
    )


def test_a_changed_or_added_source_renders_the_revision_again(cited, django_capture_on_commit_callbacks):
    selectors.render_revision(cited)

    with django_capture_on_commit_callbacks(execute=True):
        source = Source.objects.get(key="cpb-2025")
        source.title = "Werk en kunstmatige intelligentie"
        source.save()
        Source.objects.create(key="nog-niet", authors="SER", year="2026", title="Advies")

    assert selectors.render_revision(cited) == (
        '<p>Zie <a href="#ref-1" rel="noopener noreferrer nofollow">[1]</a> en '
        '<a href="#ref-2" rel="noopener noreferrer nofollow">[2]</a>.</p>\n',
        [(1, "CPB (2025). Werk en kunstmatige intelligentie"), (2, "SER (2026). Advies")],
        [],
    )


def test_a_removed_source_renders_the_revision_again(cited, django_capture_on_commit_callbacks):
    selectors.render_revision(cited)

    with django_capture_on_commit_callbacks(execute=True):
        Source.objects.get(key="cpb-2025").delete()

    html, references, unknown = selectors.render_revision(cited)
    assert html == "<p>Zie <strong>[@cpb-2025?]</strong> en <strong>[@nog-niet?]</strong>.</p>\n"
    assert (references, unknown) == ([], ["cpb-2025", "nog-niet"])


def test_a_cached_rendering_continues_the_numbering_of_the_page(cited):
    selectors.render_revision(cited)
    numbering = selectors.Numbering.for_all_sources()

    selectors.render_revision(cited, numbering)

    assert (numbering.numbers, numbering.unknown) == ({"cpb-2025": 1}, ["nog-niet"])


# --- Word counts and lists without texts ----------------------------------------------------------


def test_the_word_count_is_stored_with_the_revision(section, writers):
    revision = save(section, writers[0], "Een  tekst\n\nmet\tzeven woorden en [@bron].")

    assert revision.word_count == len(revision.text.split()) == 7
    assert Revision.objects.get(pk=revision.pk).word_count == 7


def test_the_migration_counts_the_words_of_existing_revisions(section, writers):
    revision = save(section, writers[0], FOUR + "\n\nNog één.")
    Revision.objects.filter(pk=revision.pk).update(word_count=0)

    import_module("documents.migrations.0010_revision_word_count_data").count_words(apps, None)

    assert Revision.objects.get(pk=revision.pk).word_count == len(revision.text.split()) == 10


@pytest.mark.parametrize("url_name", ["documents:report", "home", "documents:publish"])
def test_lists_of_sections_read_no_texts_and_group_by_nothing(client_for, section, writers, board_user, url_name):
    client = client_for(board_user)
    client.get(reverse("home"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert [query for query in sql(queries) if TEXT_COLUMN in query] == []
    assert [query for query in sql(queries) if 'GROUP BY "documents_section"' in query] == []


def test_the_report_shows_stored_word_counts_and_open_comments(client_for, section, writers, board_user):
    save(section, writers[0], "Drie woorden hier.")
    services.add_comment(section=section, author=writers[1], text="Open vraag")

    response = client_for(board_user).get(reverse("documents:report"))

    row = next(s for _, s, _, _ in response.context["sections"] if s.pk == section.pk)
    assert (row.head.word_count, row.open_comments, row.owner_names) == (3, 1, "Schrijver A, Schrijver B")
    assert response.context["progress"]["words"] == 3
    html = response.content.decode()
    assert f'<a href="/einddocument/{section.pk}/">Inleiding</a>' in html
    assert f'formaction="/einddocument/{section.pk}/verplaatsen/" name="to" value="up"' in html


def test_the_report_rows_follow_a_change_at_once(client_for, section, writers, board_user):
    client = client_for(board_user)
    client.get(reverse("documents:report"))

    save(section, writers[0], "Nu vier woorden hier.")
    section.title = "Nieuwe inleiding"
    section.save()
    html = client.get(reverse("documents:report")).content.decode()

    assert f'<a href="/einddocument/{section.pk}/">Nieuwe inleiding</a>' in html
    assert '<td class="text-end">4</td>' in html


def test_the_dashboard_card_counts_the_same_as_the_report(client_for, section, writers, board_user):
    save(section, writers[0], "Vijf woorden staan hier nu.")
    Section.objects.filter(title="Bijlagen").update(status=Section.Status.FINAL)
    client = client_for(writers[0])

    card = client.get(reverse("home")).context["progress"]
    report = client.get(reverse("documents:report")).context["progress"]

    assert card == report
    assert card["words"] == 5


# --- Query counts of the list pages ---------------------------------------------------------------


def test_recommendations_queries_do_not_grow(client_for, board_user):
    Recommendation.objects.all().delete()
    counts = flat(
        client_for(board_user),
        reverse("documents:recommendations"),
        lambda: Recommendation.objects.create(text="Doe iets", section=Section.objects.first()),
        Recommendation.objects.count,
    )
    assert counts[0] == counts[1]


def test_sources_queries_do_not_grow(client_for, board_user):
    Source.objects.all().delete()
    counts = flat(
        client_for(board_user),
        reverse("documents:sources"),
        lambda: Source.objects.create(key=f"bron-{Source.objects.count()}", title="Titel"),
        Source.objects.count,
    )
    assert counts[0] == counts[1]


def test_exports_queries_do_not_grow(client_for, board_user):
    counts = flat(
        client_for(board_user),
        reverse("documents:exports"),
        lambda: ReportExport.objects.create(requested_by=board_user, status=ReportExport.Status.FAILED),
        ReportExport.objects.count,
    )
    assert counts[0] == counts[1]


def test_the_dashboard_inbox_queries_do_not_grow(client_for, section, writers):
    proposer = UserFactory(roles=["Deelnemer"])

    def make():
        Comment.objects.create(section=section, author=proposer, text="Vraag")
        Amendment.objects.create(section=section, proposer=proposer, base=section.head, text="Anders", reason="Beter")

    counts = flat(client_for(writers[0]), reverse("home"), make, Comment.objects.count)
    assert counts[0] == counts[1]


def test_the_section_page_queries_do_not_grow_with_comments(client_for, section, writers):
    counts = flat(
        client_for(writers[0]),
        reverse("documents:section", args=[section.pk]),
        lambda: Comment.objects.create(section=section, author=writers[1], text="Vraag"),
        Comment.objects.count,
    )
    assert counts[0] == counts[1]


# --- The section page's discussion: a page at a time -------------------------------------


def test_the_section_page_shows_open_comments_a_page_at_a_time_newest_first(client_for, section, writers):
    for number in range(25):
        Comment.objects.create(section=section, author=writers[1], text=f"Open vraag {number}")
    for number in range(3):
        services.resolve_comment(
            comment=Comment.objects.create(section=section, author=writers[1], text=f"Opgelost {number}"),
            by=writers[0],
        )
    client = client_for(writers[0])
    url = reverse("documents:section", args=[section.pk])

    first = client.get(url)
    second = client.get(url, {"reactiepagina": 2})
    resolved = client.get(url, {"reacties": "afgehandeld"})

    texts = lambda response: [comment.text for comment in response.context["discussion"].comments]  # noqa: E731
    assert texts(first) == [f"Open vraag {number}" for number in range(24, 4, -1)]
    assert texts(second) == [f"Open vraag {number}" for number in range(4, -1, -1)]
    assert texts(resolved) == ["Opgelost 2", "Opgelost 1", "Opgelost 0"]
    page = first.content.decode()
    assert "Open (25)" in page and "Afgehandeld (3)" in page
    assert "Opgelost 0" not in page
    assert "?reactiepagina=2#comments" in page
    # The other list's page number stays in the link.
    assert "?voorstelpagina=1&amp;reactiepagina=2#comments" in client.get(url, {"voorstelpagina": 1}).content.decode()


def test_decided_proposals_are_listed_without_their_text_and_shown_on_their_own_page(client_for, section, writers):
    proposer = UserFactory(name="Voorsteller", roles=["Deelnemer"])
    decided = []
    for number in range(12):
        amendment = services.propose_amendment(
            section=section,
            proposer=proposer,
            text=FOUR.replace("Derde alinea.", f"Derde alinea met woord{number}."),
            reason=f"Reden {number}",
        )
        services.reject_amendment(amendment=amendment, by=writers[0], reason="Liever niet")
        decided.append(amendment)
    client = client_for(writers[0])
    url = reverse("documents:section", args=[section.pk])

    first = client.get(url)
    second = client.get(url, {"voorstelpagina": 2})
    detail = client.get(reverse("documents:amendment_detail", args=[section.pk, decided[0].pk]))

    listed = lambda response: [a.reason for a in response.context["discussion"].decided]  # noqa: E731
    assert listed(first) == [f"Reden {number}" for number in range(11, 1, -1)]
    assert listed(second) == ["Reden 1", "Reden 0"]
    assert "woord11" not in first.content.decode()
    assert "12 besloten voorstellen" in first.content.decode()
    change = detail.context["change"]
    assert "<ins>met woord0</ins>" in change
    assert "Liever niet" in detail.content.decode()


def test_an_accepted_proposal_links_to_its_revision_in_the_history(client_for, section, writers):
    proposer = UserFactory(roles=["Deelnemer"])
    amendment = services.propose_amendment(
        section=section, proposer=proposer, text=FOUR.replace("Vierde", "Laatste"), reason="Korter"
    )
    services.accept_amendment(amendment=amendment, by=writers[0])
    amendment.refresh_from_db()

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk])).content.decode()

    history = reverse("documents:history", args=[section.pk])
    assert f'href="{history}?naar={amendment.revision.number}"' in page


def test_the_section_page_reads_no_proposal_texts_and_its_queries_do_not_grow(client_for, section, writers):
    proposer = UserFactory(roles=["Deelnemer"])

    def make():
        amendment = Amendment.objects.create(
            section=section, proposer=proposer, base=section.head, text="Anders", reason="Beter"
        )
        services.reject_amendment(amendment=amendment, by=writers[0], reason="Nee")
        Comment.objects.create(section=section, author=proposer, text="Vraag", resolved_at=amendment.decided_at)

    client = client_for(writers[0])
    url = reverse("documents:section", args=[section.pk])
    counts = flat(client, url, make, Amendment.objects.count)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)

    assert counts[0] == counts[1]
    assert not [query for query in sql(queries) if '"documents_amendment"."text"' in query]


def test_an_open_proposal_is_previewed_once_per_current_text(client_for, section, writers):
    proposer = UserFactory(roles=["Deelnemer"])
    services.propose_amendment(section=section, proposer=proposer, text=FOUR.replace("Vierde", "Laatste"), reason="Ja")
    client = client_for(writers[0])
    url = reverse("documents:section", args=[section.pk])

    def view():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        reads = [query for query in sql(queries) if '"documents_amendment"."text"' in query]
        return str(response.context["proposals"][0].html), len(reads)

    first, first_reads = view()
    again, again_reads = view()
    save(section, writers[0], FOUR.replace("Derde alinea.", "Derde alinea, herzien."))
    changed, changed_reads = view()

    assert (first_reads, again_reads, changed_reads) == (1, 0, 1)
    assert again == first
    assert "<del>Vierde</del><ins>Laatste</ins>" in first
    assert "herzien" in changed and "herzien" not in first


def test_an_empty_comment_is_refused_with_a_message(client_for, section, writers):
    response = client_for(writers[0]).post(reverse("documents:comment", args=[section.pk]), {"text": " "}, follow=True)

    assert Comment.objects.count() == 0
    assert [str(message) for message in response.context["messages"]] == ["Schrijf je reactie voordat je hem plaatst."]
    # Back at the top of the page, where the message shows; not scrolled down to the comments.
    assert response.redirect_chain[-1][0] == reverse("documents:section", args=[section.pk])


def test_the_history_names_everyone_who_wrote_in_a_live_revision(client_for, section, writers, board_user):
    """A revision cut from the live text is by its author "with" the others who wrote in it; one query per page."""
    third = UserFactory(name="Schrijver C", email="c@example.nl", roles=[Role.DEELNEMER])
    save(section, writers[1], f"{FOUR}\n\nSamen.")
    live_revision = Revision.objects.get(section=section, number=2)
    RevisionWriter.objects.bulk_create(
        RevisionWriter(revision=live_revision, user=user) for user in (writers[0], writers[1], third)
    )
    client = client_for(board_user)
    url = reverse("documents:history", args=[section.pk])

    with CaptureQueriesContext(connection) as queries:
        text = visible_text(client.get(url))

    assert "#2 · Schrijver B met Schrijver A, Schrijver C ·" in text
    assert "#1 · Schrijver A ·" in text
    assert len([query for query in sql(queries) if '"documents_revisionwriter"' in query]) == 1
