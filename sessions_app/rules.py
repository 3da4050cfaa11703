"""Who may see and do what around meetings."""

import rules

from denktank.rules import has_any_role, is_board, is_member, is_mp


@rules.predicate
def is_physical_meeting(user, meeting) -> bool:
    return meeting is not None and meeting.is_physical


# Members answer for every meeting; the Kamerlid only for the physical ones.
can_answer = is_member | (is_mp & is_physical_meeting)

rules.add_perm("sessions_app.view_calendar", has_any_role)
rules.add_perm("sessions_app.view_online_link", is_member | is_board)
rules.add_perm("sessions_app.answer_meeting", can_answer)
rules.add_perm("sessions_app.manage_calendar", is_board)
rules.add_perm("sessions_app.view_all_answers", is_board)
rules.add_perm("sessions_app.view_attachments", is_member | is_board)
rules.add_perm("sessions_app.subscribe_feed", has_any_role)
# The final presentation: the board runs guests and reads reactions; members react.
rules.add_perm("sessions_app.manage_presentation", is_board)
rules.add_perm("sessions_app.react_to_recommendations", is_member)
