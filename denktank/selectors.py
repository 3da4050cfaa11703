from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import Group
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from . import outbox, rules
from .models import Invitation, OutgoingMail, Role, User

# Mails cut off by one outage started sending within seconds of each other:
# the review groups them by the ten minutes in which their sending started.
UNKNOWN_WINDOW = timedelta(minutes=10)


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


@dataclass
class UnknownMailGroup:
    """Mails with an unknown fate whose sending started in one time window and broke off with one error."""

    window_start: datetime
    window_end: datetime
    reason: str  # the recorded error; empty when the sweep found the send cut off
    mails: list[OutgoingMail]

    @property
    def sensitive_count(self) -> int:
        return sum(1 for mail in self.mails if mail.sensitive)


def _window_start(moment: datetime) -> datetime:
    seconds = int(UNKNOWN_WINDOW.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def unknown_mails_awaiting_decision():
    """Mails whose fate is unknown and of which the board has not sent a new copy yet."""
    return OutgoingMail.objects.filter(status=OutgoingMail.Status.UNKNOWN).filter(
        ~Exists(OutgoingMail.objects.filter(resent_from=OuterRef("pk")))
    )


def unknown_mail_groups() -> list[UnknownMailGroup]:
    """Mails whose fate is unknown and that have no copy yet, by time window and reason, newest window first.

    The time is the moment the worker claimed the mail for sending (the
    creation time for a mail that never got that far). One query.
    """
    mails = (
        unknown_mails_awaiting_decision()
        .only("to", "subject", "status", "sensitive", "last_error", "created_at", "sending_started_at")
        .order_by("sending_started_at", "created_at", "pk")
    )
    groups: dict[tuple[datetime, str], UnknownMailGroup] = {}
    for mail in mails:
        start = _window_start(mail.sending_started_at or mail.created_at)
        key = (start, mail.last_error)
        if key not in groups:
            groups[key] = UnknownMailGroup(
                window_start=start, window_end=start + UNKNOWN_WINDOW, reason=mail.last_error, mails=[]
            )
        groups[key].mails.append(mail)
    return sorted(groups.values(), key=lambda group: (-group.window_start.timestamp(), group.reason))


@dataclass
class BulkResendPlan:
    send: list[OutgoingMail]
    skipped: list[tuple[OutgoingMail, str]]  # (mail, why it is left out)


def bulk_resend_plan(*, mails) -> BulkResendPlan:
    """What the bulk resend would do with these mails now: which get a new copy, which are left out and why.

    The same rule as ``outbox.resend_unknown_mails``, which decides again
    under row locks when the board confirms.
    """
    mails = sorted(mails, key=lambda mail: mail.pk)
    resent = set(
        OutgoingMail.objects.filter(resent_from__in=[mail.pk for mail in mails]).values_list(
            "resent_from_id", flat=True
        )
    )
    plan = BulkResendPlan(send=[], skipped=[])
    for mail in mails:
        reason = outbox.bulk_resend_skip_reason(mail, already_resent=mail.pk in resent)
        if reason is None:
            plan.send.append(mail)
        else:
            plan.skipped.append((mail, reason))
    return plan
