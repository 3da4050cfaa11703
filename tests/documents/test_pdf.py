import re
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.urls import reverse

from documents import selectors, services
from documents.exceptions import ReportFrozen
from documents.models import Question, Recommendation, ReportExport, ReportVersion, Section
from documents.pdf import StaticOnlyFetcher

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs poppler-utils (the test command installs it)"
)


def pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture
def written(section, writers):
    services.save_revision(
        section=section,
        author=writers[0],
        text="Liberale waarden [@hayek]. Ook Friedman [@friedman1962] en opnieuw Hayek [@hayek].",
        base_id=section.head_id,
    )
    Recommendation.objects.create(text="Maak werken altijd lonend.").questions.set(Question.objects.filter(number=3))
    return section


def test_export_command_gives_cover_contents_page_numbers_and_concept(written, tmp_path):
    out = tmp_path / "rapport.pdf"

    call_command("export_report", str(out))

    pages = pdf_pages(out)
    assert len(pages) >= 8
    assert "Vrijheid, Werk en AI: een" in pages[0]
    assert all("CONCEPT" in page for page in pages)
    for number, page in enumerate(pages[1:], start=2):
        assert f"pagina {number} van {len(pages)}" in page
    contents = re.findall(r"^\s*([\d.]+ .+?)\s?\.{3,}\s*(\d+)$", pages[1], flags=re.MULTILINE)
    assert [title for title, _ in contents][:2] == ["1 Inleiding", "2 Ankervraag: Vraag 1 — De waardenvraag"]
    for title, page_number in contents:
        assert title in pages[int(page_number) - 1], f"{title} not on page {page_number}"
    assert "Liberale waarden [1]. Ook Friedman [2] en opnieuw Hayek [1]." in pages[2]
    references = pages[-1]
    assert re.search(r"1\.\s+Friedrich Hayek\. The Constitution of Liberty", references)
    assert re.search(r"2\.\s+Milton Friedman \(1962\)", references)
    assert "Maak werken altijd lonend." in "".join(pages)


def test_published_version_has_no_concept(written, board_user, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = services.publish_report(by=board_user)

    export = ReportExport.objects.get(version=version)
    assert (export.status, export.progress) == ("done", 100)
    pages = pdf_pages(export.file.path)
    assert not [page for page in pages if "CONCEPT" in page]
    assert f"pagina 2 van {len(pages)}" in pages[1]


def test_external_and_local_files_are_never_fetched(section, writers, tmp_path):
    services.save_revision(
        section=section,
        author=writers[0],
        text="![extern](https://example.org/x.png)\n\n![lokaal](file:///etc/passwd)\n\n![eigen](/static/img/favicon.svg)",
        base_id=section.head_id,
    )
    out = tmp_path / "r.pdf"

    call_command("export_report", str(out))

    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) - 2 <= 1  # at most our own static image, never the others
    assert "root:" not in "".join(pdf_pages(out))
    fetcher = StaticOnlyFetcher()
    for url in ("https://example.org/x.png", "file:///etc/passwd", "http://testserver/../etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_export_failure_is_shown_and_leaves_no_file(
    written, board_user, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        kwargs["progress"](10, "x")
        raise RuntimeError("lettertype ontbreekt")

    monkeypatch.setattr(services, "render_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        export = services.start_export(by=board_user)

    export.refresh_from_db()
    assert (export.status, export.progress, export.file.name) == ("failed", 10, "")
    assert export.error == "RuntimeError: lettertype ontbreekt"


def test_board_starts_an_export_and_sees_progress(client_for, board_user, written, django_capture_on_commit_callbacks):
    client = client_for(board_user)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("documents:exports"))
    export = ReportExport.objects.get()

    row = client.get(reverse("documents:export_status", args=[export.pk]))

    assert export.status == "queued"
    assert 'hx-trigger="every 1s"' in row.content.decode()
    services.run_export(export_id=export.pk)
    done = client.get(reverse("documents:export_status", args=[export.pk])).content.decode()
    assert "hx-trigger" not in done
    download = client.get(reverse("documents:export_download", args=[export.pk]))
    assert (download["Content-Type"], download["Cache-Control"]) == ("application/pdf", "private, no-store")


def test_only_published_exports_reach_members_and_the_kamerlid(
    client_for, board_user, member_user, mp_user, written, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.start_export(by=board_user)
        version = services.publish_report(by=board_user)
    published = ReportExport.objects.get(version=version)

    for user in (member_user, mp_user):
        client = client_for(user)
        assert client.post(reverse("documents:exports")).status_code == 403
        assert client.get(reverse("documents:export_download", args=[draft.pk])).status_code == 404
        assert client.get(reverse("documents:export_download", args=[published.pk])).status_code == 200
        listed = [e.pk for e in client.get(reverse("documents:exports")).context["exports"]]
        assert listed == [published.pk]


def test_publishing_freezes_the_report_until_the_board_reopens_it(written, writers, board_user):
    services.publish_report(by=board_user)
    section = Section.objects.get(pk=written.pk)

    with pytest.raises(ReportFrozen):
        services.save_revision(section=section, author=writers[0], text="Nog iets", base_id=section.head_id)
    with pytest.raises(ReportFrozen):
        services.publish_report(by=board_user)

    services.reopen_report(by=board_user)
    services.save_revision(section=section, author=writers[0], text="Nog iets", base_id=section.head_id)
    second = services.publish_report(by=board_user)

    assert second.number == 2
    assert list(ReportVersion.objects.values_list("number", flat=True)) == [2, 1]
    first = ReportVersion.objects.get(number=1)
    assert "Liberale waarden" in next(s["text"] for s in first.sections if s["title"] == "Inleiding")


def test_coverage_matrix_shows_unanswered_questions_and_directions(db):
    recommendation = Recommendation.objects.create(text="A")
    recommendation.questions.set(Question.objects.filter(number__in=[1, 2]))

    _, rows = selectors.recommendation_coverage()

    answered = {row["item"].title: row["answered"] for row in rows}
    assert [title for title, ok in answered.items() if ok] == [
        "Vraag 1 — De waardenvraag",
        "Vraag 2 — De empirische vraag",
    ]
    assert len(rows) == 10
