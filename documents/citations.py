"""Citations: ``[@key]`` in a section becomes a numbered reference.

Numbers follow the order of first use; citing a source again reuses its
number. An unknown key stays visible in the text and is reported, never
silently dropped.
"""

import re
from dataclasses import dataclass, field

from .models import Source

CITATION = re.compile(r"\[@([A-Za-z0-9_-]+)\]")


@dataclass
class Numbering:
    """Reference numbers for one page or one whole report."""

    sources: dict[str, Source]
    numbers: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    @classmethod
    def for_all_sources(cls) -> "Numbering":
        return cls(sources={source.key: source for source in Source.objects.all()})

    def cite(self, text: str) -> str:
        """Replace citations by numbered links (Markdown); remember unknown keys."""

        def replace(match):
            key = match.group(1)
            if key not in self.sources:
                if key not in self.unknown:
                    self.unknown.append(key)
                return f"**[@{key}?]**"
            number = self.numbers.setdefault(key, len(self.numbers) + 1)
            return f"[\\[{number}\\]](#ref-{number})"

        return CITATION.sub(replace, text)

    @property
    def references(self) -> list[tuple[int, Source]]:
        return sorted((number, self.sources[key]) for key, number in self.numbers.items())


def describe(source: Source) -> str:
    """One line for the list of references, from the fields that are filled in."""
    parts = [source.authors, f"({source.year})" if source.year else "", source.title, source.publisher]
    return ". ".join(part for part in (" ".join(p for p in parts[:2] if p), parts[2], parts[3]) if part)
