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


class AccountAlreadyActive(DomainError):
    """The address belongs to someone who already logs in: an invitation would reset their password."""

    def __init__(self, *, user):
        from .models import Role

        self.user = user
        roles = [Role(name).label for name in sorted(user.roles) if name in Role.values]
        super().__init__(
            _(
                "%(name)s (%(email)s) already has an account (role: %(roles)s) and logs in with their own "
                "password. No invitation is sent: it would only reset that password. Someone who forgot their "
                "password uses “Forgot your password?” on the login page."
            )
            % {
                "name": user.name or user.email,
                "email": user.email,
                "roles": ", ".join(str(role) for role in roles) or _("none"),
            }
        )
