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
    return {"meeting": meeting, "my_rsvp": rsvp, "can_answer": can_answer}
