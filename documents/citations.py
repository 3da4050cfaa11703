"""Citations: ``[@key]`` in a section becomes a numbered reference.

Numbers follow the order of first use; citing a source again reuses its
number. An unknown key stays visible in the text and is reported, never
silently dropped.

The sources are read from the cache, under a version that changes whenever
a source is saved or deleted (``sources_changed``, connected in the models).
Pages rendered with citations are cached under the same version, so a page
served from the cache neither reads the sources nor shows stale ones.
"""

import re
from dataclasses import dataclass, field

from django.core.cache import cache

from denktank import page_cache
from denktank.cache import renew_token, tokens

from .models import Source

CITATION = re.compile(r"\[@([A-Za-z0-9_-]+)\]")

SOURCES_VERSION_KEY = "documents:sources-version"
# Entries of older versions are left to expire: a day is long enough to be
# read many times and short enough to leave no clutter.
CACHE_SECONDS = 60 * 60 * 24


def sources_version() -> str:
    """A token that changes whenever a source changes."""
    return tokens(cache, [SOURCES_VERSION_KEY])[SOURCES_VERSION_KEY]


def sources_changed() -> None:
    """Forget the cached sources and everything rendered with them."""
    renew_token(cache, SOURCES_VERSION_KEY)
    # Again for the pages: one made in between, with the old sources, under the new data version.
    page_cache.changed(page_cache.DATA)


def all_sources(version: str | None = None) -> dict[str, Source]:
    """Every source by key, from the cache while no source changed."""
    key = f"documents:sources:{version or sources_version()}"
    sources = cache.get(key)
    if sources is None:
        sources = {source.key: source for source in Source.objects.all()}
        cache.set(key, sources, CACHE_SECONDS)
    return sources


@dataclass
class Numbering:
    """Reference numbers for one page or one whole report."""

    sources: dict[str, Source]
    numbers: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    @classmethod
    def for_all_sources(cls) -> "Numbering":
        return cls(sources=all_sources())

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
