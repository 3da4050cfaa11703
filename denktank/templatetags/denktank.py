from django import template

from denktank.audit import describe_action
from denktank.markdown import render_markdown
from denktank.models import Role
from denktank.rules import requires_two_factor

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@register.filter
def audit_description(action):
    """What an audit log action code means, in the current language."""
    return describe_action(action)


@register.filter
def role_labels(user) -> list[str]:
    """The labels of a person's roles, from their (prefetched) groups, in the order of ``Role``."""
    return Role.labels_of(group.name for group in user.groups.all())


@register.filter(name="requires_two_factor")
def requires_two_factor_filter(user) -> bool:
    """Whether the user's role requires two-factor login (they may not switch it off)."""
    return bool(requires_two_factor(user))


@register.simple_tag(takes_context=True)
def page_query(context, number, param="page", anchor=""):
    """The current query string with one page number changed, and an optional #anchor.

    ``{% querystring %}`` takes only fixed parameter names; a page showing two
    paginated lists names each list's page parameter.
    """
    params = context.request.GET.copy()
    params[param] = number
    return f"?{params.urlencode()}" + (f"#{anchor}" if anchor else "")
