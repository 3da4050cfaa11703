import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from denktank.storage import private_storage, random_upload_name

PLACE_TO_FOLLOW = _("address to follow")


class Phase(models.Model):
    """A stretch of the trajectory (opstart, werving, ...), drawn on the timeline."""

    key = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="phase_ends_after_start"
            )
        ]

    def __str__(self):
        return self.name


class Meeting(models.Model):
    class Kind(models.TextChoices):
        KICKOFF = "kickoff", _("Kick-off")
        ONLINE = "online", _("Online session")
        INTERIM = "interim", _("Interim session")
        FINAL = "final", _("Final presentation")
        EXTRA = "extra", _("Extra session")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("session number"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=120)
    summary = models.CharField(_("content"), max_length=300, blank=True)
    is_physical = models.BooleanField(_("physical meeting"), default=False)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("length in minutes"), default=90)
    city = models.CharField(_("place"), max_length=80, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True, help_text=_("Markdown."))
    subtopics = models.TextField(_("sub-topics"), blank=True, help_text=_("One sub-topic per line."))
    minutes = models.TextField(_("minutes"), blank=True, help_text=_("Markdown."))
    minutes_published_at = models.DateTimeField(_("minutes published"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # Raised on every change that calendars must pick up (RFC 5545 SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__gte=15), name="meeting_duration_min_15"),
        ]

    def __str__(self):
        return self.title

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def attendance_expected(self) -> bool:
        return self.is_physical

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def place(self) -> str:
        """Where it is, for everyone: the city with the address, or that the address follows."""
        if not self.is_physical:
            return str(_("Online"))
        return f"{self.city}, {self.address or PLACE_TO_FOLLOW}"

    @property
    def subtopic_list(self) -> list[str]:
        return [line.strip() for line in self.subtopics.splitlines() if line.strip()]

    @property
    def minutes_published(self) -> bool:
        return self.minutes_published_at is not None


class Rsvp(models.Model):
    """A person's answer for a meeting: one per person and meeting."""

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        MAYBE = "maybe", _("Maybe")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps")
    answer = models.CharField(_("answer"), max_length=5, choices=Answer.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The start time the answer was given for: after a move the answer is
    # asked again, and an answer for the old time no longer counts.
    for_starts_at = models.DateTimeField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_rsvp_per_person_and_meeting"),
            models.CheckConstraint(
                condition=~models.Q(answer="no") | ~models.Q(reason=""), name="rsvp_no_needs_reason"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.meeting}: {self.get_answer_display()}"

    @property
    def is_current(self) -> bool:
        return self.for_starts_at == self.meeting.starts_at


class Attendance(models.Model):
    """Whether someone was there, registered by the board after the meeting."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Sent apologies")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(_("attendance"), max_length=8, choices=Status.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_person_and_meeting")
        ]

    def __str__(self):
        return f"{self.user} – {self.meeting}: {self.get_status_display()}"


def attachment_upload_to(instance, filename):
    return random_upload_name("meetings", filename)


class Attachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("title"), max_length=150)
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_upload_to)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.title


class SentReminder(models.Model):
    """A reminder that went out: never twice per person, meeting, kind and start time."""

    class Kind(models.TextChoices):
        WEEK = "week", _("a week ahead")
        DAY = "day", _("a day ahead")
        NUDGE = "nudge", _("not answered yet")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="sent_reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    for_starts_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user", "kind", "for_starts_at"], name="one_reminder_per_kind_and_start"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.meeting} → {self.user}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The secret address of a person's calendar feed; regenerating it kills the old one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.user)


# --- The public final presentation --------------------------------------------


class Presentation(models.Model):
    """The public side of the final presentation: guest registration and reactions.

    One row per final meeting. Every change to who has a place locks this
    row first, so the number of places holds under concurrent confirmations.
    """

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="presentation")
    registration_open = models.BooleanField(_("registration open"), default=False)
    capacity = models.PositiveIntegerField(_("places for guests"), default=0)
    reactions_open = models.BooleanField(_("reactions open"), default=False)
    guests_purged_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("final presentation")
        verbose_name_plural = _("final presentations")

    def __str__(self):
        return str(self.meeting)


def new_guest_key() -> str:
    return secrets.token_urlsafe(12)


class Guest(models.Model):
    """Someone from outside who registered for the final presentation: the minimum we need, for the board only."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Not confirmed")
        CONFIRMED = "confirmed", _("Has a place")
        WAITING = "waiting", _("Waiting list")
        CANCELLED = "cancelled", pgettext_lazy("guest", "Cancelled")

    presentation = models.ForeignKey(Presentation, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail address"), max_length=254)
    is_party_member = models.BooleanField(_("VVD member"))
    organisation = models.CharField(_("organisation"), max_length=150, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UNCONFIRMED)
    # Part of every link we mail: a new key (after cancelling and registering
    # again) makes the old links stop working.
    key = models.CharField(max_length=32, default=new_guest_key)
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("address confirmed"), null=True, blank=True)
    # The waiting list's order: first confirmed, first placed.
    waiting_since = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("present"), default=False)

    class Meta:
        verbose_name = _("guest")
        verbose_name_plural = _("guests")
        ordering = ["name", "pk"]
        constraints = [
            # Stored in lower case by the service: one registration per address.
            models.UniqueConstraint(fields=["presentation", "email"], name="one_registration_per_address"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["confirmed", "waiting"]) | models.Q(confirmed_at__isnull=False),
                name="guest_place_needs_confirmed_address",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def address_confirmed(self) -> bool:
        return self.confirmed_at is not None and self.status != self.Status.CANCELLED


class Reaction(models.Model):
    """A guest's or member's view of one recommendation of the report.

    When guest data is purged the reaction stays, without the guest: the
    count and the comment remain, nobody can tell whose they were.
    """

    class Stance(models.TextChoices):
        SUPPORT = "support", _("Support")
        RESERVATION = "reservation", _("Support with a reservation")
        OPPOSE = "oppose", _("Oppose")

    class Respondent(models.TextChoices):
        GUEST = "guest", _("Guest")
        MEMBER = "member", _("Member")

    recommendation = models.ForeignKey(
        "documents.Recommendation", on_delete=models.CASCADE, related_name="presentation_reactions"
    )
    respondent = models.CharField(max_length=6, choices=Respondent.choices)
    guest = models.ForeignKey(Guest, null=True, blank=True, on_delete=models.SET_NULL, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stance = models.CharField(_("your view"), max_length=11, choices=Stance.choices)
    comment = models.TextField(pgettext_lazy("reaction", "comment"), max_length=1000, blank=True)
    taken_on_at = models.DateTimeField(null=True, blank=True)
    taken_on_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "guest"],
                condition=models.Q(guest__isnull=False),
                name="one_reaction_per_guest_and_recommendation",
            ),
            models.UniqueConstraint(
                fields=["recommendation", "user"],
                condition=models.Q(user__isnull=False),
                name="one_reaction_per_member_and_recommendation",
            ),
            # A guest's reaction never names an account, a member's never a guest.
            models.CheckConstraint(
                condition=(models.Q(respondent="guest") & models.Q(user__isnull=True))
                | (models.Q(respondent="member") & models.Q(guest__isnull=True)),
                name="reaction_has_one_kind_of_respondent",
            ),
        ]

    def __str__(self):
        return f"{self.get_stance_display()}: {self.recommendation_id}"


class GuestReminder(models.Model):
    """The reminder a guest got the day before: never twice for the same start time."""

    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="reminders")
    for_starts_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["guest", "for_starts_at"], name="one_guest_reminder_per_start")]

    def __str__(self):
        return f"{self.guest} – {self.for_starts_at:%Y-%m-%d %H:%M}"
