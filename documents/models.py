from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from denktank.storage import private_storage


class Question(models.Model):
    """One of the five questions of the founding note; question 1 is the anchor."""

    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["number"]

    def __str__(self):
        return self.title


class Direction(models.Model):
    """One of the five policy directions of the founding note."""

    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))

    class Meta:
        verbose_name = _("direction")
        verbose_name_plural = _("directions")
        ordering = ["number"]

    def __str__(self):
        return self.title


class Section(models.Model):
    """A section of the final report, in an ordered tree."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        FINAL = "final", _("Final")

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="sections")
    direction = models.ForeignKey(Direction, null=True, blank=True, on_delete=models.SET_NULL, related_name="sections")
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="owned_sections")
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.DRAFT)
    shared = models.BooleanField(_("shared with the Kamerlid"), default=False)
    # The newest revision, kept up to date under the section's row lock.
    head = models.ForeignKey("Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("documents:section", args=[self.pk])


class Revision(models.Model):
    """An immutable saved version of a section."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)
    merged = models.BooleanField(default=False)
    restored_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    credited_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # len(text.split()), stored when the revision is saved: lists of sections
    # show word counts without loading any text.
    word_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["section", "number"], name="one_revision_number_per_section")]

    def __str__(self):
        return f"{self.section} #{self.number}"

    @property
    def co_writers(self) -> list:
        """Who else wrote in the live text this revision was cut from (``writers`` prefetched)."""
        return [writer.user for writer in self.writers.all() if writer.user_id != self.author_id]


class Draft(models.Model):
    """A writer's autosaved, unsaved text: private, one per writer and section."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True)
    base = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["section", "user"], name="one_draft_per_writer")]

    def __str__(self):
        return f"{self.user}: {self.section}"


class Comment(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("comment"), max_length=3000)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:40]


class Amendment(models.Model):
    """A proposed change to a section, accepted or rejected by an owner or the board."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="amendments")
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    base = models.ForeignKey(Revision, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("proposed text"), max_length=100_000)
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self):
        return f"{self.section}: {self.get_status_display()}"


class OwnerDigest(models.Model):
    """The daily mail to a section owner about new comments and proposals: at most one a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_owner_digest_per_day")]

    def __str__(self):
        return f"{self.user} {self.day}"


class Source(models.Model):
    """A study or book the report cites, by a short key: ``[@key]`` in the text."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    authors = models.CharField(_("authors"), max_length=300, blank=True)
    year = models.CharField(_("year"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher or journal"), max_length=200, blank=True)
    url = models.URLField(_("URL"), blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["key"]

    def __str__(self):
        return self.key


@receiver([post_save, post_delete], sender=Source)
def _sources_changed(sender, **kwargs):
    # Rendered sections are cached with the sources they cite: a changed
    # source makes them stale. After the commit, so no request can cache the
    # old sources under the new version.
    from .citations import sources_changed

    transaction.on_commit(sources_changed)


class Recommendation(models.Model):
    """A recommendation of the report and the questions and directions it answers."""

    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(pgettext_lazy("report", "recommendation"), max_length=2000)
    rationale = models.TextField(_("rationale"), max_length=5000, blank=True)
    questions = models.ManyToManyField(Question, blank=True, related_name="recommendations")
    directions = models.ManyToManyField(Direction, blank=True, related_name="recommendations")

    class Meta:
        verbose_name = pgettext_lazy("report", "recommendation")
        verbose_name_plural = pgettext_lazy("report", "recommendations")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text[:60]


class ReportVersion(models.Model):
    """A published, frozen version of the report: a snapshot of every section."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # [{"number": "1.2", "title": ..., "depth": 1, "text": ...}, ...] and the recommendations, as they were.
    sections = models.JSONField(default=list)
    recommendations = models.JSONField(default=list)
    authors = models.JSONField(default=list)
    reopened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        return f"v{self.number}"


def export_upload_to(instance, filename):
    return f"exports/einddocument-{instance.pk or 'nieuw'}-{timezone.now():%Y%m%d-%H%M%S}.pdf"


class ReportExport(models.Model):
    """One PDF export: a row the page polls while a Celery task renders it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    version = models.ForeignKey(ReportVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    file = models.FileField(storage=private_storage, upload_to=export_upload_to, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Written every few seconds while the worker renders: a running export
    # whose heartbeat stopped lost its worker or database and is ended by a sweep.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.status}"


# --- Writing together live ------------------------------------------------------------


class LiveText(models.Model):
    """The live, shared text of a section: where its update log stands against the revisions."""

    section = models.OneToOneField(Section, primary_key=True, on_delete=models.CASCADE, related_name="live_text")
    # The revision the live text last agreed with. A newer head was saved
    # outside the live editor (the form, a restore, an accepted proposal) and
    # is brought into the live text as an edit.
    revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When the log was started from the head revision. A browser keeps its
    # unconfirmed changes per start, so a copy from before a restart of the
    # log is never merged into a different text.
    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.section)


class LiveUpdate(models.Model):
    """One change to a section's live text (a Yjs update), stored before anyone is told of it.

    Together, a section's rows are its live text, applied in any order.
    Rows a numbered revision already contains are compacted into one; the
    others keep their writer, so the next revision credits everyone who wrote.
    """

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="live_updates")
    data = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    in_revision = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["section", "in_revision"], name="live_update_section_cut")]

    def __str__(self):
        return f"{self.section} @{self.pk}"


class RevisionWriter(models.Model):
    """Everyone who wrote in the live text that a revision was cut from."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="writers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["revision", "user"], name="one_writer_row_per_revision")]

    def __str__(self):
        return f"{self.revision}: {self.user}"
