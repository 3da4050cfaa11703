from django.utils.translation import gettext_lazy as _

from denktank.exceptions import DomainError


class ApplicationsClosed(DomainError):
    message = _("Applications are closed. Thank you for your interest.")


class SeatsFullError(DomainError):
    message = _(
        "All twelve seats are taken. Free a seat first (a member who leaves), or put this applicant on the waitlist."
    )


class NotAllowedInStage(DomainError):
    message = _("This is not possible in the applicant's present stage.")


class ConflictOfInterestDeclared(DomainError):
    message = _("You declared a conflict of interest for this applicant, so you cannot score them.")


class ProfileNotClaimed(DomainError):
    message = _("Score every profile the applicant claims, and only those.")
