from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.utils import timezone

from . import rules
from .models import Invitation, OutgoingMail, Role, User


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
