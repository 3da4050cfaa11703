from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """An expected refusal with a message fit for the user."""

    message = _("This action is not possible.")

    def __init__(self, message=None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class InvitationInvalid(DomainError):
    message = _("This invitation link is not valid. Ask the board for a new invitation.")


class InvitationUsed(DomainError):
    message = _("This invitation link has already been used. Log in with your e-mail address and password.")


class InvitationExpired(DomainError):
    message = _("This invitation link has expired. Ask the board for a new invitation.")
