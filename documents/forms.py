from django import forms
from django.utils.translation import gettext_lazy as _

from denktank.forms import BIGINT_MAX, IdChoiceField, IdMultipleChoiceField, QuickSelect
from denktank.models import Role, User

from .merge import Choice
from .models import Recommendation, Section, Source

# A section of about 15,000 words; longer texts make every view and preview slow.
SECTION_MAX_CHARS = 100_000


class EditForm(forms.Form):
    text = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        max_length=SECTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 22, "class": "font-monospace"}),
    )
    base = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, widget=forms.HiddenInput)
    note = forms.CharField(label=_("What did you change? (optional)"), max_length=200, required=False)


class ConflictForm(forms.Form):
    """The conflict screen: the writer's whole text, where it started, what was saved meanwhile, and
    what to keep at each place where both changed the same paragraph.

    Nothing is saved without a choice for every place (``merge.resolve`` applies them).
    """

    text = forms.CharField(required=False, max_length=SECTION_MAX_CHARS, strip=False, widget=forms.HiddenInput)
    base = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, widget=forms.HiddenInput)
    theirs = forms.IntegerField(min_value=1, max_value=BIGINT_MAX, widget=forms.HiddenInput)
    note = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)

    CHOICES = [
        (Choice.THEIRS, _("Keep the text saved meanwhile")),
        (Choice.OURS, _("Keep my text")),
        (Choice.BOTH, _("Keep both, the text saved meanwhile first")),
        (Choice.EDIT, _("Edit by hand")),
    ]

    def __init__(self, *args, conflicts=(), **kwargs):
        super().__init__(*args, **kwargs)
        for index, conflict in enumerate(conflicts):
            self.fields[f"choice_{index}"] = forms.ChoiceField(
                label=_("What do you keep here?"),
                choices=self.CHOICES,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": _("Choose what to keep here; nothing is saved until you do.")},
            )
            self.fields[f"edited_{index}"] = forms.CharField(
                label=_("Your text for this place (used when you choose 'Edit by hand')"),
                required=False,
                max_length=SECTION_MAX_CHARS,
                strip=False,
                initial=conflict.ours,
                widget=forms.Textarea(attrs={"rows": 4, "class": "form-control font-monospace"}),
            )
        self.conflict_count = len(conflicts)

    def clean_text(self):
        return self.cleaned_data["text"].replace("\r\n", "\n")

    def places(self):
        """The choice and the hand-written text of each place, as bound fields, in order."""
        return [(self[f"choice_{index}"], self[f"edited_{index}"]) for index in range(self.conflict_count)]

    def choices(self) -> list[tuple[str, str]]:
        return [
            (self.cleaned_data[f"choice_{index}"], self.cleaned_data[f"edited_{index}"].replace("\r\n", "\n"))
            for index in range(self.conflict_count)
        ]


class DraftForm(forms.Form):
    """The text the editor sends while typing: autosave and preview."""

    text = forms.CharField(required=False, max_length=SECTION_MAX_CHARS, strip=False)
    base = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your comment before placing it.")},
    )


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
        label=_("Owners"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    shared = forms.BooleanField(label=_("Share with the Kamerlid"), required=False)

    def __init__(self, *args, section: Section, **kwargs):
        super().__init__(*args, **kwargs)
        # A deactivated owner stays an owner (authorship stays) until the board unticks them.
        owners = User.objects.filter(owned_sections=section).distinct()
        self.fields["owners"].queryset = User.objects.active_with_role(Role.DEELNEMER) | owners


class NewSectionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    parent = forms.ModelChoiceField(
        label=_("Under"), queryset=Section.objects.filter(parent__isnull=True), required=False,
        empty_label=_("— top level —"), widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip


class RecommendationForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = ["text", "rationale", "questions", "directions", "section"]
        labels = {
            "questions": _("Questions it answers"),
            "directions": _("Directions it answers"),
            "section": _("Section"),
        }
        field_classes = {
            "questions": IdMultipleChoiceField,
            "directions": IdMultipleChoiceField,
            "section": IdChoiceField,
        }
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "questions": forms.CheckboxSelectMultiple,
            "directions": forms.CheckboxSelectMultiple,
            # One option per section, hundreds in a long report, on every view of the page.
            "section": QuickSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The options straight from the values: no Section object per option.
        # The field still checks a submitted id against its queryset.
        self.fields["section"].widget.choices = [("", "---------"), *Section.objects.values_list("pk", "title")]


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["key", "authors", "year", "title", "publisher", "url"]
        help_texts = {"key": _("Cite it in a section as [@key].")}
