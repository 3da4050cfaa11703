"""Reads for the report pages: the section tree, progress and diffs."""

from collections import Counter
from difflib import SequenceMatcher

from django.db.models import Count, Prefetch, Q

from denktank.markdown import render_markdown
from denktank.models import Role, User

from .citations import Numbering, describe
from .models import Amendment, Comment, Direction, Question, Recommendation, ReportExport, ReportVersion, Section
from .rules import can_view_section


def section_tree(*, user: User | None) -> list[tuple[Section, int, bool]]:
    """All sections depth-first as (section, depth, readable by this user), in one pass of queries.

    Without a user (the PDF, publishing) every section counts as readable.
    """
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
            ordered.append((section, depth, user is None or can_view_section(user, section)))
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


def render_markdown_cited(text: str, numbering: Numbering):
    return render_markdown(numbering.cite(text))


def render_with_citations(text: str, numbering: Numbering | None = None):
    """HTML of a section with numbered citations, its references and unknown keys."""
    numbering = numbering or Numbering.for_all_sources()
    html = render_markdown_cited(text, numbering)
    return html, [(number, describe(source)) for number, source in numbering.references], numbering.unknown


def visible_recommendations(user: User | None):
    """Recommendations this user may read: the Kamerlid only those of shared sections (drafts stay inside)."""
    recommendations = Recommendation.objects.prefetch_related("questions", "directions").select_related("section")
    if user is not None and not user.has_perm("documents.discuss_section"):
        recommendations = recommendations.filter(section__shared=True)
    return recommendations


def recommendation_coverage(user: User | None = None):
    """Questions and directions against recommendations: what is still unanswered.

    With a user, only the recommendations that user may read count.
    """
    recommendations = list(visible_recommendations(user))
    rows = []
    for label, items, attribute in (
        ("question", Question.objects.all(), "questions"),
        ("direction", Direction.objects.all(), "directions"),
    ):
        for item in items:
            cells = [any(x.pk == item.pk for x in getattr(r, attribute).all()) for r in recommendations]
            rows.append({"kind": label, "item": item, "cells": cells, "answered": any(cells)})
    return recommendations, rows


def report_snapshot() -> ReportVersion:
    """The report as it stands now, as an unsaved version: every section's newest text."""
    tree = numbered(section_tree(user=None))
    sections = [
        {
            "number": number,
            "title": section.title,
            "depth": depth,
            "text": section.head.text if section.head else "",
            "owners": [owner.name for owner in section.owners.all()],
        }
        for number, section, depth, _ in tree
    ]
    recommendations = [
        {
            "text": item.text,
            "rationale": item.rationale,
            "answers": [q.title for q in item.questions.all()] + [d.title for d in item.directions.all()],
        }
        for item in Recommendation.objects.prefetch_related("questions", "directions")
    ]
    authors = sorted({name for section in sections for name in section["owners"]})
    return ReportVersion(sections=sections, recommendations=recommendations, authors=authors)


def latest_version() -> ReportVersion | None:
    """The newest published version, also after the board reopened the report."""
    return ReportVersion.objects.order_by("-number").first()


def current_version() -> ReportVersion | None:
    """The published version that freezes the report, if it is not reopened."""
    return ReportVersion.objects.filter(reopened_at__isnull=True).order_by("-number").first()


def versions():
    return ReportVersion.objects.order_by("-number")


def visible_exports(user: User):
    """The board sees every export; members and the Kamerlid only those of published versions."""
    exports = ReportExport.objects.select_related("requested_by", "version")
    if not user.has_perm("documents.export_report"):
        exports = exports.filter(version__isnull=False, status=ReportExport.Status.DONE)
    return exports[:50]


def settable_statuses(*, user: User, section: Section) -> list[str]:
    """The statuses this user may give the section: owners move between draft and review, the board sets any.

    A section the board made final stays final for its owners.
    """
    if user.has_perm("documents.manage_structure"):
        return list(Section.Status.values)
    if not user.has_perm("documents.edit_section", section) or section.status == Section.Status.FINAL:
        return []
    return [Section.Status.DRAFT, Section.Status.REVIEW]


def publication_check(tree) -> dict:
    """What the board should know before publishing: sections still empty and sections not final."""
    sections = numbered(tree)
    return {
        "empty": [(number, section) for number, section, _, _ in sections if not section.head or not section.head.text],
        "not_final": [
            (number, section) for number, section, _, _ in sections if section.status != Section.Status.FINAL
        ],
    }


def publication_readers():
    """Everyone who is told about a new published version: active members and Kamerleden."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.DEELNEMER, Role.KAMERLID])
        .distinct()
        .order_by("name", "pk")
    )


def owner_inbox(user: User) -> dict:
    """Open proposals and unresolved comments on the sections this user owns, for the dashboard."""
    amendments = list(
        Amendment.objects.filter(section__owners=user, status=Amendment.Status.OPEN)
        .exclude(proposer=user)
        .select_related("section", "proposer")
        .order_by("-created_at", "pk")[:20]
    )
    comments = list(
        Comment.objects.filter(section__owners=user, resolved_at__isnull=True)
        .exclude(author=user)
        .select_related("section", "author")
        .order_by("-created_at", "pk")[:20]
    )
    return {"open_amendments": amendments, "open_comments": comments}
