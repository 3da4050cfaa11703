"""Writing the final report: revisions, merges, drafts, comments, amendments, structure."""

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from denktank import audit
from denktank.models import User
from denktank.outbox import queue_templated_mail

from . import selectors
from .exceptions import (
    AmendmentClosed,
    EditConflict,
    NotAllowedToEdit,
    OnlyBoardFinalises,
    ReasonRequired,
    ReportFrozen,
)
from .live import services as live
from .merge import merge
from .models import (
    Amendment,
    Comment,
    Draft,
    OwnerDigest,
    Recommendation,
    ReportExport,
    ReportVersion,
    Revision,
    Section,
)
from .rules import can_edit_section

logger = logging.getLogger(__name__)


@dataclass
class SaveResult:
    revision: Revision
    merged: bool


def save_revision(
    *,
    section: Section,
    author: User,
    text: str,
    base_id: int | None,
    note: str = "",
    credited_to: User | None = None,
    restored_from: Revision | None = None,
    check_permission: bool = True,
    keep_draft: bool = False,
) -> SaveResult:
    """Save a new revision of a section, never losing anyone's work.

    ``base_id`` is the revision the writer started from. When the section
    moved on since, the two texts are merged by paragraph; overlapping
    changes raise ``EditConflict`` and nothing is saved. The section row is
    locked, so concurrent saves queue up and each gets its own number.
    Raises ``ReportFrozen`` while a published version freezes the report.
    Side effects: creates a ``Revision``, moves the section's head, deletes
    the writer's autosaved draft (unless ``keep_draft``: a revision cut from
    the live text is not the text of the writer's form).
    """
    if check_permission and not can_edit_section(author, section):
        raise NotAllowedToEdit
    text = text.replace("\r\n", "\n").strip()
    with transaction.atomic():
        section = Section.objects.select_for_update().get(pk=section.pk)
        # Checked under the section lock: publishing locks every section before
        # it takes its snapshot, so a save either lands in the snapshot or sees
        # the published version here.
        if selectors.current_version() is not None:
            raise ReportFrozen
        head = Revision.objects.filter(pk=section.head_id).first()
        merged = False
        if head is not None and head.pk != base_id:
            base = Revision.objects.filter(pk=base_id, section=section).first()
            result = merge(base.text if base else "", text, head.text)
            if not result.clean:
                raise EditConflict(head=head, conflicts=result.conflicts)
            text, merged = result.text, True
        if head is not None and text == head.text and restored_from is None and credited_to is None:
            if not keep_draft:
                Draft.objects.filter(section=section, user=author).delete()
            return SaveResult(revision=head, merged=merged)
        revision = Revision.objects.create(
            section=section,
            number=(head.number + 1) if head else 1,
            text=text,
            word_count=len(text.split()),
            author=author,
            note=note[:200],
            merged=merged,
            credited_to=credited_to,
            restored_from=restored_from,
        )
        section.head = revision
        section.save(update_fields=["head"])
        if not keep_draft:
            Draft.objects.filter(section=section, user=author).delete()
    return SaveResult(revision=revision, merged=merged)


def restore_revision(*, revision: Revision, author: User) -> SaveResult:
    """Bring back an old text as a new revision; history stays complete.

    Live text not yet in a revision is cut first, so the restore is one more
    step in the history and everyone on the edit page sees it arrive.
    """
    section = revision.section
    live.cut_revision(section_id=section.pk, by=author)
    section.refresh_from_db()
    result = save_revision(
        section=section,
        author=author,
        text=revision.text,
        base_id=section.head_id,
        note=f"#{revision.number}",
        restored_from=revision,
    )
    _tell_live_editors(section.pk)
    return result


def _tell_live_editors(section_id: int) -> None:
    # After the commit, so the live text takes the revision that is really stored.
    transaction.on_commit(lambda: live.revision_saved(section_id=section_id), robust=True)


def autosave_draft(*, section: Section, user: User, text: str, base_id: int | None) -> Draft:
    """Keep the writer's unsaved text, privately, so a closed browser loses nothing."""
    if not can_edit_section(user, section):
        raise NotAllowedToEdit
    draft, _ = Draft.objects.update_or_create(
        section=section,
        user=user,
        defaults={"text": text, "base_id": base_id, "updated_at": timezone.now()},
    )
    return draft


def save_or_keep_draft(*, section: Section, author: User, text: str, base_id: int | None, note: str = "") -> SaveResult:
    """Save a revision; when the report was published meanwhile, keep the text as the writer's draft.

    Raises ``ReportFrozen`` after the draft is stored, so the caller can say
    why nothing was saved while the writer's text is safe.
    """
    try:
        result = save_revision(section=section, author=author, text=text, base_id=base_id, note=note)
        _tell_live_editors(section.pk)
        return result
    except ReportFrozen:
        autosave_draft(section=section, user=author, text=text, base_id=base_id)
        raise


def discard_draft(*, section_id: int, user_id: int) -> None:
    """Throw away a writer's private draft of a section (from the edit page or the live editor)."""
    Draft.objects.filter(section_id=section_id, user_id=user_id).delete()


# --- Discussion ---------------------------------------------------------------


def add_comment(*, section: Section, author: User, text: str) -> Comment:
    return Comment.objects.create(section=section, author=author, text=text.strip())


def resolve_comment(*, comment: Comment, by: User) -> None:
    comment.resolved_at = timezone.now()
    comment.resolved_by = by
    comment.save(update_fields=["resolved_at", "resolved_by"])


def propose_amendment(*, section: Section, proposer: User, text: str, reason: str) -> Amendment:
    if not reason.strip():
        raise ReasonRequired
    return Amendment.objects.create(
        section=section, proposer=proposer, base_id=section.head_id, text=text.strip(), reason=reason.strip()
    )


def accept_amendment(*, amendment: Amendment, by: User) -> SaveResult:
    """Merge a proposal into a new revision credited to its proposer.

    Raises ``EditConflict`` when the section changed in the same place since.
    """
    if not can_edit_section(by, amendment.section):
        raise NotAllowedToEdit
    live.cut_revision(section_id=amendment.section_id, by=by)
    with transaction.atomic():
        amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
        if amendment.status != Amendment.Status.OPEN:
            raise AmendmentClosed
        _tell_live_editors(amendment.section_id)
        result = save_revision(
            section=amendment.section,
            author=by,
            text=amendment.text,
            base_id=amendment.base_id,
            note=amendment.reason,
            credited_to=amendment.proposer,
        )
        amendment.status = Amendment.Status.ACCEPTED
        amendment.decided_by, amendment.decided_at = by, timezone.now()
        amendment.revision = result.revision
        amendment.save(update_fields=["status", "decided_by", "decided_at", "revision"])
    return result


def reject_amendment(*, amendment: Amendment, by: User, reason: str) -> None:
    if not can_edit_section(by, amendment.section):
        raise NotAllowedToEdit
    if not reason.strip():
        raise ReasonRequired
    with transaction.atomic():
        amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
        if amendment.status != Amendment.Status.OPEN:
            raise AmendmentClosed
        amendment.status = Amendment.Status.REJECTED
        amendment.decided_by, amendment.decided_at = by, timezone.now()
        amendment.decision_reason = reason.strip()
        amendment.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])


# --- Status and structure -----------------------------------------------------------


def set_status(*, section: Section, status: str, by: User) -> None:
    """Owners move a section between concept and review; only the board makes it final.

    Raises ``OnlyBoardFinalises`` for a status the user may not set (see
    ``selectors.settable_statuses``) and ``ReportFrozen`` while published.
    Side effects: the section's status and an audit entry.
    """
    if not can_edit_section(by, section):
        raise NotAllowedToEdit
    if selectors.current_version() is not None:
        raise ReportFrozen
    if status not in selectors.settable_statuses(user=by, section=section):
        raise OnlyBoardFinalises
    section.status = status
    section.save(update_fields=["status"])
    audit.record(action=f"section.status.{status}", actor=by, target=section)


def update_section(*, section: Section, title: str, owners, shared: bool, by: User) -> None:
    """The board renames a section, sets its owners and shares it with the Kamerlid."""
    section.title = title
    section.shared = shared
    section.save(update_fields=["title", "shared"])
    section.owners.set(owners)
    audit.record(action="section.updated", actor=by, target=section, shared=shared)
    live.access_changed(section_id=section.pk)


def add_section(*, title: str, parent: Section | None, by: User) -> Section:
    siblings = Section.objects.filter(parent=parent)
    position = max([s.position for s in siblings], default=0) + 1
    section = Section.objects.create(title=title, parent=parent, position=position)
    audit.record(action="section.added", actor=by, target=section)
    return section


def move_section(*, section: Section, direction: int, by: User) -> None:
    """Swap a section with its neighbour above (-1) or below (+1)."""
    with transaction.atomic():
        locked = Section.objects.select_for_update().filter(parent=section.parent_id).order_by("pk")
        siblings = sorted(locked, key=lambda s: (s.position, s.pk))
        index = next(i for i, s in enumerate(siblings) if s.pk == section.pk)
        other = index + direction
        if not 0 <= other < len(siblings):
            return
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings, start=1):
            if sibling.position != position:
                sibling.position = position
                sibling.save(update_fields=["position"])


def remove_section(*, section: Section, by: User) -> None:
    """Remove a section with its subsections and history (the board confirms first)."""
    audit.record(action="section.removed", actor=by, title=section.title)
    live.access_changed(section_id=section.pk)
    section.delete()


# --- The owners' daily digest --------------------------------------------------------


def send_owner_digests(*, now=None) -> int:
    """Mail each section owner once a day about new comments and proposals on their sections.

    Side effects: per owner with news an ``OwnerDigest`` row (unique per
    day, so a second run sends nothing) and one outbox mail.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    sent = 0
    for owner in User.objects.filter(owned_sections__isnull=False, is_active=True).distinct():
        last = OwnerDigest.objects.filter(user=owner).order_by("-created_at").first()
        since = last.created_at if last else now - timedelta(days=1)
        comments = list(
            Comment.objects.filter(section__owners=owner, created_at__gt=since)
            .exclude(author=owner)
            .select_related("section", "author")
        )
        amendments = list(
            Amendment.objects.filter(section__owners=owner, created_at__gt=since, status=Amendment.Status.OPEN)
            .exclude(proposer=owner)
            .select_related("section", "proposer")
        )
        if not comments and not amendments:
            continue
        try:
            with transaction.atomic():
                OwnerDigest.objects.create(user=owner, day=day, created_at=now)
                queue_templated_mail(
                    to=owner.email,
                    template="owner_digest",
                    context={"name": owner.get_short_name(), "comments": comments, "amendments": amendments},
                    idempotency_key=f"owner-digest:{owner.pk}:{day.isoformat()}",
                )
        except IntegrityError:
            continue  # today's digest went out already
        sent += 1
    return sent


# --- Publishing and exports --------------------------------------------------------


def publish_report(*, by: User) -> ReportVersion:
    """Freeze the report as a new published version and queue its PDF.

    Section statuses are left as they are: the snapshot is what is published.
    Side effects: a ``ReportVersion`` with a snapshot of every section and
    recommendation; editing stops until the board reopens the report; an
    export of the version is queued; one mail to every active member and
    Kamerlid with the link.
    """
    with transaction.atomic():
        # Locking every section makes one publisher at a time, waits for saves
        # in progress and holds new ones until the version is committed
        # (save_revision checks for it under the same row lock). Rows are
        # locked in primary key order, as everywhere, so no two lockers deadlock.
        list(Section.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        last = selectors.latest_version()
        if last is not None and last.reopened_at is None:
            raise ReportFrozen
        snapshot = selectors.report_snapshot()
        snapshot.number = (last.number + 1) if last else 1
        snapshot.published_by = by
        snapshot.save()
        audit.record(action="report.published", actor=by, target=snapshot)
        live.access_changed()
        start_export(version=snapshot, by=by)
        for reader in selectors.publication_readers():
            queue_templated_mail(
                to=reader.email,
                template="report_published",
                context={"name": reader.get_short_name(), "number": snapshot.number},
                idempotency_key=f"report-published:{snapshot.number}:{reader.pk}",
            )
    return snapshot


def reopen_report(*, by: User) -> None:
    """Allow editing again; the next publication becomes a new version."""
    version = selectors.current_version()
    if version is None:
        return
    version.reopened_at = timezone.now()
    version.save(update_fields=["reopened_at"])
    live.access_changed()
    audit.record(action="report.reopened", actor=by, target=version)


def start_export(*, by: User, version: ReportVersion | None = None) -> ReportExport:
    """Queue a PDF export; the page polls the row while the task renders it.

    A draft export (no version) is refused while the report is frozen: the
    published version's PDF is the one to download then.
    """
    from .tasks import export_report

    if version is None and selectors.current_version() is not None:
        raise ReportFrozen

    export = ReportExport.objects.create(requested_by=by, version=version)
    transaction.on_commit(lambda: export_report.delay(export.pk), robust=True)
    audit.record(action="report.export_requested", actor=by, target=export)
    return export


# A running export writes its heartbeat this often; one silent for
# EXPORT_STALE_AFTER lost its worker or its database and is ended.
EXPORT_HEARTBEAT = timedelta(seconds=10)
EXPORT_STALE_AFTER = timedelta(seconds=90)
# Files younger than this may belong to an export whose row is still being written.
ORPHAN_GRACE = timedelta(minutes=10)


def render_pdf(**kwargs):
    """The PDF renderer, imported here: WeasyPrint (+28 MB) loads only in the process that renders."""
    from .pdf import render_pdf as render

    return render(**kwargs)


def run_export(*, export_id: int) -> ReportExport | None:
    """Render one export; it always ends done or failed, and a failure leaves no file.

    Side effects: the row moves queued → running → done (with its file) or
    failed (with the reason). While rendering, a heartbeat thread touches the
    row; if the worker or the database dies, ``sweep_exports`` ends it.
    """
    with transaction.atomic():
        export = ReportExport.objects.select_for_update(skip_locked=True).filter(pk=export_id).first()
        if export is None or export.status != ReportExport.Status.QUEUED:
            return None
        export.status = ReportExport.Status.RUNNING
        export.heartbeat_at = timezone.now()
        export.save(update_fields=["status", "heartbeat_at"])

    def progress(percent, step):
        ReportExport.objects.filter(pk=export.pk).update(progress=percent, step=step[:100], heartbeat_at=timezone.now())

    try:
        with _heartbeat(export.pk):
            content, pages = render_pdf(version=export.version, progress=progress)
        export.file.save("einddocument.pdf", ContentFile(content), save=False)
        try:
            updated = ReportExport.objects.filter(pk=export.pk, status=ReportExport.Status.RUNNING).update(
                file=export.file.name,
                status=ReportExport.Status.DONE,
                progress=100,
                pages=pages,
                finished_at=timezone.now(),
            )
        except Exception:
            export.file.delete(save=False)  # no file without a row that points to it
            raise
        if not updated:  # the sweep gave up on this export meanwhile: its file is not wanted
            export.file.delete(save=False)
            return None
    except Exception as error:  # any failure must end as a visible failed export
        _mark_failed(export.pk, f"{type(error).__name__}: {error}")
        raise
    export.refresh_from_db()
    return export


class _heartbeat:
    """Touch the export's row from a side thread while WeasyPrint holds the main one."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.beat, daemon=True)

    def beat(self):
        try:
            while not self.stop.wait(EXPORT_HEARTBEAT.total_seconds()):
                try:
                    ReportExport.objects.filter(pk=self.export_id).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    # The database is away: stay silent, so the sweep ends the export when it returns.
                    logger.warning("Export %s: heartbeat not written", self.export_id)
                    close_old_connections()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)


def _mark_failed(export_id: int, reason: str) -> None:
    """Record a failure; the connection may be the one that just died, so retry once on a fresh one."""
    for attempt in (1, 2):
        try:
            ReportExport.objects.filter(
                pk=export_id, status__in=[ReportExport.Status.QUEUED, ReportExport.Status.RUNNING]
            ).update(status=ReportExport.Status.FAILED, error=reason[:2000], finished_at=timezone.now())
            return
        except DatabaseError:
            if attempt == 2:
                logger.exception("Export %s: could not record the failure; the sweep will", export_id)
            connection.close()


def sweep_exports(*, now=None) -> int:
    """End exports whose worker or database died, and remove PDF files that no export points to.

    Side effects: running exports with a heartbeat older than
    ``EXPORT_STALE_AFTER`` become failed with a reason; unreferenced files
    under ``exports/`` older than ``ORPHAN_GRACE`` are deleted. Returns the
    number of exports ended.
    """
    now = now or timezone.now()
    ended = ReportExport.objects.filter(
        status=ReportExport.Status.RUNNING, heartbeat_at__lt=now - EXPORT_STALE_AFTER
    ).update(
        status=ReportExport.Status.FAILED,
        error=str(_("The export was interrupted: its worker or the database stopped. Try again.")),
        finished_at=now,
    )
    if ended:
        logger.warning("Ended %d interrupted export(s)", ended)
    storage = ReportExport._meta.get_field("file").storage
    referenced = set(ReportExport.objects.exclude(file="").values_list("file", flat=True))
    try:
        _dirs, names = storage.listdir("exports")
    except FileNotFoundError:
        names = []
    for name in names:
        path = f"exports/{name}"
        if path not in referenced and storage.get_modified_time(path) < now - ORPHAN_GRACE:
            storage.delete(path)
            logger.warning("Removed orphan export file %s", path)
    return ended


def retry_export(*, export: ReportExport, by: User) -> ReportExport:
    """Start the same export again after a failure: the same published version, or the draft."""
    return start_export(by=by, version=export.version)


def add_recommendation(*, by: User, text: str, rationale: str, questions, directions, section) -> Recommendation:
    position = (Recommendation.objects.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    recommendation = Recommendation.objects.create(text=text, rationale=rationale, section=section, position=position)
    recommendation.questions.set(questions)
    recommendation.directions.set(directions)
    audit.record(action="recommendation.added", actor=by, target=recommendation)
    return recommendation
