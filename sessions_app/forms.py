from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Attendance, Meeting, Rsvp

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
