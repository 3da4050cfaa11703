from django import template

from members import services

register = template.Library()


@register.inclusion_tag("members/includes/apply_card.html")
def apply_card():
    return {"applications_open": services.procedure().applications_open}
