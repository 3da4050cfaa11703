from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.utils import timezone

from . import rules
from .models import Invitation, OutgoingMail, Role, User


def active_accounts(*, emails: list[str]) -> dict[str, User]:
    """The accounts among these addresses that are in use: active, with a password set.

    Keyed by lower-case e-mail address. An account that never set a password
    (an invitation not yet accepted) or that was deactivated is not in use.
    """
    if not emails:
        return {}
    users = User.objects.filter(email__in=[email.lower() for email in emails], is_active=True).prefetch_related(
        "groups"
    )
    return {user.email.lower(): user for user in users if user.has_usable_password()}


def recent_invitations(limit: int = 20):
    return Invitation.objects.select_related("user", "invited_by")[:limit]


def dashboard_context(*, user: User) -> dict:
    """What the home dashboard shows, by role."""
    context = {"role_labels": [Role(name).label for name in sorted(user.roles) if name in Role.values]}
    if rules.is_board(user):
        context["outbox_problems"] = OutgoingMail.objects.filter(
            status__in=[OutgoingMail.Status.FAILED, OutgoingMail.Status.UNKNOWN]
        ).count()
        context["open_invitations"] = Invitation.objects.filter(
            accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
        context["people_by_role"] = Group.objects.annotate(
            count=Count("user", filter=Q(user__is_active=True))
        ).order_by("name")
    return context
