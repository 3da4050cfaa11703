from django import forms
from django.utils.translation import gettext_lazy as _

from denktank.models import Role, User

from .models import Recommendation, Section, Source

# A section of about 15,000 words; longer texts make every view and preview slow.
SECTION_MAX_CHARS = 100_000
# The largest primary key the database holds: bigger numbers are bad input, not a query.
MAX_ID = 2**63 - 1


class IdChoiceField(forms.ModelMultipleChoiceField):
    """Checkboxes of objects: an id that is no number, or too big for the database, is a form error."""

    def _check_values(self, value):
        for pk in value:
            if not str(pk).isdigit() or int(pk) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class EditForm(forms.Form):
    text = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        max_length=SECTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 22, "class": "font-monospace"}),
    )
    base = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    note = forms.CharField(label=_("What did you change? (optional)"), max_length=200, required=False)


class DraftForm(forms.Form):
    """The text the editor sends while typing: autosave and preview."""

    text = forms.CharField(required=False, max_length=SECTION_MAX_CHARS, strip=False)
    base = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))


class AmendmentForm(forms.Form):
    text = forms.CharField(
        label=_("Your proposed text"), max_length=SECTION_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 16})
    )
    reason = forms.CharField(label=_("Why this change?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason (needed when rejecting)"), required=False, max_length=2000)


class StatusForm(forms.Form):
    """The statuses on offer are those the user may set (``selectors.settable_statuses``)."""

    status = forms.ChoiceField(label=_("Status"), choices=Section.Status.choices)

    def __init__(self, *args, statuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        if statuses is not None:
            self.fields["status"].choices = [(v, label) for v, label in Section.Status.choices if v in statuses]


class PublishForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have checked the list above and publish the report as it stands."),
        error_messages={"required": _("Tick the box to confirm that you publish the report as it stands.")},
    )


class SectionSettingsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    owners = forms.ModelMultipleChoiceField(
        label=_("Owners"),
        queryset=User.objects.filter(groups__name=Role.DEELNEMER, is_active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    shared = forms.BooleanField(label=_("Share with the Kamerlid"), required=False)


class NewSectionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    parent = forms.ModelChoiceField(
        label=_("Under"), queryset=Section.objects.filter(parent__isnull=True), required=False,
        empty_label=_("— top level —"), widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip


class SectionChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and (not str(value).isdigit() or int(value) > MAX_ID):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class RecommendationForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = ["text", "rationale", "questions", "directions", "section"]
        labels = {
            "questions": _("Questions it answers"),
            "directions": _("Directions it answers"),
            "section": _("Section"),
        }
        field_classes = {"questions": IdChoiceField, "directions": IdChoiceField, "section": SectionChoiceField}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "questions": forms.CheckboxSelectMultiple,
            "directions": forms.CheckboxSelectMultiple,
        }


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["key", "authors", "year", "title", "publisher", "url"]
        help_texts = {"key": _("Cite it in a section as [@key].")}
