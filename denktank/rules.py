"""Who may do what on the platform: role predicates shared by every app."""

import rules

from .models import Role

is_board = rules.is_group_member(Role.BESTUUR)
# Bestuur has every right of Werving.
is_recruiter = rules.is_group_member(Role.WERVING) | is_board
is_member = rules.is_group_member(Role.DEELNEMER)
is_mp = rules.is_group_member(Role.KAMERLID)
has_any_role = is_board | is_recruiter | is_member | is_mp


# Bestuur, Werving and everyone who can open the admin site handle personal
# data: they must use two-factor login.
requires_two_factor = is_recruiter | rules.is_staff | rules.is_superuser


rules.add_perm("denktank.invite_people", is_board)
rules.add_perm("denktank.view_outbox", is_board)
rules.add_perm("denktank.resend_mail", is_board)
rules.add_perm("denktank.view_audit_log", is_board)
