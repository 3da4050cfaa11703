"""Proposals as suggestions: the owners see each open proposal as its change to the current text."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents import merge, services
from documents.live import services as live
from documents.models import Amendment, Revision, Section

from .conftest import FOUR


def proposal_html(page: str, amendment: Amendment) -> str:
    """The rendered difference of one proposal on the section page."""
    match = re.search(
        rf'id="proposal-{amendment.pk}".*?<div class="card card-body rendered-markdown diff mb-2" data-proposal-diff>'
        r"(.*?)</div>\n",
        page,
        re.S,
    )
    assert match, f"no difference shown for proposal {amendment.pk}"
    return match.group(1)


def propose(section, member, text, reason="Scherper"):
    return services.propose_amendment(section=section, proposer=member, text=text, reason=reason)


def test_a_proposal_is_shown_as_its_change_to_the_current_text(client_for, section, writers, member_user):
    amendment = propose(section, member_user, FOUR.replace("Derde alinea.", "Derde alinea, volgens [@hayek]."))
    # The owner changes another paragraph after the proposal was made.
    services.save_revision(
        section=section,
        author=writers[0],
        text=FOUR.replace("Eerste alinea.", "Eerste, herzien."),
        base_id=section.head_id,
    )

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk])).content.decode()

    # Accepting adds two words and a citation; the owner's own later change is no deletion.
    assert proposal_html(page, amendment) == (
        "<p>…</p>\n"
        "<p>Tweede alinea.</p>\n"
        "<p>Derde alinea<ins>, volgens </ins>"
        '<a href="#ref-1" rel="noopener noreferrer nofollow"><ins>[1]</ins></a>.</p>\n'
        "<p>Vierde alinea.</p>\n"
    )
    assert "Bronnen die dit voorstel toevoegt:" in page
    assert '<li value="1">Friedrich Hayek. The Constitution of Liberty</li>' in page
    assert 'value="accept"' in page.split(f'id="proposal-{amendment.pk}"')[1]


def test_a_deletion_is_struck_through_and_citations_keep_the_pages_numbers(client_for, section, writers, member_user):
    services.save_revision(
        section=section,
        author=writers[0],
        text=FOUR.replace("Tweede alinea.", "Tweede alinea [@friedman1962].").replace("Vierde alinea.", "Vierde."),
        base_id=section.head_id,
    )
    section.refresh_from_db()
    amendment = propose(section, member_user, section.head.text.replace("Tweede alinea [@friedman1962].", "Tweede."))

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk])).content.decode()

    assert proposal_html(page, amendment) == (
        "<p>Eerste alinea.</p>\n"
        "<p>Tweede <del>alinea </del>"
        '<a href="#ref-1" rel="noopener noreferrer nofollow"><del>[1]</del></a>.</p>\n'
        "<p>Derde alinea.</p>\n"
        "<p>…</p>\n"
    )
    assert "Bronnen die dit voorstel toevoegt:" not in page


def test_a_proposal_is_compared_with_the_live_text(client_for, section, writers, member_user):
    amendment = propose(section, member_user, FOUR.replace("Eerste alinea.", "Eerste alinea, voorgesteld."))
    live.open_live(section_id=section.pk)
    doc = live.build_doc(live.LiveUpdate.objects.filter(section=section).values_list("data", flat=True))
    update = live.set_text(doc, FOUR.replace("Tweede alinea.", "Tweede alinea, live getypt."))
    live.store_updates(section_id=section.pk, items=[(update, writers[1].pk)])

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk])).content.decode()

    assert proposal_html(page, amendment) == (
        "<p>Eerste alinea<ins>, voorgesteld</ins>.</p>\n<p>Tweede alinea, live getypt.</p>\n<p>…</p>\n"
    )


def test_a_proposal_that_no_longer_merges_says_so_and_cannot_be_accepted(client_for, section, writers, member_user):
    amendment = propose(section, member_user, FOUR.replace("Derde alinea.", "Derde alinea, voorstel."))
    services.save_revision(
        section=section,
        author=writers[0],
        text=FOUR.replace("Derde alinea.", "Derde, eigenaar."),
        base_id=section.head_id,
    )

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk])).content.decode()

    card = page.split(f'id="proposal-{amendment.pk}"')[1].split("</article>")[0]
    assert "data-proposal-conflict" in card
    assert 'value="accept"' not in card
    assert 'value="reject"' in card
    # The proposal's own text against the current text.
    assert proposal_html(page, amendment) == (
        "<p>…</p>\n<p>Tweede alinea.</p>\n"
        "<p>Derde <ins>alinea</ins>, <del>eigenaar</del><ins>voorstel</ins>.</p>\n<p>Vierde alinea.</p>\n"
    )


def test_a_proposal_that_changes_nothing_says_so(client_for, section, writers, member_user):
    amendment = propose(section, member_user, FOUR)

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk])).content.decode()

    card = page.split(f'id="proposal-{amendment.pk}"')[1].split("</article>")[0]
    assert "data-proposal-unchanged" in card
    assert "data-proposal-diff" not in card


def test_markup_in_a_proposal_is_escaped_and_sanitised(client_for, section, writers, member_user):
    amendment = propose(
        section,
        member_user,
        FOUR.replace(
            "Derde alinea.",
            'Derde <script>alert(1)</script> <img src=x onerror="alert(2)"> [klik](javascript:alert(3)) \ue000nep',
        ),
    )

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk])).content.decode()

    # Shown as the text it is, never as markup; the marks' own characters cannot be smuggled in.
    assert proposal_html(page, amendment) == (
        "<p>…</p>\n<p>Tweede alinea.</p>\n"
        "<p>Derde <del>alinea.</del><ins>&lt;script&gt;alert(1)&lt;/script&gt; "
        '&lt;img src=x onerror="alert(2)"&gt; [klik](javascript:alert(3)) nep</ins></p>\n'
        "<p>Vierde alinea.</p>\n"
    )


def test_members_see_the_difference_and_only_owners_decide(client_for, section, writers, member_user):
    amendment = propose(section, member_user, FOUR.replace("Vierde alinea.", "Vierde alinea, beter."))

    page = client_for(member_user).get(reverse("documents:section", args=[section.pk])).content.decode()

    assert proposal_html(page, amendment) == "<p>…</p>\n<p>Derde alinea.</p>\n<p>Vierde alinea<ins>, beter</ins>.</p>\n"
    assert f"/voorstel/{amendment.pk}/" not in page


def test_the_kamerlid_sees_no_proposals(client_for, section, member_user, mp_user):
    section.shared = True
    section.save()
    propose(section, member_user, FOUR.replace("Vierde alinea.", "Vierde alinea, beter."))

    response = client_for(mp_user).get(reverse("documents:section", args=[section.pk]))

    assert response.context["proposals"] == []
    assert "data-proposal" not in response.content.decode()


def test_accepting_from_the_page_credits_the_proposer_in_history(client_for, section, writers, member_user):
    amendment = propose(section, member_user, FOUR.replace("Vierde alinea.", "Vierde alinea, beter."))
    client = client_for(writers[0])

    response = client.post(reverse("documents:decide", args=[section.pk, amendment.pk]), {"decision": "accept"})

    assert response.status_code == 302
    revision = Section.objects.get(pk=section.pk).head
    assert (revision.number, revision.text, revision.author, revision.credited_to) == (
        2,
        FOUR.replace("Vierde alinea.", "Vierde alinea, beter."),
        writers[0],
        member_user,
    )
    history = client.get(reverse("documents:history", args=[section.pk])).content.decode()
    assert f"voorstel van {member_user.name}" in history
    # Decided: no longer among the open proposals.
    assert client.get(reverse("documents:section", args=[section.pk])).context["proposals"] == []


def test_the_difference_is_the_merge_that_accepting_makes(section, writers, member_user):
    amendment = propose(section, member_user, FOUR.replace("Tweede alinea.", "Tweede, voorgesteld."))
    services.save_revision(
        section=section,
        author=writers[0],
        text=FOUR.replace("Derde alinea.", "Derde, eigenaar."),
        base_id=section.head_id,
    )
    section.refresh_from_db()
    current = section.head.text
    shown = merge.merge(FOUR, amendment.text, current)

    result = services.accept_amendment(amendment=amendment, by=writers[0])

    assert shown.clean
    assert (
        result.revision.text
        == shown.text
        == merge.join(["Eerste alinea.", "Tweede, voorgesteld.", "Derde, eigenaar.", "Vierde alinea."])
    )
    assert Revision.objects.filter(section=section).count() == 3


def test_the_section_page_takes_the_same_queries_with_one_and_three_proposals(
    client_for, section, writers, member_user
):
    client = client_for(writers[0])

    def queries_with(count):
        while Amendment.objects.filter(section=section).count() < count:
            propose(section, member_user, FOUR.replace("Vierde alinea.", f"Vierde alinea, {count}."))
        client.get(reverse("documents:section", args=[section.pk]))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("documents:section", args=[section.pk]))
        assert len(response.context["proposals"]) == count
        return len(queries)

    assert queries_with(1) == queries_with(3)


def test_a_proposals_own_page_lists_the_sources_it_cites(client_for, section, writers, member_user):
    amendment = propose(
        section, member_user, FOUR.replace("Derde alinea.", "Derde alinea, volgens [@hayek] [@onbekend].")
    )
    url = reverse("documents:amendment_detail", args=[section.pk, amendment.pk])

    page = client_for(writers[0]).get(url).content.decode()

    assert '<a href="#ref-1" rel="noopener noreferrer nofollow"><ins>[1]</ins></a>' in page
    assert '<li id="ref-1" value="1">Friedrich Hayek. The Constitution of Liberty</li>' in page
    assert "Onbekende bronnen; voeg ze toe aan de bronnenlijst of verbeter de sleutel: onbekend" in page
