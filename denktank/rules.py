"""Who may do what on the platform: role predicates shared by every app."""

import rules

from .models import Role


def has_role(role: str) -> rules.Predicate:
    """Whether the user has this role, read from ``User.roles``.

    ``User.roles`` is cached on the user, which lives as long as the request:
    the middleware, the menus, the permissions and the dashboard share one
    read of the groups (``rules.is_group_member`` would keep a second copy).
    """

    name = str(role)

    @rules.predicate(name=f"has_role:{name}")
    def predicate(user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and name in user.roles

    return predicate


is_board = has_role(Role.BESTUUR)
# Bestuur has every right of Werving.
is_recruiter = has_role(Role.WERVING) | is_board
is_member = has_role(Role.DEELNEMER)
is_mp = has_role(Role.KAMERLID)
has_any_role = is_board | is_recruiter | is_member | is_mp


# Bestuur, Werving and everyone who can open the admin site handle personal
# data: they must use two-factor login.
requires_two_factor = is_recruiter | rules.is_staff | rules.is_superuser


rules.add_perm("denktank.invite_people", is_board)
rules.add_perm("denktank.view_outbox", is_board)
rules.add_perm("denktank.resend_mail", is_board)
rules.add_perm("denktank.view_audit_log", is_board)
rules.add_perm("denktank.manage_people", is_board)
rules.add_perm("denktank.write_kamerlid_update", is_board)
# The Kamerlid reads the updates sent to them; the board reads what it sent.
rules.add_perm("denktank.read_kamerlid_updates", is_board | is_mp)
