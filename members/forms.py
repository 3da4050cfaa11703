from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from denktank.forms import HoneypotForm, IdChoiceField, IdMultipleChoiceField, QuickSelect
from denktank.models import Role, User

from .models import NOTE_MAX_LENGTH, Application, ExpertiseProfile, MailTemplate, Scorecard

MAX_CV_BYTES = 5 * 1024 * 1024
MINIMUM_AGE = 18


def claimable_profiles():
    """The eight profiles an applicant chooses; the young-member profile follows from the date of birth."""
    return ExpertiseProfile.objects.filter(is_age_rule=False)


class ApplicationForm(HoneypotForm, forms.ModelForm):
    profiles = IdMultipleChoiceField(
        label=_("Expertise profiles"),
        queryset=claimable_profiles(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose one or more. Overlap is allowed and valuable."),
        error_messages={
            "required": _("Choose at least one expertise profile."),
            "invalid_choice": _("Choose the expertise profiles from the list."),
        },
    )
    cv = forms.FileField(
        label=_("CV (optional, PDF, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    commit_six_months = forms.BooleanField(label=_("I commit to the full six months."))
    commit_hours = forms.BooleanField(label=_("I can spend a few hours a week on it."))
    commit_physical = forms.BooleanField(
        label=_(
            "I will attend the three physical meetings in The Hague (kick-off, interim session, final presentation)."
        )
    )
    consent_political_data = forms.BooleanField(
        label=_(
            "I agree that my VVD membership, which reveals a political opinion, is processed for this selection "
            "and seen only by the recruiters and the board."
        )
    )
    consent_privacy = forms.BooleanField(label=_("I have read the privacy statement and agree to it."))
    consent_keep_one_year = forms.BooleanField(
        label=_("If I am not selected, you may keep my application for one year for a later think tank."),
        required=False,
    )

    class Meta:
        model = Application
        fields = [
            "name", "email", "phone", "date_of_birth", "city", "province", "membership_number", "profiles",
            "occupation", "motivation", "cv", "channel", "gender", "consent_political_data", "consent_privacy",
            "consent_keep_one_year",
        ]  # fmt: skip
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "motivation": forms.Textarea(attrs={"rows": 6}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }
        help_texts = {
            "membership_number": _("Taking part is for VVD members only. We check your membership."),
            "gender": _("Optional. Only used, unnamed, for the diversity of the group."),
            "motivation": _("Why you, and why this subject? At most 3000 characters."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gender"].required = False
        self.fields["channel"].choices = [("", "---------"), *self.fields["channel"].choices[1:]]

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("A date of birth cannot be in the future."))
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < MINIMUM_AGE:
            raise forms.ValidationError(_("You must be at least 18 to take part."))
        if born < date(1900, 1, 1):
            raise forms.ValidationError(_("Check the date of birth."))
        return born

    def clean_membership_number(self):
        return "".join(self.cleaned_data["membership_number"].split())

    def clean_cv(self):
        upload = self.cleaned_data.get("cv")
        if not upload:
            return None
        if upload.size > MAX_CV_BYTES:
            raise forms.ValidationError(_("The CV is larger than 5 MB."))
        # Judge the file by its content, not by its name.
        head = upload.read(5)
        upload.seek(0)
        if head != b"%PDF-":
            raise forms.ValidationError(_("The CV must be a PDF file."))
        return upload

    def application_data(self) -> dict:
        """The fields that are stored, without the form-only ones."""
        skip = {"profiles", "cv", "website", "commit_six_months", "commit_hours", "commit_physical"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


def _select():
    return QuickSelect(attrs={"class": "form-select"})


class ApplicationFilterForm(forms.Form):
    """The filter bar of the applications list, rendered by a plain loop in its template (no crispy)."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=100, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    profile = IdChoiceField(
        label=_("Profile"), queryset=ExpertiseProfile.objects.all(), required=False, widget=_select()
    )
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("All")), *Application.Stage.choices], required=False, widget=_select()
    )
    age = forms.ChoiceField(
        label=_("Age at kick-off"),
        choices=[("", _("All")), ("young", _("Under 35")), ("older", _("35 or older"))],
        required=False,
        widget=_select(),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All")), *Application._meta.get_field("channel").choices],
        required=False,
        widget=_select(),
    )
    province = forms.ChoiceField(
        label=_("Province"),
        choices=[("", _("All")), *Application._meta.get_field("province").choices],
        required=False,
        widget=_select(),
    )
    min_score = forms.DecimalField(
        label=_("Average score at least"),
        min_value=1,
        max_value=5,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[("-created_at", _("Newest")), ("name", _("Name")), ("-avg_score", _("Highest score"))],
        required=False,
        widget=_select(),
    )

    def full_clean(self):
        super().full_clean()
        # A field with an error is marked and points at its message, as crispy-forms would.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"


class ScorecardForm(forms.Form):
    # No advice is preselected: an empty first option, so a recruiter who skips it gets an error, not "in favour".
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("", _("Choose your advice")), *Scorecard.Recommendation.choices],
        error_messages={"required": _("Choose your advice.")},
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=NOTE_MAX_LENGTH
    )

    def __init__(self, *args, profiles, **kwargs):
        super().__init__(*args, **kwargs)
        self.profiles = list(profiles)
        for profile in self.profiles:
            self.fields[f"profile_{profile.pk}"] = forms.TypedChoiceField(
                label=profile.name,
                choices=[(n, n) for n in range(1, 6)],
                coerce=int,
                widget=forms.RadioSelect,
                help_text=_("1 = weak, 5 = excellent"),
                error_messages={"required": _("Give a score from 1 to 5.")},
            )
        self.order_fields([f"profile_{p.pk}" for p in self.profiles] + ["recommendation", "note"])

    def scores(self) -> dict[int, int]:
        return {profile.pk: self.cleaned_data[f"profile_{profile.pk}"] for profile in self.profiles}


class StageForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Move to"),
        choices=[(value, label) for value, label in Application.Stage.choices if value not in ("selected", "left")],
    )


class MailTemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}


class ProfileDescriptionForm(forms.ModelForm):
    class Meta:
        model = ExpertiseProfile
        fields = ["description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class TalentNoteForm(forms.Form):
    member = IdChoiceField(
        label=_("Member"),
        queryset=User.objects.active_with_role(Role.DEELNEMER),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This member does not exist (any more).")},
    )
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTE_MAX_LENGTH)
