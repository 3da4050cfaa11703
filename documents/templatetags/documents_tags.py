from django import template

from documents import selectors

register = template.Library()


@register.inclusion_tag("documents/includes/report_card.html", takes_context=True)
def report_card(context):
    user = context["request"].user
    tree = selectors.section_tree(user=user)
    mine = [section for section, _, _ in tree if any(owner.pk == user.pk for owner in section.owners.all())]
    inbox = selectors.owner_inbox(user) if mine else {}
    return {"progress": selectors.progress(tree), "mine": mine, **inbox}
