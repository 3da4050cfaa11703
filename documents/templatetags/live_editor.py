from django import template
from django.utils.translation import pgettext_lazy

from documents.forms import SECTION_MAX_CHARS
from documents.live.services import writer_colour

register = template.Library()

# CodeMirror's own words, by the English phrase it asks for ($ stands for a number).
CODEMIRROR_PHRASES = {
    "Find": pgettext_lazy("text editor", "Find"),
    "Replace": pgettext_lazy("text editor", "Replace"),
    "next": pgettext_lazy("text editor", "next"),
    "previous": pgettext_lazy("text editor", "previous"),
    "all": pgettext_lazy("text editor", "all"),
    "match case": pgettext_lazy("text editor", "match case"),
    "regexp": pgettext_lazy("text editor", "regexp"),
    "by word": pgettext_lazy("text editor", "by word"),
    "replace": pgettext_lazy("text editor", "replace"),
    "replace all": pgettext_lazy("text editor", "replace all"),
    "close": pgettext_lazy("text editor", "close"),
    "Go to line": pgettext_lazy("text editor", "Go to line"),
    "go": pgettext_lazy("text editor", "go"),
    "Fold line": pgettext_lazy("text editor", "Fold line"),
    "Unfold line": pgettext_lazy("text editor", "Unfold line"),
    "folded code": pgettext_lazy("text editor", "folded code"),
    "unfold": pgettext_lazy("text editor", "unfold"),
    "Folded lines": pgettext_lazy("text editor", "Folded lines"),
    "Unfolded lines": pgettext_lazy("text editor", "Unfolded lines"),
    "to": pgettext_lazy("text editor", "to"),
    "Control character": pgettext_lazy("text editor", "Control character"),
    "Selection deleted": pgettext_lazy("text editor", "Selection deleted"),
    "Completions": pgettext_lazy("text editor", "Completions"),
    "Diagnostics": pgettext_lazy("text editor", "Diagnostics"),
    "No diagnostics": pgettext_lazy("text editor", "No diagnostics"),
    "current match": pgettext_lazy("text editor", "current match"),
    "on line": pgettext_lazy("text editor", "on line"),
    "replaced match on line $": pgettext_lazy("text editor", "replaced match on line $"),
    "replaced $ matches": pgettext_lazy("text editor", "replaced $ matches"),
}


@register.inclusion_tag("documents/includes/live_editor.html", takes_context=True)
def live_editor(context, section, textarea="", form="", base="", note=""):
    """The live editor's place on a page; live-editor.js fills it once the socket connects.

    With ``textarea`` (a CSS selector) it replaces that form field and keeps
    it up to date, so the form still posts the text; without, it follows the
    section read-only (the Kamerlid on a shared section).
    """
    user = context["request"].user
    return {
        "section": section,
        "user_id": user.pk,
        "name": user.name or user.email,
        "colour": writer_colour(user.pk),
        "textarea": textarea,
        "form": form,
        "base": base,
        "note": note,
        "max_chars": SECTION_MAX_CHARS,
        "phrases": {phrase: str(translated) for phrase, translated in CODEMIRROR_PHRASES.items()},
    }
