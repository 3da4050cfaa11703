"""The report as a PDF, with WeasyPrint and a print stylesheet of its own."""

from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from . import selectors
from .citations import Numbering, describe
from .models import ReportVersion

TITLE = "Vrijheid, Werk en AI: een liberale heroriëntatie"
SUBTITLE = "Einddocument van de denktank van het VVD Thematisch Netwerk EZI"


class StaticOnlyFetcher(URLFetcher):
    """Fetch nothing but the project's own static files: no network, no other local files."""

    def fetch(self, url, headers=None):
        prefix = settings.SITE_URL + settings.STATIC_URL
        if url.startswith(prefix):
            found = finders.find(url[len(prefix) :].split("?")[0])
            if found:
                return super().fetch(Path(found).resolve().as_uri(), headers)
        raise ValueError(f"Not fetched (only the platform's own static files are): {url}")


@cache
def print_stylesheet() -> CSS:
    # Parsed once per process: WeasyPrint spends real time on CSS.
    return CSS(filename=finders.find("css/print.css"))


def render_pdf(
    *, version: ReportVersion | None = None, progress: Callable[[int, str], None] | None = None
) -> tuple[bytes, int]:
    """Render a published version, or the live draft with a CONCEPT watermark, to PDF bytes and a page count."""
    progress = progress or (lambda percent, step: None)
    with translation.override("nl"):
        progress(10, _("Collecting the texts"))
        snapshot = version or selectors.report_snapshot()
        numbering = Numbering.for_all_sources()
        sections = [
            {**section, "html": selectors.render_markdown_cited(section["text"], numbering)}
            for section in snapshot.sections
        ]
        context = {
            "title": TITLE,
            "subtitle": SUBTITLE,
            "date": version.published_at if version else timezone.now(),
            "sections": sections,
            "recommendations": snapshot.recommendations,
            "references": [(number, describe(source)) for number, source in numbering.references],
            "authors": snapshot.authors,
            "final": version is not None,
            "version": version,
        }
        progress(30, _("Preparing the layout"))
        html = render_to_string("documents/pdf/report.html", context)
        progress(50, _("Laying out the pages"))
        document = HTML(string=html, base_url=settings.SITE_URL + "/", url_fetcher=StaticOnlyFetcher()).render(
            stylesheets=[print_stylesheet()]
        )
        progress(85, _("Writing the PDF"))
        return document.write_pdf(), len(document.pages)
