import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents import services
from documents.exceptions import EditConflict, NotAllowedToEdit, OnlyBoardFinalises, ReasonRequired
from documents.models import Amendment, Draft, Revision, Section

from ..concurrency import requires_postgresql, run_concurrently
from ..factories import UserFactory
from .conftest import FOUR


def texts(section):
    return list(section.revisions.order_by("number").values_list("number", "text"))


def test_every_save_is_a_numbered_revision(section, writers):
    services.save_revision(section=section, author=writers[1], text=FOUR + "\n\nVijfde.", base_id=section.head_id)

    section.refresh_from_db()
    assert [(r.number, r.author.name) for r in section.revisions.order_by("number")] == [
        (1, "Schrijver A"),
        (2, "Schrijver B"),
    ]
    assert section.head.number == 2


def test_stale_save_merges_changes_in_other_paragraphs(section, writers):
    base = section.head_id
    services.save_revision(section=section, author=writers[0], text=FOUR.replace("Eerste", "EERSTE"), base_id=base)

    result = services.save_revision(
        section=section, author=writers[1], text=FOUR.replace("Vierde", "VIERDE"), base_id=base
    )

    assert result.merged is True
    assert result.revision.text == "EERSTE alinea.\n\nTweede alinea.\n\nDerde alinea.\n\nVIERDE alinea."
    assert [n for n, _ in texts(section)] == [1, 2, 3]


def test_stale_save_of_the_same_paragraph_is_a_conflict_and_saves_nothing(section, writers):
    base = section.head_id
    services.save_revision(section=section, author=writers[0], text=FOUR.replace("Tweede", "Mijn tweede"), base_id=base)

    with pytest.raises(EditConflict) as raised:
        services.save_revision(
            section=section, author=writers[1], text=FOUR.replace("Tweede", "Jouw tweede"), base_id=base
        )

    assert [(c.ours, c.theirs) for c in raised.value.conflicts] == [("Jouw tweede alinea.", "Mijn tweede alinea.")]
    assert raised.value.head.number == 2
    assert [n for n, _ in texts(section)] == [1, 2]


def test_conflict_screen_keeps_the_writers_text(client_for, section, writers):
    base = section.head_id
    services.save_revision(section=section, author=writers[0], text=FOUR.replace("Tweede", "Mijn tweede"), base_id=base)
    mine = FOUR.replace("Tweede", "Jouw tweede")

    response = client_for(writers[1]).post(reverse("documents:edit", args=[section.pk]), {"text": mine, "base": base})

    assert response.status_code == 409
    assert response.context["conflict_form"].initial == {
        "text": mine,
        "base": base,
        "theirs": Section.objects.get(pk=section.pk).head_id,
        "note": "",
    }
    assert "Jouw tweede alinea." in response.content.decode()


def test_restore_creates_a_new_revision(section, writers):
    first = section.head
    services.save_revision(section=section, author=writers[1], text="Alles anders.", base_id=first.pk)

    result = services.restore_revision(revision=first, author=writers[1])

    assert (result.revision.number, result.revision.text, result.revision.restored_from) == (3, FOUR, first)
    assert Revision.objects.filter(section=section).count() == 3


def test_only_owners_and_the_board_edit(section, member_user, board_user, client_for):
    with pytest.raises(NotAllowedToEdit):
        services.save_revision(section=section, author=member_user, text="Gekaapt", base_id=section.head_id)
    assert client_for(member_user).post(reverse("documents:edit", args=[section.pk]), {"text": "x"}).status_code == 403

    services.save_revision(section=section, author=board_user, text=FOUR + "\n\nBestuur.", base_id=section.head_id)
    assert Revision.objects.filter(section=section).count() == 2


def test_only_the_board_marks_final(section, writers, board_user):
    services.set_status(section=section, status="review", by=writers[0])
    with pytest.raises(OnlyBoardFinalises):
        services.set_status(section=section, status="final", by=writers[0])
    services.set_status(section=section, status="final", by=board_user)

    assert Section.objects.get(pk=section.pk).status == "final"


def test_autosave_keeps_a_private_draft_until_saved(client_for, section, writers):
    client = client_for(writers[0])
    client.post(reverse("documents:autosave", args=[section.pk]), {"text": "Half af", "base": section.head_id})

    page = client.get(reverse("documents:edit", args=[section.pk]))
    other = client_for(writers[1]).get(reverse("documents:edit", args=[section.pk]))

    assert page.context["form"].initial == {"text": "Half af", "base": section.head_id}
    assert other.context["form"].initial["text"] == FOUR
    services.save_revision(section=section, author=writers[0], text="Af.", base_id=section.head_id)
    assert Draft.objects.count() == 0


def test_amendment_accepted_credits_the_proposer(section, writers, member_user):
    amendment = services.propose_amendment(
        section=section, proposer=member_user, text=FOUR.replace("Derde", "Betere derde"), reason="Scherper"
    )

    result = services.accept_amendment(amendment=amendment, by=writers[0])

    amendment.refresh_from_db()
    assert (amendment.status, result.revision.credited_to, result.revision.author) == (
        "accepted",
        member_user,
        writers[0],
    )
    assert "Betere derde alinea." in result.revision.text


def test_amendment_rejected_needs_a_reason(section, writers, member_user):
    amendment = services.propose_amendment(section=section, proposer=member_user, text="Anders", reason="Waarom niet")

    with pytest.raises(ReasonRequired):
        services.reject_amendment(amendment=amendment, by=writers[0], reason=" ")
    services.reject_amendment(amendment=amendment, by=writers[0], reason="Past niet")

    assert Amendment.objects.get().status == "rejected"


def test_a_member_cannot_decide_on_amendments_of_sections_they_do_not_own(section, member_user):
    other = UserFactory(roles=["Deelnemer"])
    amendment = services.propose_amendment(section=section, proposer=other, text="Anders", reason="Beter")

    with pytest.raises(NotAllowedToEdit):
        services.accept_amendment(amendment=amendment, by=member_user)
    assert Amendment.objects.get().status == "open"


@pytest.mark.parametrize(
    "payload", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "[x](javascript:alert(1))"]
)
def test_xss_never_reaches_the_page_unescaped(client_for, section, writers, member_user, payload):
    services.save_revision(section=section, author=writers[0], text=payload, base_id=section.head_id)
    services.add_comment(section=section, author=member_user, text=payload)
    services.propose_amendment(section=section, proposer=member_user, text=payload, reason=payload)

    html = client_for(writers[1]).get(reverse("documents:section", args=[section.pk])).content.decode()
    preview = client_for(writers[1]).post(reverse("documents:preview", args=[section.pk]), {"text": payload})

    for content in (html, preview.content.decode()):
        assert "<script>alert(1)</script>" not in content
        assert not re.search(r"<[a-z]+[^>]*\sonerror=", content)
        assert 'href="javascript:' not in content


def test_kamerlid_reads_only_shared_sections(client_for, section, mp_user):
    other = Section.objects.get(title="Bijlagen")
    section.shared = True
    section.save()
    client = client_for(mp_user)

    assert client.get(reverse("documents:section", args=[section.pk])).status_code == 200
    assert client.get(reverse("documents:section", args=[other.pk])).status_code == 404
    assert client.get(reverse("documents:history", args=[other.pk])).status_code == 404
    report = client.get(reverse("documents:report"))
    readable = [s.title for _, s, _, ok in report.context["sections"] if ok]
    assert readable == ["Inleiding"]


def test_anonymous_sees_nothing(client, section):
    assert client.get(reverse("documents:report")).url == "/account/login/?next=/einddocument/"
    assert client.get(reverse("documents:section", args=[section.pk])).status_code == 302


@pytest.mark.parametrize("url_name", ["documents:report", "documents:history"])
def test_pages_run_the_same_queries_for_1_3_and_50(client_for, board_user, writers, url_name):
    section = Section.objects.get(title="Inleiding")
    client = client_for(board_user)
    client.get(reverse("home"))  # the first request of a session writes it: not part of the page's cost
    counts = []
    for total in (1, 3, 50):
        if url_name == "documents:report":
            Section.objects.exclude(pk=section.pk).delete()
            for number in range(total - 1):
                extra = Section.objects.create(title=f"Extra {number}", position=10 + number)
                extra.owners.set(writers)
            url = reverse(url_name)
        else:
            while section.revisions.count() < total:
                services.save_revision(
                    section=section,
                    author=board_user,
                    text=f"Versie {section.revisions.count()}",
                    base_id=section.head_id,
                )
                section.refresh_from_db()
            url = reverse(url_name, args=[section.pk])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] == counts[2]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_saves_never_lose_a_revision(writers):
    requires_postgresql()
    section = Section.objects.get(title="Inleiding")
    section.owners.set(writers)
    services.save_revision(section=section, author=writers[0], text=FOUR, base_id=None)
    base = Section.objects.get(pk=section.pk).head_id
    edits = iter([FOUR.replace("Eerste", "EERSTE"), FOUR.replace("Derde", "DERDE")] * 3)

    results = run_concurrently(
        lambda: services.save_revision(section=section, author=writers[0], text=next(edits), base_id=base), 2
    )

    assert sorted(kind for kind, _ in results) == ["ok", "ok"]
    head = Section.objects.get(pk=section.pk).head
    assert head.text == "EERSTE alinea.\n\nTweede alinea.\n\nDERDE alinea.\n\nVierde alinea."
    assert list(Revision.objects.filter(section=section).order_by("number").values_list("number", flat=True)) == [
        1,
        2,
        3,
    ]
