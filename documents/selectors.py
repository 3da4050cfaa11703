"""Reads for the report pages: the section tree, progress and diffs."""

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from denktank.markdown import render_markdown
from denktank.models import Role, User

from .citations import CACHE_SECONDS, Numbering, all_sources, describe, sources_version
from .merge import ParagraphDiff, around_changes, merge, paragraph_word_diff, render_diff
from .models import (
    Amendment,
    Comment,
    Direction,
    Question,
    Recommendation,
    ReportExport,
    ReportVersion,
    Revision,
    RevisionWriter,
    Section,
)
from .rules import can_view_section

# Part of the cache key of a history diff: raise it when the diff's form changes.
DIFF_FORMAT = 1
# Unchanged paragraphs shown around each change in the history.
DIFF_CONTEXT = 1
REVISIONS_PER_PAGE = 50
# The section page shows its comments and its decided proposals a page at a time.
COMMENTS_PER_PAGE = 20
DECIDED_PER_PAGE = 10


def open_comment_count():
    """The number of unresolved comments of the section in the row, as a subquery.

    A subquery instead of Count() over a join, so the section query has no
    GROUP BY (which on SQLite would list every selected column).
    """
    counts = (
        Comment.objects.filter(section=OuterRef("pk"), resolved_at__isnull=True)
        .order_by()
        .values("section")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


@dataclass(frozen=True, slots=True)
class Owner:
    """A section owner as lists show one: who, without a whole user row."""

    pk: int
    name: str

    def __str__(self):
        return self.name


@dataclass(frozen=True, slots=True)
class HeadRow:
    """What lists show of a section's newest revision."""

    pk: int
    number: int
    word_count: int
    created_at: datetime
    author: str | None  # the author's name
    text: str | None = None  # only for section_tree(with_text=True)


@dataclass(slots=True)
class SectionRow:
    """A section in a list: its own fields, its head, owners and open comments, without model objects.

    Lists of hundreds of sections spend most of their time building model
    instances; these rows are read straight from the database values.
    """

    pk: int
    parent_id: int | None
    position: int
    title: str
    status: str
    shared: bool
    open_comments: int
    head: HeadRow | None
    owner_list: list[Owner]
    url: str
    move_url: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def owner_names(self) -> str:
        return ", ".join(owner.name for owner in self.owner_list)

    def get_status_display(self) -> str:
        return self.status_label


STATUS_LABELS = dict(Section.Status.choices)
# A primary key no section has: the section URL is built once with it and
# filled in per row, instead of a reverse() for each of hundreds of rows.
URL_PLACEHOLDER = 2_147_483_647
TREE_FIELDS = ("pk", "parent_id", "position", "title", "status", "shared", "open_comments")
HEAD_FIELDS = ("head_id", "head__number", "head__word_count", "head__created_at", "head__author__name")


def section_tree(*, user: User | None, with_text: bool = False) -> list[tuple[SectionRow, int, bool]]:
    """All sections depth-first as (section, depth, readable by this user), in three queries.

    Without a user (the PDF, publishing) every section counts as readable.
    The sections are ``SectionRow``s. The head revision's text is read only
    ``with_text``: lists show the stored word count.
    """
    fields = (*TREE_FIELDS, *HEAD_FIELDS, *(["head__text"] if with_text else []))
    values = (
        Section.objects.annotate(open_comments=open_comment_count()).order_by("position", "pk").values_list(*fields)
    )
    owners: dict[int, list[Owner]] = {}
    links = Section.owners.through.objects.order_by("user__name", "user_id")
    for section_id, user_id, name in links.values_list("section_id", "user_id", "user__name"):
        owners.setdefault(section_id, []).append(Owner(pk=user_id, name=name))
    url = reverse("documents:section", args=[URL_PLACEHOLDER])
    move_url = reverse("documents:move", args=[URL_PLACEHOLDER])
    children: dict[int | None, list[SectionRow]] = {}
    for row in values:
        own, head = row[: len(TREE_FIELDS)], row[len(TREE_FIELDS) :]
        section = SectionRow(
            *own,
            head=HeadRow(*head) if head[0] is not None else None,
            owner_list=owners.get(own[0], []),
            url=url.replace(str(URL_PLACEHOLDER), str(own[0])),
            move_url=move_url.replace(str(URL_PLACEHOLDER), str(own[0])),
        )
        children.setdefault(section.parent_id, []).append(section)
    ordered: list[tuple[SectionRow, int, bool]] = []

    def walk(parent_id, depth):
        for section in children.get(parent_id, []):
            ordered.append((section, depth, user is None or can_view_section(user, section)))
            walk(section.pk, depth + 1)

    walk(None, 0)
    return ordered


def numbered(tree) -> list[tuple[str, SectionRow, int, bool]]:
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
    return _progress(statuses, words, len(tree))


def report_progress() -> dict:
    """``progress`` of the whole report from two aggregate queries, for pages that show no list of sections."""
    statuses = Counter(dict(Section.objects.order_by().values_list("status").annotate(count=Count("pk"))))
    words = Section.objects.aggregate(words=Sum("head__word_count"))["words"] or 0
    return _progress(statuses, words, sum(statuses.values()))


def _progress(statuses: Counter, words: int, sections: int) -> dict:
    total = max(sections, 1)
    return {
        "counts": [
            (value, label, statuses[value], round(100 * statuses[value] / total))
            for value, label in Section.Status.choices
        ],
        "words": words,
        "sections": sections,
    }


def owned_sections(user: User) -> list[Section]:
    """The sections this user owns, in the order of the report, with only what a short list shows."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Section.objects.order_by("position", "pk").values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    order: dict[int, int] = {}

    def walk(parent_id):
        for pk in children.get(parent_id, []):
            order[pk] = len(order)
            walk(pk)

    walk(None)
    owned = Section.objects.filter(owners=user).only("title", "status")
    return sorted(owned, key=lambda section: order.get(section.pk, len(order)))


def history(section: Section):
    """The section's revisions, newest first, with only what the list shows (who, when, why; no texts).

    A revision cut from the live text also names everyone who wrote in it.
    """
    writers = RevisionWriter.objects.select_related("user").only("revision", "user__name", "user__email")
    return (
        section.revisions.select_related("author", "credited_to", "restored_from")
        .prefetch_related(Prefetch("writers", queryset=writers.order_by("pk")))
        .only(
            "number",
            "created_at",
            "note",
            "merged",
            "section",
            "author__name",
            "author__email",
            "credited_to__name",
            "credited_to__email",
            "restored_from__number",
        )
    )


def history_page(section: Section, number) -> Page:
    """One page of the history; a page number that is not one gives the first or the last page.

    A page's revisions are read once and then from the cache: revisions
    never change, and the key holds the number of revisions, so a new one
    gives new pages. (On SQLite every column after a long text costs a walk
    through its overflow pages, which made this list slow for long sections.)
    """
    paginator = Paginator(section.revisions.order_by("-number").values_list("pk", flat=True), REVISIONS_PER_PAGE)
    page = paginator.get_page(number)
    key = f"documents:history:{section.pk}:{paginator.count}:{section.head_id}:{page.number}:{REVISIONS_PER_PAGE}"
    revisions = cache.get(key)
    if revisions is None:
        revisions = list(history(section).filter(pk__in=list(page.object_list)).order_by("-number"))
        cache.set(key, revisions, CACHE_SECONDS)
    return Page(revisions, page.number, paginator)


def revision_pair(section: Section, old_number: int | None, new_number: int | None):
    """The two revisions to compare, without their texts: by default the newest and the one before.

    An unknown number for the newer one means the newest; an unknown older
    one means there is nothing before (the whole text shows as added).
    """
    revisions = section.revisions.defer("text")
    new = revisions.filter(number=new_number).first() if new_number else None
    if new is None:
        new = revisions.order_by("-number").first()
    if new is None:
        return None, None
    old = revisions.filter(number=old_number or new.number - 1).first()
    return old, new


def _stamp(revision: Revision | Amendment | None) -> str:
    # With the creation time, a key can never name another revision (or
    # proposal) that reuses a primary key after a database was restored.
    return f"{revision.pk}.{revision.created_at.timestamp()}" if revision else "0"


def revision_diff(old: Revision | None, new: Revision) -> list[ParagraphDiff]:
    """What changed from ``old`` to ``new``, paragraph by paragraph: only changes and the paragraphs around them.

    Revisions never change, so the diff of a pair is computed once and read
    from the cache after that; the texts are loaded only to compute it.
    """
    key = f"documents:diff:{DIFF_FORMAT}:{_stamp(old)}:{_stamp(new)}"
    diff = cache.get(key)
    if diff is None:
        texts = dict(Revision.objects.filter(pk__in=[r.pk for r in (old, new) if r]).values_list("pk", "text"))
        diff = around_changes(paragraph_word_diff(texts[old.pk] if old else "", texts[new.pk]), DIFF_CONTEXT)
        cache.set(key, diff, CACHE_SECONDS)
    return diff


def render_markdown_cited(text: str, numbering: Numbering):
    return render_markdown(numbering.cite(text))


def render_with_citations(text: str, numbering: Numbering | None = None):
    """HTML of a section with numbered citations, its references and unknown keys."""
    numbering = numbering or Numbering.for_all_sources()
    html = render_markdown_cited(text, numbering)
    return html, *cited(numbering)


def cited(numbering: Numbering):
    """The references a rendering numbered, as (number, description), and the keys in no source."""
    return [(number, describe(source)) for number, source in numbering.references], numbering.unknown


def render_revision(revision: Revision | None, numbering: Numbering | None = None):
    """``render_with_citations`` of a revision's text, from the cache once rendered.

    Cached per revision (revisions never change) and per version of the
    sources (a changed source renders again). A given ``numbering`` that is
    still empty gets the numbers the text takes, so what follows on the page
    continues them; one that already holds numbers is rendered without the cache.
    """
    if revision is None:
        return render_with_citations("", numbering)
    if numbering is not None and (numbering.numbers or numbering.unknown):
        return render_with_citations(revision.text, numbering)
    version = sources_version()
    key = f"documents:html:{_stamp(revision)}:{version}"
    entry = cache.get(key)
    if entry is None:
        own = numbering if numbering is not None else Numbering(sources=all_sources(version))
        html, references, unknown = render_with_citations(revision.text, own)
        entry = {"html": str(html), "references": references, "unknown": unknown, "numbers": own.numbers}
        cache.set(key, entry, CACHE_SECONDS)
    elif numbering is not None:
        numbering.numbers.update(entry["numbers"])
        numbering.unknown.extend(entry["unknown"])
    html: SafeString = mark_safe(entry["html"])  # sanitised by render_markdown when it was rendered
    return html, entry["references"], list(entry["unknown"])


@dataclass
class Discussion:
    """The comments and decided proposals the section page shows: one page of each, and the counts."""

    comments: Page  # the open comments, newest first, or the resolved ones, last resolved first
    resolved: bool  # whether ``comments`` holds the resolved comments
    open_comments: int
    resolved_comments: int
    decided: Page  # accepted and rejected proposals, last decided first, without their texts


def discussion(section: Section, *, resolved: bool = False, comment_page=None, decided_page=None) -> Discussion:
    """A page of the section's comments and one of its decided proposals, never all of them.

    A section that has been discussed for months holds hundreds of comments
    and tens of proposals of the full text's length; the open comments come
    first, newest on top, the resolved ones a click away, and a decided proposal's text is
    not loaded (its change is on its own page).
    """
    counts = section.comments.aggregate(
        open=Count("pk", filter=Q(resolved_at=None)), resolved=Count("pk", filter=Q(resolved_at__isnull=False))
    )
    comments = section.comments.filter(resolved_at__isnull=not resolved).select_related("author", "resolved_by")
    comments = comments.order_by("-resolved_at", "-pk") if resolved else comments.order_by("-created_at", "-pk")
    decided = (
        section.amendments.exclude(status=Amendment.Status.OPEN)
        .select_related("proposer", "revision")
        .defer("text", "revision__text")
        .order_by("-decided_at", "-pk")
    )
    return Discussion(
        comments=_page(comments, COMMENTS_PER_PAGE, comment_page, counts["resolved" if resolved else "open"]),
        resolved=resolved,
        open_comments=counts["open"],
        resolved_comments=counts["resolved"],
        decided=Paginator(decided, DECIDED_PER_PAGE).get_page(decided_page),
    )


def _page(queryset, per_page: int, number, count: int) -> Page:
    """``Paginator.get_page`` with the count already known (saves counting the rows again)."""
    paginator = Paginator(queryset, per_page)
    paginator.count = count  # a cached property: setting it skips its query
    return paginator.get_page(number)


def proposal_change(amendment: Amendment):
    """What a proposal changed in the text it was made on (``base`` loaded), rendered with
    citations, with its references and unknown keys: its own page."""
    base = amendment.base.text if amendment.base else ""
    numbering = Numbering.for_all_sources()
    html = render_diff(
        around_changes(paragraph_word_diff(base, amendment.text), DIFF_CONTEXT),
        lambda text: render_markdown_cited(text, numbering),
    )
    return html, *cited(numbering)


# Part of the cache key of a proposal's preview: raise it when the preview's form changes.
PROPOSAL_FORMAT = 1


@dataclass
class ProposalPreview:
    amendment: Amendment
    html: SafeString  # the change to the current text, rendered, with <ins> and <del>
    clean: bool  # accepting it merges without touching what changed since in the same place
    unchanged: bool  # accepting it changes nothing
    new_references: list  # (number, description) of sources the section does not cite yet
    unknown: list  # citation keys that are in no source


def proposal_previews(section: Section, numbering: Numbering, current_text: Callable[[], str]) -> list[ProposalPreview]:
    """Each open proposal as its change to the current text: what accepting it would do.

    Accepting merges the proposal (made on its base revision) into the
    current text (``current_text()``, the live text included); that merge is
    what is shown. Where the section changed in the same place since, it
    cannot merge: then the proposal's own text is compared with the current
    text. Citations continue the page's ``numbering``.

    A preview is computed once per proposal, current text, sources and
    numbering, then read from the cache; the proposals' texts are only read
    for the previews that are not there yet.
    """
    amendments = list(
        section.amendments.filter(status=Amendment.Status.OPEN)
        .select_related("proposer")
        .defer("text")
        .order_by("created_at")
    )
    if not amendments:
        return []
    current = current_text()
    page = hashlib.sha256(f"{current}\0{sources_version()}\0{sorted(numbering.numbers.items())}".encode()).hexdigest()
    keys = {
        amendment.pk: f"documents:proposal:{PROPOSAL_FORMAT}:{_stamp(amendment)}:{page}" for amendment in amendments
    }
    entries = cache.get_many(keys.values())
    missing = [pk for pk, key in keys.items() if key not in entries]
    if missing:
        texts = Amendment.objects.filter(pk__in=missing).values_list("pk", "text", "base__text")
        computed = {keys[pk]: _proposal_preview(text, base or "", current, numbering) for pk, text, base in texts}
        cache.set_many(computed, CACHE_SECONDS)
        entries.update(computed)
    return [
        ProposalPreview(amendment=amendment, **{**entry, "html": mark_safe(entry["html"])})  # sanitised when rendered
        for amendment in amendments
        if (entry := entries.get(keys[amendment.pk])) is not None
    ]


def _proposal_preview(text: str, base: str, current: str, numbering: Numbering) -> dict:
    result = merge(base, text, current)
    diff = paragraph_word_diff(current, result.text if result.clean else text)
    own = Numbering(sources=numbering.sources, numbers=dict(numbering.numbers))
    html = render_diff(around_changes(diff), lambda part: render_markdown_cited(part, own))
    return {
        "html": str(html),
        "clean": result.clean,
        "unchanged": all(paragraph.kind == "equal" for paragraph in diff),
        "new_references": [
            (number, describe(source)) for number, source in own.references if number > len(numbering.numbers)
        ],
        "unknown": own.unknown,
    }


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
    tree = numbered(section_tree(user=None, with_text=True))
    sections = [
        {
            "number": number,
            "title": section.title,
            "depth": depth,
            "text": section.head.text if section.head else "",
            "owners": [owner.name for owner in section.owner_list],
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
    return versions().first()


def current_version() -> ReportVersion | None:
    """The published version that freezes the report, if it is not reopened."""
    return versions().filter(reopened_at__isnull=True).first()


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
        # Texts are saved stripped, so a text without words is an empty one.
        "empty": [
            (number, section) for number, section, _, _ in sections if not section.head or not section.head.word_count
        ],
        "not_final": [
            (number, section) for number, section, _, _ in sections if section.status != Section.Status.FINAL
        ],
    }


def publication_readers():
    """Everyone who is told about a new published version: active members and Kamerleden."""
    return User.objects.active_with_role(Role.DEELNEMER, Role.KAMERLID)


def owner_inbox(user: User) -> dict:
    """Open proposals and unresolved comments on the sections this user owns, for the dashboard.

    Only what the dashboard shows is read: who, where, when (not the proposed texts).
    """
    amendments = list(
        Amendment.objects.filter(section__owners=user, status=Amendment.Status.OPEN)
        .exclude(proposer=user)
        .select_related("section", "proposer")
        .only("created_at", "section__title", "proposer__name", "proposer__email")
        .order_by("-created_at", "pk")[:20]
    )
    comments = list(
        Comment.objects.filter(section__owners=user, resolved_at__isnull=True)
        .exclude(author=user)
        .select_related("section", "author")
        .only("created_at", "section__title", "author__name", "author__email")
        .order_by("-created_at", "pk")[:20]
    )
    return {"open_amendments": amendments, "open_comments": comments}
