from django.utils.translation import gettext_lazy as _

from denktank.exceptions import DomainError


class AnswerClosed(DomainError):
    message = _("This meeting has started or is cancelled: answers can no longer be changed.")


class NotInvited(DomainError):
    message = _("You are not expected at this meeting, so you cannot answer for it.")


class ReasonRequired(DomainError):
    message = _("Tell us briefly why you cannot come.")


class AnswerLinkInvalid(DomainError):
    message = _("This answer link is not valid. Open the meeting on the platform to answer.")


class AnswerLinkOutdated(DomainError):
    message = _(
        "This meeting has moved since the link was sent. Use the link in the newest mail, or answer on the platform."
    )


class AnswerLinkForSomeoneElse(DomainError):
    message = _("This answer link belongs to someone else. Log out first, or answer for yourself on the platform.")


class AttendanceTooEarly(DomainError):
    message = _("Attendance can be registered once the meeting has started.")


class MeetingInPast(DomainError):
    message = _("A meeting cannot be moved to or added in the past.")


# --- The public final presentation --------------------------------------------


class RegistrationClosed(DomainError):
    message = _("Registration for the final presentation is closed.")


class RegistrationNeedsPlaces(DomainError):
    message = _("Set the number of places for guests before opening the registration.")


class GuestLinkInvalid(DomainError):
    message = _(
        "This link is not valid (anymore). Perhaps you registered again or cancelled, or your data has been "
        "deleted after the presentation. Register again if you want to come."
    )


class ConfirmLinkExpired(DomainError):
    message = _("This confirmation link has expired. Register again: you will get a new link by mail.")


class PresentationStarted(DomainError):
    message = _("The final presentation has started: registrations can no longer be changed.")


class ReactionsClosed(DomainError):
    message = _("Reactions to the recommendations are closed.")


class NotAllowedToReact(DomainError):
    message = _("Only guests who confirmed their registration and members can react.")


class GuestAttendanceTooEarly(DomainError):
    message = _("Attendance can be marked from the day of the presentation.")
