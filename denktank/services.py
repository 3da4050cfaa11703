"""Accounts and invitations: how people get onto the platform."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import audit
from .exceptions import AccountAlreadyActive, InvitationExpired, InvitationInvalid, InvitationUsed
from .models import Invitation, Role, User
from .outbox import queue_templated_mail


@dataclass(frozen=True)
class Invitee:
    name: str
    email: str


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_person(*, name: str, email: str, role: str, invited_by: User | None) -> Invitation:
    """Give a person a role and mail them a single-use link to set a password.

    Side effects: creates the user (without a usable password) if the e-mail
    address is new, adds them to the role's group, creates an ``Invitation``,
    queues the invitation mail and writes an audit entry. An earlier unused
    invitation of the same person stops working.
    Raises ``AccountAlreadyActive``, changing nothing, when the address
    belongs to an active account with a password: the link would let
    whoever holds the mail replace a working password.
    """
    email = email.strip().lower()
    with transaction.atomic():
        # Locked, so a password set in the meantime cannot slip past the check.
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None and user.is_active and user.has_usable_password():
            raise AccountAlreadyActive(user=user)
        if user is None:
            user = User.objects.create_user(email=email, name=name.strip())
        user.groups.add(Group.objects.get(name=role))
        # One live link per person: the newest invitation replaces the others.
        user.invitations.filter(accepted_at__isnull=True).update(expires_at=timezone.now())
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            user=user,
            role=role,
            token_hash=_hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        queue_templated_mail(
            to=email,
            template="invitation",
            context={
                "name": user.name,
                "role": Role(role).label,
                "invited_by": invited_by,
                "link": settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token}),
                "expires_at": invitation.expires_at,
            },
            idempotency_key=f"invitation:{invitation.pk}",
            sensitive=True,
        )
        audit.record(action="invitation.sent", actor=invited_by, target=user, role=role)
    return invitation


def invite_people(*, invitees: list[Invitee], role: str, invited_by: User | None) -> list[Invitation]:
    """Invite several people with one role, all or none.

    Side effects: those of ``invite_person`` for each invitee, in one
    transaction; when one of them raises, nobody is invited.
    """
    with transaction.atomic():
        return [
            invite_person(name=invitee.name, email=invitee.email, role=role, invited_by=invited_by)
            for invitee in invitees
        ]


def get_invitation(*, token: str) -> Invitation:
    """Return the usable invitation for a token, or raise why it is not usable."""
    invitation = Invitation.objects.select_related("user").filter(token_hash=_hash_token(token)).first()
    _check_usable(invitation)
    return invitation


def _check_usable(invitation: Invitation | None) -> None:
    # A deactivated account stays deactivated: an old or new link does not
    # bring it back (the admin reactivates it on purpose).
    if invitation is None or not invitation.user.is_active:
        raise InvitationInvalid
    if invitation.accepted_at is not None:
        raise InvitationUsed
    if invitation.expires_at <= timezone.now():
        raise InvitationExpired


def accept_invitation(*, token: str, password: str) -> User:
    """Set the invited person's password; the link works once.

    Side effects: sets the password, marks the invitation accepted (under a
    row lock, so two clicks cannot both use it), marks the e-mail address
    verified and writes an audit entry.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("user").filter(token_hash=_hash_token(token)).first()
        )
        _check_usable(invitation)
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        address, _ = EmailAddress.objects.get_or_create(user=user, email=user.email)
        address.verified = True
        address.primary = True
        address.save(update_fields=["verified", "primary"])
        audit.record(action="invitation.accepted", actor=user, target=user)
    return user
