"""The live text in the database: the update log, revisions cut from it, edits brought into it.

Every change a writer makes arrives as a Yjs update. It is stored as a
``LiveUpdate`` row before anyone is told of it (the writer's "saved", the
other writers' screens), so an acknowledged change survives a crash or a
restart. A section's rows together are its live text: they may be applied
in any order, and applying one twice changes nothing.

A numbered ``Revision`` stays the record: one is cut from the live text
when the writers were idle for ``IDLE_CUT`` and when someone clicks
"Versie vastleggen". The rows it contains are compacted into one.
"""

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from pycrdt import Doc, Text, get_state, merge_updates

from denktank.middleware import privileged_session_valid
from denktank.models import User
from denktank.rules import requires_two_factor

from .. import selectors
from ..exceptions import ReportFrozen
from ..merge import Choice, merge, resolve
from ..models import Draft, LiveText, LiveUpdate, Revision, RevisionWriter, Section

logger = logging.getLogger(__name__)

# The name of the shared text in the Yjs document (the browser binds the same name).
TEXT = "text"
# Writers idle this long get a numbered revision of what they wrote.
IDLE_CUT = timedelta(seconds=60)
# One writer's changes since the last revision are merged into one row past this many.
COMPACT_UNCUT_AT = 200
# Colours for the writers' cursors: distinct, and readable as text on white.
COLOURS = [
    "#1f6feb",
    "#d1242f",
    "#1a7f37",
    "#8250df",
    "#bf5700",
    "#0e7490",
    "#c2185b",
    "#6e7781",
    "#9a6700",
    "#3d5afe",
    "#2e7d32",
    "#ad1457",
]


class SectionGone(Exception):
    """The section was removed while someone was writing in it."""


def group_name(section_id: int) -> str:
    return f"live-section-{section_id}"


def writer_colour(user_id: int) -> str:
    return COLOURS[user_id % len(COLOURS)]


# --- Documents ------------------------------------------------------------------------


def new_doc() -> Doc:
    # Yjs numbers its clients with 32 bits; keep the server's within that range too.
    return Doc(client_id=secrets.randbits(31) + 1)


def build_doc(updates) -> Doc:
    doc = new_doc()
    doc.get(TEXT, type=Text)
    with doc.transaction():
        for update in updates:
            doc.apply_update(bytes(update))
    return doc


def doc_text(doc: Doc) -> str:
    return str(doc.get(TEXT, type=Text))


def is_valid_update(update: bytes) -> bool:
    """Whether the bytes decode as a Yjs update (a broken row would break the section for good)."""
    try:
        get_state(update)
    except ValueError:
        return False
    return True


TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _edits(old: str, new: str) -> list[tuple[int, int, str]]:
    """The smallest word-level replacements that turn ``old`` into ``new``, last first."""
    size = min(len(old), len(new))
    start = 0
    while start < size and old[start] == new[start]:
        start += 1
    end = 0
    while end < size - start and old[-1 - end] == new[-1 - end]:
        end += 1
    old_mid, new_mid = old[start : len(old) - end], new[start : len(new) - end]
    if not old_mid or not new_mid:
        return [(start, start + len(old_mid), new_mid)] if old_mid or new_mid else []
    old_tokens, new_tokens = TOKEN.findall(old_mid), TOKEN.findall(new_mid)
    offsets = [0]
    for token in old_tokens:
        offsets.append(offsets[-1] + len(token))
    edits = [
        (start + offsets[i1], start + offsets[i2], "".join(new_tokens[j1:j2]))
        for tag, i1, i2, j1, j2 in SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False).get_opcodes()
        if tag != "equal"
    ]
    return list(reversed(edits))


def set_text(doc: Doc, target: str) -> bytes | None:
    """Turn the document's text into ``target`` by small edits; the update that does it, or None.

    Small edits, not a replacement of the whole text, so that what others
    type at the same moment elsewhere in the text stays where it was.
    """
    text = doc.get(TEXT, type=Text)
    current = str(text)
    edits = _edits(current, target)
    if not edits:
        return None
    before = doc.get_state()
    with doc.transaction():
        # pycrdt counts positions in UTF-8 bytes; edits run from the end, so
        # the text before each edit is still the original text.
        for start, end, replacement in edits:
            byte_start = len(current[:start].encode())
            byte_end = byte_start + len(current[start:end].encode())
            if byte_end > byte_start:
                del text[byte_start:byte_end]
            if replacement:
                text.insert(byte_start, replacement)
    return doc.get_update(before)


def merge_into_live(*, old: str, new: str, live: str) -> str:
    """Bring a revision's change (``old`` → ``new``) into the live text.

    Paragraphs the live writers changed meanwhile keep their live wording
    where the revision changed them too: what people are typing is never
    taken away under their hands, and the revision stays in the history.
    """
    if live.strip() == old.strip():
        return new
    if new.strip() == old.strip():
        return live
    return merge(old, new, live).text


# --- Who may connect ------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    section_id: int
    user_id: int
    name: str
    colour: str
    can_edit: bool
    frozen: bool


def connection_access(*, user, section_id: int, session=None, reload: bool = False) -> Access | None:
    """What this user may do on the section's socket; None when they may not connect at all.

    The same rules as the pages: ``documents.view_section`` to follow the
    text, ``documents.edit_section`` to change it, nobody changes a
    published report. Roles that must use two-factor login connect only once
    they have set it up, and not with a session that idled out. With
    ``reload``, the account is read again (roles and deactivation may have
    changed since the socket opened; ``rules`` caches roles on the object).
    """
    if reload and user is not None and user.is_authenticated:
        user = User.objects.filter(pk=user.pk).first()
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if requires_two_factor(user) and not privileged_session_valid(session, user):
        return None
    section = Section.objects.filter(pk=section_id).first()
    if section is None or not user.has_perm("documents.view_section", section):
        return None
    frozen = selectors.current_version() is not None
    return Access(
        section_id=section.pk,
        user_id=user.pk,
        name=user.name or user.email,
        colour=writer_colour(user.pk),
        can_edit=not frozen and user.has_perm("documents.edit_section", section),
        frozen=frozen,
    )


# --- Opening and storing --------------------------------------------------------------


@dataclass
class Opened:
    updates: list[bytes]
    epoch: str
    head_id: int | None
    head_number: int | None
    uncut_since: object  # the newest change not in a revision yet, or None


def open_live(*, section_id: int) -> Opened:
    """The section's live text as stored: started from the head revision when it has no log yet.

    Side effects: the first time, a ``LiveText`` and one update holding
    the head revision's text; a revision saved outside the live editor
    since the last visit is brought in as an edit (see ``merge_into_live``).
    """
    with transaction.atomic():
        # Under the section's lock, so two processes never both start a log:
        # two starts would put the text in twice.
        section = Section.objects.select_for_update(of=("self",)).select_related("head").filter(pk=section_id).first()
        if section is None:
            raise SectionGone
        live = LiveText.objects.filter(section=section).select_related("revision").first()
        if live is None:
            live = LiveText.objects.create(section=section, revision=section.head)
            if section.head is not None and section.head.text:
                doc = new_doc()
                doc.get(TEXT, type=Text).insert(0, section.head.text)
                LiveUpdate.objects.create(section=section, data=doc.get_update(), in_revision=True)
        else:
            _bring_in_head(section, live)
        rows = list(
            LiveUpdate.objects.filter(section=section).order_by("pk").values_list("data", "in_revision", "created_at")
        )
    uncut = [created for _data, in_revision, created in rows if not in_revision]
    return Opened(
        updates=[bytes(data) for data, _, _ in rows],
        epoch=f"{section_id}-{live.started_at.timestamp():.6f}",
        head_id=section.head_id,
        head_number=section.head.number if section.head else None,
        uncut_since=max(uncut) if uncut else None,
    )


def store_updates(*, section_id: int, items: list[tuple[bytes, int]]) -> list[int]:
    """Store writers' updates, (update, author id) each, in one transaction; their row ids.

    Raises ``ReportFrozen`` once the report is published: checked under the
    section's lock, which publishing takes too, so no change slips in after
    the snapshot. Raises ``SectionGone`` when the section was removed.
    """
    with transaction.atomic():
        if not list(Section.objects.select_for_update().filter(pk=section_id).values_list("pk", flat=True)):
            raise SectionGone
        if selectors.current_version() is not None:
            raise ReportFrozen
        now = timezone.now()
        rows = LiveUpdate.objects.bulk_create(
            [
                LiveUpdate(section_id=section_id, data=update, author_id=author, created_at=now)
                for update, author in items
            ]
        )
    return [row.pk for row in rows]


def live_text(*, section_id: int) -> str:
    """The section's live text as stored now."""
    return doc_text(build_doc(LiveUpdate.objects.filter(section_id=section_id).values_list("data", flat=True)))


def current_text(*, section: Section) -> str:
    """The section's text as its writers see it now: the live text, or the head revision without one.

    A revision saved outside the live editor and not brought in yet counts
    as brought in, as the next cut would (``merge_into_live``).
    """
    head_text = section.head.text if section.head else ""
    live = LiveText.objects.filter(section=section).select_related("revision").first()
    if live is None:
        return head_text
    text = live_text(section_id=section.pk)
    if live.revision_id != section.head_id and section.head is not None:
        old = live.revision.text if live.revision is not None else text
        text = merge_into_live(old=old, new=head_text, live=text)
    return text


# --- Revisions from the live text -----------------------------------------------------


@dataclass(frozen=True)
class Cut:
    revision: Revision
    created: bool
    writers: list[int]


def cut_revision(*, section_id: int, by: User | None = None, note: str = "", idle_since=None) -> Cut | None:
    """Make a numbered revision of the live text, crediting everyone who wrote since the last one.

    ``by`` clicked "Versie vastleggen" and is the revision's author; an idle
    cut (``by`` None) is authored by whoever wrote last. Every writer of the
    changes it contains gets a ``RevisionWriter`` row. With ``idle_since``,
    nothing is cut when someone wrote after that moment. Returns None when
    there was nothing new to cut. Raises ``ReportFrozen`` while published.
    Side effects: a ``Revision`` through ``services.save_revision`` (the
    section's head moves, the author's private draft goes), the rows it
    contains marked, then compacted; the open editors are told the new
    revision's number.
    """
    from ..services import save_revision

    with transaction.atomic():
        section = Section.objects.select_for_update(of=("self",)).select_related("head").filter(pk=section_id).first()
        if section is None:
            raise SectionGone
        if selectors.current_version() is not None:
            raise ReportFrozen
        live = LiveText.objects.filter(section=section).select_related("revision").first()
        if live is None:
            return None
        _bring_in_head(section, live)
        rows = list(
            LiveUpdate.objects.filter(section=section)
            .order_by("pk")
            .values_list("pk", "data", "author_id", "in_revision", "created_at")
        )
        uncut = [row for row in rows if not row[3]]
        if not uncut:
            return None
        if idle_since is not None and max(row[4] for row in uncut) > idle_since:
            return None
        text = doc_text(build_doc(row[1] for row in rows))
        writers = list(dict.fromkeys(row[2] for row in uncut if row[2] is not None))
        author = by
        if author is None and writers:
            last_writer = max((row for row in uncut if row[2] is not None), key=lambda row: row[0])[2]
            author = User.objects.filter(pk=last_writer).first()
        head_before = section.head_id
        # The author's private draft is the form's, not this text: it stays until
        # its writer inserts it or throws it away, unless it says what was just saved.
        result = save_revision(
            section=section,
            author=author,
            text=text,
            base_id=section.head_id,
            note=note,
            check_permission=False,
            keep_draft=True,
        )
        created = result.revision.pk != head_before
        draft = Draft.objects.filter(section=section, user=author).first() if author is not None else None
        if draft is not None and draft.text.strip() == text.strip():
            draft.delete()
        LiveUpdate.objects.filter(pk__in=[row[0] for row in uncut]).update(in_revision=True)
        if created:
            RevisionWriter.objects.bulk_create(
                [RevisionWriter(revision=result.revision, user_id=user_id) for user_id in writers]
            )
        live.revision = result.revision
        live.save(update_fields=["revision"])
        revision = result.revision
        transaction.on_commit(
            lambda: broadcast(
                section_id,
                {"type": "live.control", "message": {"type": "revision", "id": revision.pk, "number": revision.number}},
            )
        )
    compact(section_id=section_id)
    return Cut(revision=revision, created=created, writers=writers)


def cut_idle_revisions(*, now=None) -> int:
    """Cut a revision for every section whose writers have been idle for ``IDLE_CUT``.

    The open rooms do this themselves; this sweep catches sections whose
    writers all left before the idle time passed, or whose server stopped.
    Returns the number of revisions made.
    """
    now = now or timezone.now()
    idle_since = now - IDLE_CUT
    due = (
        LiveUpdate.objects.filter(in_revision=False)
        .values("section_id")
        .annotate(last=Max("created_at"))
        .filter(last__lte=idle_since)
        .values_list("section_id", flat=True)
    )
    made = 0
    for section_id in list(due):
        try:
            cut = cut_revision(section_id=section_id, idle_since=idle_since)
        except (ReportFrozen, SectionGone):
            continue
        made += bool(cut and cut.created)
    return made


def revision_saved(*, section_id: int) -> None:
    """Bring a revision saved outside the live editor into the live text, now.

    Call after a save from the form, a restore or an accepted proposal, so
    everyone on the edit page sees it arrive. (Opening the section and the
    next cut do the same; this makes it immediate.)
    """
    with transaction.atomic():
        section = Section.objects.select_for_update(of=("self",)).select_related("head").filter(pk=section_id).first()
        if section is None:
            return
        live = LiveText.objects.filter(section=section).select_related("revision").first()
        if live is not None:
            _bring_in_head(section, live)


def _bring_in_head(section: Section, live: LiveText) -> None:
    """Apply a head revision the live text does not know yet as an edit; under the section's lock."""
    if section.head_id == live.revision_id:
        return
    head = section.head
    if head is not None:
        doc = build_doc(LiveUpdate.objects.filter(section=section).values_list("data", flat=True))
        current = doc_text(doc)
        old = live.revision.text if live.revision is not None else current
        update = set_text(doc, merge_into_live(old=old, new=head.text, live=current))
        if update is not None:
            LiveUpdate.objects.create(section=section, data=update, author=head.author, in_revision=True)
            transaction.on_commit(lambda: broadcast(section.pk, {"type": "live.update", "update": update}))
    live.revision = head
    live.save(update_fields=["revision"])
    if head is not None:
        transaction.on_commit(
            lambda: broadcast(
                section.pk,
                {"type": "live.control", "message": {"type": "revision", "id": head.pk, "number": head.number}},
            )
        )


def compact(*, section_id: int) -> None:
    """Merge the rows a revision contains into one, and one writer's many new rows into one.

    Merging keeps every change (``merge_updates`` drops nothing), so the
    live text is the same before and after; opening a section stays fast
    however long people wrote in it.
    """
    with transaction.atomic():
        if not list(Section.objects.select_for_update().filter(pk=section_id).values_list("pk", flat=True)):
            return
        rows = list(
            LiveUpdate.objects.filter(section_id=section_id).values_list(
                "pk", "data", "author_id", "in_revision", "created_at"
            )
        )
        groups: dict[tuple, list] = {}
        for row in rows:
            key = ("cut",) if row[3] else ("writer", row[2])
            groups.setdefault(key, []).append(row)
        for key, group in groups.items():
            if len(group) < (2 if key == ("cut",) else COMPACT_UNCUT_AT):
                continue
            merged = merge_updates(*[bytes(row[1]) for row in group])
            LiveUpdate.objects.create(
                section_id=section_id,
                data=merged,
                author_id=None if key == ("cut",) else key[1],
                in_revision=key == ("cut",),
                created_at=max(row[4] for row in group),
            )
            LiveUpdate.objects.filter(pk__in=[row[0] for row in group]).delete()


# --- A writer's private draft --------------------------------------------------------


def draft_for(*, section_id: int, user_id: int) -> tuple[str, str] | None:
    """The writer's private draft of the form editor, (text, text of the revision it started from), or None."""
    draft = Draft.objects.filter(section_id=section_id, user_id=user_id).select_related("base").first()
    if draft is None:
        return None
    return draft.text, draft.base.text if draft.base else ""


def merge_draft(*, base: str, draft: str, live: str) -> tuple[str, int]:
    """The live text with a draft's changes in it, and how many places hold both versions.

    The draft's changes since the revision it started from are merged by
    paragraph. Where the live writers changed the same paragraph meanwhile,
    both versions stay (the live one first): nothing is taken away from the
    others, and the writer who inserted the draft tidies up.
    """
    result = merge(base, draft, live)
    if result.clean:
        return result.text, 0
    choices = [(Choice.BOTH, "")] * len(result.conflicts)
    return resolve(base, draft, live, choices), len(result.conflicts)


# --- Telling the open editors --------------------------------------------------------


def broadcast(section_id: int, event: dict) -> None:
    """Send an event to the section's rooms in every process (through the channel layer)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(section_id), event)
    except Exception:  # the change is stored; open editors get it when they next sync
        logger.exception("Live section %s: could not tell the open editors", section_id)


def commit_live(*, section_id: int, user_id: int, note: str) -> dict:
    """'Versie vastleggen' on the live editor: the reply for the writer who clicked it.

    Raises ``NotAllowedToEdit`` for someone who may not change the section
    and ``ReportFrozen`` while published.
    """
    from ..exceptions import NotAllowedToEdit

    user = User.objects.filter(pk=user_id, is_active=True).first()
    section = Section.objects.filter(pk=section_id).first()
    if section is None:
        raise SectionGone
    if user is None or not user.has_perm("documents.edit_section", section):
        raise NotAllowedToEdit
    cut = cut_revision(section_id=section_id, by=user, note=note.strip()[:200])
    if cut is None:
        section.refresh_from_db()
        head = section.head
        return {"id": head.pk if head else None, "number": head.number if head else None, "unchanged": True}
    return {"id": cut.revision.pk, "number": cut.revision.number, "unchanged": not cut.created}


def access_changed(*, section_id: int | None = None) -> None:
    """Have the open editors look up their rights again: after publishing or reopening the
    report (``section_id`` None: every section), a change of owners or of sharing.

    Someone who may no longer see the section is disconnected; someone who
    may no longer change it continues read-only.
    """

    def tell():
        ids = [section_id] if section_id is not None else list(LiveText.objects.values_list("section_id", flat=True))
        for pk in ids:
            broadcast(pk, {"type": "live.recheck"})

    # After the change is committed, so the editors read the new rights.
    transaction.on_commit(tell)
