from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from denktank.storage import private_storage, random_upload_name

# "Jonge deelnemer" means under 35 on the day of the kick-off.
KICKOFF_DATE = date(2026, 9, 1)
YOUNG_AGE_LIMIT = 35
SEATS = 12

# Free text has a ceiling: enough for what the field is for, small enough that
# one submission cannot slow every page that shows it. Forms enforce these;
# check constraints keep them true for every other way in.
DESCRIPTION_MAX_LENGTH = 1000
MOTIVATION_MAX_LENGTH = 3000
NOTE_MAX_LENGTH = 2000
MAIL_BODY_MAX_LENGTH = 5000


def max_length_check(field: str, limit: int, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=name)


class ExpertiseProfile(models.Model):
    """One of the nine profiles the think tank looks for."""

    key = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    # The young-member profile follows from the date of birth: never chosen, never scored.
    is_age_rule = models.BooleanField(default=False, editable=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("expertise profile")
        verbose_name_plural = _("expertise profiles")
        ordering = ["order"]
        constraints = [max_length_check("description", DESCRIPTION_MAX_LENGTH, "profile_description_max_length")]

    def __str__(self):
        return self.name


class Procedure(models.Model):
    """The one recruitment procedure: open or closed. Its row is the lock for the seats."""

    applications_open = models.BooleanField(_("applications open"), default=True)
    closed_at = models.DateTimeField(_("procedure closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("recruitment procedure")

    def __str__(self):
        return str(_("Recruitment procedure"))


class Province(models.TextChoices):
    GRONINGEN = "GR", "Groningen"
    FRIESLAND = "FR", "Friesland"
    DRENTHE = "DR", "Drenthe"
    OVERIJSSEL = "OV", "Overijssel"
    FLEVOLAND = "FL", "Flevoland"
    GELDERLAND = "GE", "Gelderland"
    UTRECHT = "UT", "Utrecht"
    NOORD_HOLLAND = "NH", "Noord-Holland"
    ZUID_HOLLAND = "ZH", "Zuid-Holland"
    ZEELAND = "ZE", "Zeeland"
    NOORD_BRABANT = "NB", "Noord-Brabant"
    LIMBURG = "LI", "Limburg"


class Channel(models.TextChoices):
    NETWORK = "network", _("Thematic network")
    EXPERT = "expert", _("External expert")
    OPEN = "open", _("Open channel")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Other")
    UNSAID = "unsaid", _("Rather not say")


def cv_upload_to(instance, filename):
    return random_upload_name("cv", "cv.pdf")


class Application(models.Model):
    """An application to join the think tank: personal data under the AVG."""

    class Stage(models.TextChoices):
        NEW = "new", _("New")
        REVIEW = "review", _("In review")
        INTERVIEW = "interview", _("Interview")
        SELECTED = "selected", _("Selected")
        WAITLIST = "waitlist", _("Waitlist")
        REJECTED = "rejected", _("Rejected")
        LEFT = "left", _("Left the think tank")

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(
        _("phone number"),
        max_length=20,
        validators=[RegexValidator(r"^\+?[0-9 ()-]{8,20}$", _("Enter a phone number, e.g. 06 12345678."))],
    )
    date_of_birth = models.DateField(_("date of birth"))
    city = models.CharField(_("place of residence"), max_length=80)
    province = models.CharField(_("province"), max_length=2, choices=Province.choices)
    membership_number = models.CharField(
        _("VVD membership number"),
        max_length=12,
        validators=[RegexValidator(r"^[0-9]{4,12}$", _("A membership number has 4 to 12 digits."))],
    )
    membership_checked = models.BooleanField(_("membership checked"), default=False)
    profiles = models.ManyToManyField(ExpertiseProfile, verbose_name=_("expertise profiles"), related_name="+")
    occupation = models.CharField(_("current occupation"), max_length=200)
    motivation = models.TextField(_("motivation"), max_length=MOTIVATION_MAX_LENGTH)
    cv = models.FileField(_("CV"), storage=private_storage, upload_to=cv_upload_to, blank=True)
    channel = models.CharField(_("how did you hear of it?"), max_length=10, choices=Channel.choices)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    consent_political_data = models.BooleanField(default=False)
    consent_privacy = models.BooleanField(default=False)
    consent_keep_one_year = models.BooleanField(_("may be kept for a year"), default=False)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.NEW, db_index=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="application"
    )
    created_at = models.DateTimeField(_("applied"), default=timezone.now)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_privacy=True, consent_political_data=True), name="application_has_consent"
            ),
            # One open application per e-mail address, also under concurrent submissions.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(stage__in=["rejected", "left"]),
                name="one_open_application_per_email",
            ),
            max_length_check("motivation", MOTIVATION_MAX_LENGTH, "application_motivation_max_length"),
        ]

    def __str__(self):
        return self.name

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age_at_kickoff(self) -> int:
        return self.age_on(KICKOFF_DATE)

    @property
    def is_young(self) -> bool:
        return self.age_at_kickoff < YOUNG_AGE_LIMIT


class StageChange(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=10, choices=Application.Stage.choices)
    to_stage = models.CharField(max_length=10, choices=Application.Stage.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.application}: {self.from_stage} → {self.to_stage}"


class Scorecard(models.Model):
    """One recruiter's judgement of one applicant."""

    class Recommendation(models.TextChoices):
        STRONG_YES = "strong_yes", _("Strongly in favour")
        YES = "yes", _("In favour")
        DOUBT = "doubt", _("In doubt")
        NO = "no", _("Against")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scorecards")
    recruiter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scorecards")
    recommendation = models.CharField(_("recommendation"), max_length=10, choices=Recommendation.choices)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX_LENGTH)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "recruiter"], name="one_scorecard_per_recruiter"),
            max_length_check("note", NOTE_MAX_LENGTH, "scorecard_note_max_length"),
        ]

    def __str__(self):
        return f"{self.recruiter} → {self.application}"


class ProfileScore(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    profile = models.ForeignKey(ExpertiseProfile, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "profile"], name="one_score_per_profile"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="score_between_1_and_5"),
        ]

    def __str__(self):
        return f"{self.profile}: {self.score}"


class ConflictOfInterest(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    recruiter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "recruiter"], name="one_conflict_declaration")]

    def __str__(self):
        return f"{self.recruiter} ≠ {self.application}"


class MailTemplate(models.Model):
    """Editable texts of the waitlist and rejection mails."""

    class Key(models.TextChoices):
        WAITLIST = "waitlist", _("Waitlist")
        REJECTION = "rejection", _("Rejection")

    key = models.CharField(max_length=10, choices=Key.choices, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("text"), max_length=MAIL_BODY_MAX_LENGTH, help_text=_("{name} is replaced by the applicant's name.")
    )

    class Meta:
        verbose_name = _("mail text")
        verbose_name_plural = _("mail texts")
        constraints = [max_length_check("body", MAIL_BODY_MAX_LENGTH, "mail_template_body_max_length")]

    def __str__(self):
        return self.get_key_display()


class PendingDecisionMail(models.Model):
    """A waitlist or rejection mail waiting for a recruiter to confirm the batch."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="pending_mail")
    key = models.CharField(max_length=10, choices=MailTemplate.Key.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.key}: {self.application}"


class TalentNote(models.Model):
    """A board-only note on a member who stands out."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talent_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [max_length_check("text", NOTE_MAX_LENGTH, "talent_note_max_length")]

    def __str__(self):
        return f"{self.member}: {self.text[:40]}"
