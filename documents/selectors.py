"""Reads for the report pages: the section tree, progress and diffs."""

from collections import Counter
from difflib import SequenceMatcher

from django.db.models import Count, Prefetch, Q

from denktank.models import User

from .models import Section
from .rules import can_view_section


def section_tree(*, user: User) -> list[tuple[Section, int, bool]]:
    """All sections depth-first as (section, depth, readable by this user), in one pass of queries."""
    sections = list(
        Section.objects.select_related("head__author")
        .prefetch_related(Prefetch("owners", queryset=User.objects.order_by("name")))
        .annotate(open_comments=Count("comments", filter=Q(comments__resolved_at__isnull=True), distinct=True))
        .order_by("position", "pk")
    )
    children: dict[int | None, list[Section]] = {}
    for section in sections:
        children.setdefault(section.parent_id, []).append(section)
    ordered: list[tuple[Section, int, bool]] = []

    def walk(parent_id, depth):
        for section in children.get(parent_id, []):
            ordered.append((section, depth, can_view_section(user, section)))
            walk(section.pk, depth + 1)

    walk(None, 0)
    return ordered


def numbered(tree) -> list[tuple[str, Section, int, bool]]:
    """Heading numbers (1, 1.1, ...) for the tree."""
    counters: list[int] = []
    result = []
    for section, depth, readable in tree:
        counters = counters[: depth + 1]
        while len(counters) <= depth:
            counters.append(0)
        counters[depth] += 1
        result.append((".".join(str(n) for n in counters), section, depth, readable))
    return result


def progress(tree) -> dict:
    statuses = Counter(section.status for section, _, _ in tree)
    words = sum(section.head.word_count for section, _, _ in tree if section.head)
    total = max(len(tree), 1)
    return {
        "counts": [
            (value, label, statuses[value], round(100 * statuses[value] / total))
            for value, label in Section.Status.choices
        ],
        "words": words,
        "sections": len(tree),
    }


def history(section: Section):
    return section.revisions.select_related("author", "credited_to", "restored_from")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A readable word-level diff: ("equal" | "delete" | "insert", text) pieces."""
    old_words, new_words = old.split(" "), new.split(" ")
    pieces = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old_words, b=new_words, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("equal", " ".join(old_words[i1:i2])))
        if tag in ("delete", "replace"):
            pieces.append(("delete", " ".join(old_words[i1:i2])))
        if tag in ("insert", "replace"):
            pieces.append(("insert", " ".join(new_words[j1:j2])))
    return pieces


def revision_pair(section: Section, old_number: int | None, new_number: int | None):
    revisions = {r.number: r for r in section.revisions.all()}
    if not revisions:
        return None, None
    newest = max(revisions)
    new = revisions.get(new_number or newest) or revisions[newest]
    old = revisions.get(old_number or new.number - 1)
    return old, new
