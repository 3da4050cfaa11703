from django import template

from sessions_app import selectors

register = template.Library()


@register.inclusion_tag("sessions_app/includes/public_calendar.html")
def public_calendar():
    return {"meetings": selectors.public_calendar()}


@register.inclusion_tag("sessions_app/includes/next_meeting_card.html", takes_context=True)
def next_meeting_card(context):
    user = context["request"].user
    meeting = selectors.next_meeting()
    rsvp = selectors.current_answers(meeting).get(user.pk) if meeting else None
    can_answer = meeting is not None and user.has_perm("sessions_app.answer_meeting", meeting)
    # Members are asked for their view of the recommendations while reactions are open.
    react = user.has_perm("sessions_app.react_to_recommendations") and selectors.reactions_open(
        selectors.presentation_with_open_reactions()
    )
    return {"meeting": meeting, "my_rsvp": rsvp, "can_answer": can_answer, "react": react}


@register.inclusion_tag("sessions_app/includes/presentation_card.html")
def presentation_card():
    """For the public page: the link to the guest registration, only while the board has it open."""
    return {"presentation": selectors.open_registration()}
