from django import forms
from django.utils.translation import gettext_lazy as _

from denktank.models import Role, User

from .models import Recommendation, Section, Source


class EditForm(forms.Form):
    text = forms.CharField(
        label=_("Text (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 22, "class": "font-monospace"})
    )
    base = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("What did you change? (optional)"), max_length=200, required=False)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))


class AmendmentForm(forms.Form):
    text = forms.CharField(label=_("Your proposed text"), widget=forms.Textarea(attrs={"rows": 16}))
    reason = forms.CharField(label=_("Why this change?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason (needed when rejecting)"), required=False, max_length=2000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Section.Status.choices)


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
        empty_label=_("— top level —"),
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
