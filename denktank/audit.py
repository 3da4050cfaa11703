"""The audit log: one helper that every app calls to say who did what."""

from allauth.account.adapter import get_adapter
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

# What each action code means, as the Logboek shows it. A code missing here
# is shown as it is, so a new action is never hidden.
ACTION_DESCRIPTIONS = {
    "presentation.updated": _("Changed the guest registration or reactions of the final presentation"),
    "presentation.attendance_recorded": _("Recorded which guests came"),
    "presentation.door_list_exported": _("Downloaded the door list of guests"),
    "presentation.guests_purged": _("Erased guest data after the retention period"),
    "reaction.taken_on": _("Marked a reaction as taken on"),
    "reaction.taken_on_undone": _("Undid a reaction's taken-on mark"),
    "login": _("Logged in"),
    "login.failed": _("Failed login"),
    "invitation.sent": _("Sent an invitation"),
    "invitation.accepted": _("Accepted an invitation and set a password"),
    "invitation.withdrawn": _("Withdrew an invitation"),
    "person.roles_changed": _("Changed someone's roles"),
    "person.deactivated": _("Deactivated an account"),
    "person.reactivated": _("Reactivated an account"),
    "person.two_factor_reset": _("Reset someone's two-factor login"),
    "people.imported": _("Invited people from a CSV file"),
    "kamerlid_update.sent": _("Sent an update to the Kamerleden"),
    "mail.resent": _("Sent a new copy of a mail"),
    "procedure.applications_open": _("Opened applications"),
    "procedure.applications_closed": _("Paused applications"),
    "procedure.closed": _("Closed the selection procedure"),
    "application.viewed": _("Viewed an application"),
    "application.cv_viewed": _("Opened an applicant's CV"),
    "application.membership_checked": _("Checked party membership"),
    "application.scored": _("Scored an application"),
    "application.conflict_declared": _("Declared a conflict of interest"),
    "application.exported": _("Exported an applicant's data"),
    "application.erased": _("Erased an application on request"),
    "application.purged": _("Erased an application after the retention period"),
    "application.stage.new": _("Moved an application back to new"),
    "application.stage.review": _("Put an application in review"),
    "application.stage.interview": _("Invited an applicant for an interview"),
    "application.stage.selected": _("Selected an applicant"),
    "application.stage.waitlist": _("Put an applicant on the waitlist"),
    "application.stage.rejected": _("Rejected an applicant"),
    "application.stage.left": _("Recorded that a member left"),
    "application.account_linked": _("Gave a selected applicant their member account"),
    "application.mail.waitlist": _("Sent a waitlist mail"),
    "application.mail.rejection": _("Sent a rejection mail"),
    "talent_note.added": _("Added a talent note"),
    "meeting.added": _("Added a meeting"),
    "meeting.moved": _("Moved a meeting"),
    "meeting.cancelled": _("Cancelled a meeting"),
    "meeting.content_changed": _("Changed a meeting's agenda or details"),
    "meeting.minutes_saved": _("Saved the minutes of a meeting"),
    "meeting.attendance_recorded": _("Recorded attendance"),
    "section.added": _("Added a section"),
    "section.updated": _("Changed a section's title, owners or sharing"),
    "section.removed": _("Removed a section"),
    "section.status.draft": _("Set a section to draft"),
    "section.status.review": _("Put a section up for review"),
    "section.status.final": _("Made a section final"),
    "source.saved": _("Saved a source"),
    "recommendation.added": _("Added a recommendation"),
    "report.published": _("Published the final report"),
    "report.reopened": _("Reopened the final report"),
    "report.export_requested": _("Requested a PDF of the final report"),
}


def describe_action(action: str) -> str:
    """The readable description of an action code, or the code itself."""
    description = ACTION_DESCRIPTIONS.get(action)
    return str(description) if description is not None else action


def record(*, action: str, actor=None, target: models.Model | None = None, request=None, **data) -> AuditEntry:
    """Write one audit entry.

    ``actor`` defaults to the request's user; the client address comes from
    the request when there is one, found the way allauth finds it for its
    rate limits (behind ``ALLAUTH_TRUSTED_PROXY_COUNT`` proxies).
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        data=data,
        ip_address=client_ip(request) if request is not None else None,
    )


def client_ip(request) -> str | None:
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None
