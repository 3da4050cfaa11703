from django import template

from denktank.audit import describe_action
from denktank.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@register.filter
def audit_description(action):
    """What an audit log action code means, in the current language."""
    return describe_action(action)
