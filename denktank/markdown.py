"""Markdown for agendas, minutes and report sections, always sanitised."""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


def render_markdown(text: str) -> SafeString:
    """Render Markdown to HTML that is safe to put on a page.

    Raw HTML in the source is escaped by the parser, and the result passes an
    allowlist (no scripts, no event handlers, only http(s) and mailto links).
    """
    return sanitise(_markdown.render(text or ""))


def sanitise(html: str, extra_tags: frozenset[str] = frozenset()) -> SafeString:
    """HTML through the allowlist of rendered texts, with ``extra_tags`` allowed as well."""
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS | extra_tags,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # sanitised by nh3 just above
