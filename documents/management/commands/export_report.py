from pathlib import Path

from django.core.management.base import BaseCommand

from documents import selectors
from documents.pdf import render_pdf


class Command(BaseCommand):
    help = "Render the final report to a PDF file, in this process and in Dutch (no worker needed)."

    def add_arguments(self, parser):
        parser.add_argument("output", help="where to write the PDF, e.g. einddocument.pdf")

    def handle(self, *args, output, **options):
        # The published version when the report is frozen, otherwise the draft with CONCEPT.
        content, pages = render_pdf(version=selectors.current_version())
        Path(output).write_bytes(content)
        self.stdout.write(f"{output}: {pages} pages")
