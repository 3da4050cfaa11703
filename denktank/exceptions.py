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
        # From the groups as given (prefetched by the form): no query per address.
        roles = Role.labels_of(group.name for group in user.groups.all())
        super().__init__(
            _(
                "%(name)s (%(email)s) already has an account (role: %(roles)s) and logs in with their own "
                "password. No invitation is sent: it would only reset that password. Someone who forgot their "
                "password uses “Forgot your password?” on the login page."
            )
            % {
                "name": user.name or user.email,
                "email": user.email,
                "roles": ", ".join(roles) or _("none"),
            }
        )


# --- People -------------------------------------------------------------------


class LastBoardMember(DomainError):
    """The change would leave nobody who can log in as Bestuur to run the platform."""

    message = _(
        "This would leave no active board member who can log in, and nobody could manage the platform any more. "
        "Give someone else the Board role first."
    )


class PersonInactive(DomainError):
    message = _("This account is deactivated. Reactivate it first.")


class NoRoleToInviteAs(DomainError):
    message = _("This person has no role. Give them a role first, then send the invitation.")


class NoOpenInvitation(DomainError):
    message = _("This person has no open invitation.")


class NoTwoFactor(DomainError):
    message = _("This person has not set up two-factor login: there is nothing to reset.")


class ImportExpired(DomainError):
    message = _("This preview is too old or was changed. Upload the file again.")


# --- Kamerlid updates -----------------------------------------------------------


class NoKamerlidToInform(DomainError):
    message = _("There is no active Kamerlid: nobody would receive this update.")


class UpdateAlreadySent(DomainError):
    message = _("This update was already sent.")


class UpdateOutdated(DomainError):
    message = _(
        "Another update was sent after this preview was made, so its facts are out of date. "
        "Check the new preview and send again."
    )
