from django import template

from members import selectors, services

register = template.Library()


@register.inclusion_tag("members/includes/apply_card.html")
def apply_card():
    return {"applications_open": services.procedure().applications_open}


@register.inclusion_tag("members/includes/recruitment_card.html", takes_context=True)
def recruitment_card(context):
    user = context["request"].user
    return {
        "seats_used": services.seats_used(),
        "to_score": selectors.applications(viewer=user)
        .filter(stage__in=["new", "review", "interview"], scored_by_me=False)
        .count(),
    }
