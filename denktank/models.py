from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The four roles, stored as Django groups under these names."""

    BESTUUR = "Bestuur", _("Board")
    WERVING = "Werving", _("Recruiter")
    DEELNEMER = "Deelnemer", _("Member")
    KAMERLID = "Kamerlid", _("Member of parliament")

    @classmethod
    def labels_of(cls, names) -> list[str]:
        """The labels of these group names, in the order of the roles; a name that is no role is left out."""
        names = set(names)
        return [str(role.label) for role in cls if role.value in names]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)

    def active_with_role(self, *roles: str):
        """The active people with any of these roles, each once, by name."""
        return self.filter(is_active=True, groups__name__in=roles).distinct().order_by("name", "pk")


class User(AbstractUser):
    """A person with an account: logs in with an e-mail address, has no username."""

    username = None
    first_name = None
    last_name = None
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class Invitation(models.Model):
    """A single-use, expiring link with which an invited person sets a password.

    Only a hash of the token is stored: the link in the mail is the only copy.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} ({self.role})"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class OutgoingMail(models.Model):
    """One mail in the outbox, written in the transaction that causes it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # The worker started sending but never reported back: the mail may or
        # may not have left. Never resent automatically; the board decides.
        UNKNOWN = "unknown", _("Unknown")

    to = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(default=list, blank=True)
    # Contains a login secret (invitation or password-reset link): the body
    # is replaced by a placeholder once sent, and the board cannot resend it.
    sensitive = models.BooleanField(_("contains a login link"), default=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    resent_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends")

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class AuditEntry(models.Model):
    """Who did what to which object, and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


# The board's own text in a Kamerlid update: a short note, not a report.
KAMERLID_UPDATE_MAX_LENGTH = 5000
# "Since the beginning", for the first update: its facts start here.
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


class KamerlidUpdate(models.Model):
    """An update the board sent to the Kamerleden: its own text plus the facts, as they were sent.

    The facts are a snapshot (plain data, see ``selectors.kamerlid_update_facts``),
    so the update reads the same later as in the mail. Each update covers
    the time from ``facts_since`` to ``facts_until``; the next one starts
    where this one ended, and the unique ``facts_since`` keeps two board
    members from sending overlapping updates at the same time.
    """

    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), max_length=KAMERLID_UPDATE_MAX_LENGTH)
    facts = models.JSONField(default=dict)
    facts_since = models.DateTimeField(unique=True)
    facts_until = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)
    recipient_count = models.PositiveIntegerField(default=0)
    # Made with the preview: a second click on "send" finds it taken and sends nothing.
    token = models.UUIDField(unique=True)

    class Meta:
        verbose_name = _("Kamerlid update")
        verbose_name_plural = _("Kamerlid updates")
        ordering = ["-sent_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("kamerlid_update", kwargs={"pk": self.pk})


class KamerlidUpdateReminder(models.Model):
    """A reminder to the board that no update went to the Kamerleden for four weeks.

    ``due_at`` is unique: each four-week gap is reminded of once, however
    often (or concurrently) the sweep runs.
    """

    due_at = models.DateTimeField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-due_at"]

    def __str__(self):
        return f"{self.due_at:%Y-%m-%d}"
