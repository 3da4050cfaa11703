from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from denktank.forms import HoneypotForm

from .exceptions import RegistrationNeedsPlaces
from .models import Attendance, Guest, Meeting, Reaction, Rsvp

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = {".pdf", ".docx", ".xlsx", ".pptx", ".odt", ".png", ".jpg", ".jpeg", ".txt", ".md"}


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(label=_("Are you coming?"), choices=Rsvp.Answer.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason (needed with “no”)"), max_length=300, required=False, widget=forms.TextInput()
    )

    @classmethod
    def for_answer(cls, rsvp: Rsvp | None):
        """An unbound form showing the current answer: after a save no old error stays on screen."""
        return cls(initial={"answer": getattr(rsvp, "answer", None), "reason": getattr(rsvp, "reason", "")})

    def autofocus_first_error(self) -> bool:
        """Mark the first field with an error ``autofocus``: htmx moves the focus
        there after swapping the form in, so keyboard users land on the problem."""
        for name, field in self.fields.items():
            if name in self.errors:
                field.widget.attrs["autofocus"] = True
                return True
        return False


class WhenWhereMixin(forms.Form):
    """Date and time as Amsterdam wall-clock time, made aware in ``clean``."""

    # <input type=date> and <input type=time> only take ISO values; without a
    # fixed format Django sends the Dutch dd-mm-yyyy and the browser shows nothing.
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    duration_minutes = forms.IntegerField(label=_("Length in minutes"), min_value=15, max_value=600)
    city = forms.CharField(label=_("Place"), max_length=80, required=False)
    address = forms.CharField(
        # With a context: the bare "Address" is also the audit log's IP address column.
        label=pgettext_lazy("meeting place", "Address"),
        max_length=200,
        required=False,
        help_text=_("Leave empty while the address is not known: the platform shows “address to follow”."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("day") and cleaned.get("time"):
            starts_at = timezone.make_aware(datetime.combine(cleaned["day"], cleaned["time"]))
            if starts_at <= timezone.now():
                self.add_error("day", _("Choose a moment in the future."))
            cleaned["starts_at"] = starts_at
        return cleaned


class RescheduleForm(WhenWhereMixin):
    @classmethod
    def for_meeting(cls, meeting: Meeting, data=None):
        local = timezone.localtime(meeting.starts_at)
        initial = {
            "day": local.date(),
            "time": local.time(),
            "duration_minutes": meeting.duration_minutes,
            "city": meeting.city,
            "address": meeting.address,
        }
        return cls(data, initial=initial)


class NewMeetingForm(WhenWhereMixin):
    title = forms.CharField(label=_("Title"), max_length=120)
    is_physical = forms.BooleanField(label=_("Physical meeting"), required=False)
    field_order = ["title", "day", "time", "duration_minutes", "is_physical", "city", "address"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_physical") and not cleaned.get("city"):
            self.add_error("city", _("Say where a physical meeting takes place."))
        return cleaned


class MeetingContentForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["agenda", "subtopics", "online_url"]
        widgets = {"agenda": forms.Textarea(attrs={"rows": 10}), "subtopics": forms.Textarea(attrs={"rows": 4})}


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 14}), required=False, help_text=_("Markdown.")
    )
    publish = forms.BooleanField(label=_("Publish to members and Kamerleden"), required=False)


class AttendanceForm(forms.Form):
    """One choice per expected person."""

    def __init__(self, *args, people, current: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(people)
        choices = [("", _("— not registered —")), *Attendance.Status.choices]
        for person in self.people:
            self.fields[f"user_{person.pk}"] = forms.ChoiceField(
                label=person.name, choices=choices, required=False, initial=current.get(person.pk, "")
            )

    def statuses(self) -> dict[int, str]:
        return {person.pk: self.cleaned_data[f"user_{person.pk}"] for person in self.people}


class AttachmentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    file = forms.FileField(label=_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        extension = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in ATTACHMENT_EXTENSIONS:
            raise forms.ValidationError(
                _("This kind of file is not accepted. Use PDF, an Office or OpenDocument file, an image or text.")
            )
        return upload


# --- The public final presentation ---------------------------------------------

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class GuestRegistrationForm(HoneypotForm):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    is_party_member = forms.TypedChoiceField(
        label=_("Are you a member of the VVD?"),
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you are a VVD member.")},
    )
    organisation = forms.CharField(
        label=_("Organisation (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    consent = forms.BooleanField(
        label=_("I have read how my data is used (above) and agree to it."),
        error_messages={"required": _("We can only register you with your consent.")},
    )

    def registration_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("name", "email", "is_party_member", "organisation")}


class PresentationSettingsForm(forms.Form):
    registration_open = forms.BooleanField(label=_("Registration for guests is open"), required=False)
    capacity = forms.IntegerField(
        label=_("Places for guests"),
        min_value=0,
        max_value=2000,
        help_text=_("Guests beyond this number go on the waiting list. More places move the waiting list up."),
    )
    reactions_open = forms.BooleanField(
        label=_("Guests and members can react to the recommendations"),
        required=False,
        help_text=_("Reactions close by themselves when the board publishes the report."),
    )

    def clean(self):
        cleaned = super().clean()
        # The service refuses it too; here the message stands at the field to change.
        if cleaned.get("registration_open") and cleaned.get("capacity") == 0:
            self.add_error("capacity", RegistrationNeedsPlaces.message)
        return cleaned


class GuestFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Guest.Status.choices], required=False)


class GuestAttendanceForm(forms.Form):
    """A checkbox per guest with a place."""

    present = forms.TypedMultipleChoiceField(
        label=_("Present"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, guests, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(guest.pk, guest.name) for guest in guests]
        self.fields["present"].error_messages["invalid_choice"] = _("Choose guests from the list.")


REACTION_COMMENT_MAX = Reaction._meta.get_field("comment").max_length


class ReactionForm(forms.Form):
    """One person's view of one recommendation (the page shows one form per recommendation)."""

    recommendation = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    stance = forms.ChoiceField(
        label=_("Your view"),
        choices=Reaction.Stance.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose support, support with a reservation, or oppose.")},
    )
    comment = forms.CharField(
        label=pgettext_lazy("reaction", "Comment (optional)"),
        max_length=REACTION_COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REACTION_COMMENT_MAX}),
    )

    def __init__(self, *args, recommendations, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommendations = {item.pk: item for item in recommendations}
        field = self.fields["recommendation"]
        field.choices = [(pk, pk) for pk in self.recommendations]
        field.error_messages["invalid_choice"] = _("This recommendation cannot be found. Reload the page.")
        field.error_messages["required"] = _("This recommendation cannot be found. Reload the page.")

    @property
    def chosen_recommendation(self):
        return self.recommendations[self.cleaned_data["recommendation"]]
