import hashlib

from django import template

from documents import selectors

register = template.Library()


@register.simple_tag
def tree_key(sections) -> str:
    """A digest of everything a list of numbered sections shows, to key its cached rendering.

    Any change a row would show (a title, a status, an owner, a new head,
    a comment, who may read it) gives another key: the cache never serves
    an old row, and nothing has to be invalidated.
    """
    digest = hashlib.blake2b(digest_size=16)
    for number, section, depth, readable in sections:
        head = section.head
        shown = (number, depth, readable, section.pk, section.title, section.status, section.shared)
        more = (section.open_comments, section.owner_names)
        edited = (head.word_count, head.created_at.isoformat(), head.author) if head else None
        digest.update(repr((shown, more, edited)).encode())
    return digest.hexdigest()


@register.inclusion_tag("documents/includes/report_card.html", takes_context=True)
def report_card(context):
    """The dashboard's report card: progress in figures and the user's own sections, not the whole list."""
    user = context["request"].user
    mine = selectors.owned_sections(user)
    inbox = selectors.owner_inbox(user) if mine else {}
    return {"progress": selectors.report_progress(), "mine": mine, **inbox}
