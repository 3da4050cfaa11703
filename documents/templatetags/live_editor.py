from django import template

from documents.forms import SECTION_MAX_CHARS
from documents.live.services import writer_colour

register = template.Library()


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
    }
