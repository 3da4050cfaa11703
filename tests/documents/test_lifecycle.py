"""The report's life: edit → publish → edit attempt → reopen → edit → publish again, as each role sees it."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from denktank.models import OutgoingMail
from documents import selectors, services
from documents.exceptions import OnlyBoardFinalises, ReportFrozen
from documents.models import Draft, ReportExport, ReportVersion, Revision, Section

from ..concurrency import requires_postgresql, run_concurrently
from .conftest import FOUR


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def statuses() -> dict[str, str]:
    return dict(Section.objects.values_list("title", "status"))


def test_publishing_leaves_section_statuses_as_they_are(section, board_user):
    section.status = Section.Status.REVIEW
    section.save()
    before = statuses()

    services.publish_report(by=board_user)
    services.reopen_report(by=board_user)

    assert statuses() == before
    assert before["Inleiding"] == "review"
    assert sorted(set(before.values())) == ["draft", "review"]


def test_publishing_mails_every_member_and_kamerlid_once(
    section, writers, board_user, member_user, mp_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_report(by=board_user)

    published = OutgoingMail.objects.filter(idempotency_key__startswith="report-published:1:")
    assert sorted(published.values_list("to", flat=True)) == [
        "a@example.nl",
        "b@example.nl",
        "deelnemer@example.nl",
        "kamerlid@example.nl",
    ]
    subjects = {m.subject for m in mail.outbox if m.to[0] in {"a@example.nl", "kamerlid@example.nl"}}
    assert subjects == {"[Denktank] Het einddocument is gepubliceerd (versie 1)"}
    assert "http://testserver/einddocument/pdf/" in next(m.body for m in mail.outbox if m.to == ["kamerlid@example.nl"])


def test_the_whole_lifecycle_loses_no_text(client_for, section, writers, board_user, mp_user, client):
    writer = writers[0]
    # 1. A member writes.
    member = client_for(writer)
    response = member.post(
        reverse("documents:edit", args=[section.pk]), {"text": FOUR + "\n\nVijfde alinea.", "base": section.head_id}
    )
    assert response.status_code == 302
    assert Section.objects.get(pk=section.pk).head.number == 2

    # 2. The board sees what is empty or not final, must confirm, and publishes.
    board = client_for(board_user)
    page = board.get(reverse("documents:publish"))
    assert page.status_code == 200
    empty_titles = [s.title for _, s in page.context["empty"]]
    assert "Inleiding" not in empty_titles
    assert "Vraag 2 — De empirische vraag" in empty_titles
    assert len(page.context["not_final"]) == Section.objects.count()
    refused = board.post(reverse("documents:publish"), {"action": "publish"})
    assert refused.status_code == 400
    assert "Vink het vakje aan" in refused.content.decode()
    assert ReportVersion.objects.count() == 0
    assert board.post(reverse("documents:publish"), {"action": "publish", "confirm": "on"}).status_code == 302
    assert ReportVersion.objects.get().number == 1
    assert statuses()["Inleiding"] == "draft"

    # 3. Frozen: no edit button, a notice, the edit page sends back, a late save is kept as a draft.
    client.logout()
    member = client_for(writer)
    page = member.get(reverse("documents:section", args=[section.pk]))
    html = page.content.decode()
    assert reverse("documents:edit", args=[section.pk]) not in html
    assert "alleen-lezen" in html
    assert page.context["status_form"] is None
    response = member.get(reverse("documents:edit", args=[section.pk]))
    assert response.status_code == 302 and response.url == reverse("documents:section", args=[section.pk])
    late_text = FOUR + "\n\nVijfde alinea.\n\nZesde alinea, getypt tijdens het publiceren."
    response = member.post(
        reverse("documents:edit", args=[section.pk]),
        {"text": late_text, "base": Section.objects.get(pk=section.pk).head_id},
    )
    assert response.status_code == 302
    assert any("privé-concept" in message for message in messages_of(response))
    assert Revision.objects.filter(section=section).count() == 2
    assert Draft.objects.get(section=section, user=writer).text == late_text

    # The Kamerlid's progress is the real one: nothing was made final by publishing.
    client.logout()
    progress = client_for(mp_user).get(reverse("documents:report")).context["progress"]
    assert [(value, count) for value, _, count, _ in progress["counts"]] == [
        ("draft", Section.objects.count()),
        ("review", 0),
        ("final", 0),
    ]

    # 4. The board reopens; the writer continues from the kept draft and saves.
    client.logout()
    board = client_for(board_user)
    board.post(reverse("documents:publish"), {"action": "reopen"})
    client.logout()
    member = client_for(writer)
    page = member.get(reverse("documents:edit", args=[section.pk]))
    assert page.context["form"].initial["text"] == late_text
    member.post(
        reverse("documents:edit", args=[section.pk]),
        {"text": late_text, "base": page.context["form"].initial["base"]},
    )
    assert Section.objects.get(pk=section.pk).head.text == late_text

    # 5. Published again: version 2 has every word.
    client.logout()
    client_for(board_user).post(reverse("documents:publish"), {"action": "publish", "confirm": "on"})
    second = ReportVersion.objects.get(number=2)
    assert next(s["text"] for s in second.sections if s["title"] == "Inleiding") == late_text


def test_autosave_while_frozen_keeps_the_draft_and_says_why(client_for, section, writers, board_user):
    services.publish_report(by=board_user)

    response = client_for(writers[0]).post(
        reverse("documents:autosave", args=[section.pk]), {"text": "Nog niet verloren", "base": section.head_id}
    )

    assert response.status_code == 200
    assert "gepubliceerd" in response.content.decode()
    assert Draft.objects.get(section=section, user=writers[0]).text == "Nog niet verloren"


def test_owner_status_menu_offers_only_draft_and_review(client_for, section, writers, board_user):
    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk]))
    assert [value for value, _ in page.context["status_form"].fields["status"].choices] == ["draft", "review"]

    with pytest.raises(OnlyBoardFinalises):
        services.set_status(section=section, status="final", by=writers[0])
    services.set_status(section=section, status="final", by=board_user)
    section.refresh_from_db()
    assert selectors.settable_statuses(user=writers[0], section=section) == []
    with pytest.raises(OnlyBoardFinalises):
        services.set_status(section=section, status="draft", by=writers[0])
    assert selectors.settable_statuses(user=board_user, section=section) == ["draft", "review", "final"]


def test_status_of_a_final_section_says_who_can_change_it(client_for, section, writers, board_user):
    services.set_status(section=section, status="final", by=board_user)

    page = client_for(writers[0]).get(reverse("documents:section", args=[section.pk]))

    assert page.context["status_form"] is None
    assert "alleen het bestuur kan de status wijzigen" in page.content.decode()


def test_no_status_change_while_frozen(section, board_user):
    services.publish_report(by=board_user)
    with pytest.raises(ReportFrozen):
        services.set_status(section=section, status="review", by=board_user)
    assert Section.objects.get(pk=section.pk).status == "draft"


def test_no_draft_export_of_a_frozen_report(client_for, section, board_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_report(by=board_user)
    board = client_for(board_user)

    page = board.get(reverse("documents:exports")).content.decode()
    response = board.post(reverse("documents:exports"))

    assert "Pdf maken" not in page
    assert response.status_code == 302
    assert list(ReportExport.objects.values_list("version__number", flat=True)) == [1]
    with pytest.raises(ReportFrozen):
        services.start_export(by=board_user)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_save_racing_a_publish_is_in_the_version_or_kept_as_draft(writers, board_user):
    requires_postgresql()
    section = Section.objects.get(title="Inleiding")
    section.owners.set(writers)
    services.save_revision(section=section, author=writers[0], text=FOUR, base_id=None)
    base = Section.objects.get(pk=section.pk).head_id
    racing = FOUR + "\n\nGetypt op het moment van publiceren."
    calls = iter(
        [
            lambda: services.publish_report(by=board_user),
            lambda: services.save_or_keep_draft(section=section, author=writers[0], text=racing, base_id=base),
        ]
    )

    results = run_concurrently(lambda: next(calls)(), 2)

    errors = [value for kind, value in results if kind == "error"]
    assert all(isinstance(error, ReportFrozen) for error in errors), errors
    published = next(s["text"] for s in ReportVersion.objects.get().sections if s["title"] == "Inleiding")
    if errors:  # the save came second: kept privately, not in the version
        assert published == FOUR
        assert Draft.objects.get(section=section, user=writers[0]).text == racing
    else:  # the save came first: the version has it
        assert published == racing
