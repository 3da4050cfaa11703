"""Accounts and invitations: how people get onto the platform."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import audit, selectors
from .backends import forget_user
from .exceptions import (
    AccountAlreadyActive,
    InvitationExpired,
    InvitationInvalid,
    InvitationUsed,
    LastBoardMember,
    NoKamerlidToInform,
    NoOpenInvitation,
    NoRoleToInviteAs,
    NoTwoFactor,
    PersonInactive,
    UpdateAlreadySent,
    UpdateOutdated,
)
from .models import Invitation, KamerlidUpdate, KamerlidUpdateReminder, Role, User
from .outbox import queue_templated_mail
from .rules import requires_two_factor


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


# --- People: roles, deactivation, invitations, two-factor -----------------------------


def _forget_roles(user: User) -> None:
    # ``User.roles`` is cached on the instance: a changed role must show at once.
    user.__dict__.pop("roles", None)


def _lock_board() -> None:
    """Make role changes and deactivations take turns: lock the Bestuur group row.

    Taken first, before the person's row: two board members removing each
    other at once then run one after the other, and the second counts (in
    a new statement) what the first committed. Without it both could pass
    the check and leave no board; taken after the person's row, the audit
    entry's foreign key to the other person's locked row would deadlock.
    """
    Group.objects.select_for_update().get(name=Role.BESTUUR)


def _keep_a_board(*, losing: User) -> None:
    """Raise ``LastBoardMember`` unless someone other than ``losing`` can still log in as Bestuur."""
    if not selectors.board_who_can_log_in().exclude(pk=losing.pk).exists():
        raise LastBoardMember


def set_roles(*, person: User, roles: list[str], by: User) -> tuple[list[str], list[str]]:
    """Give a person exactly these roles (Django groups); returns (roles before, roles after).

    Side effects: adds and removes group memberships and writes an audit
    entry with both lists, from which the person page offers the change back.
    Nothing happens when the roles are the same. Raises ``LastBoardMember``
    (changing nothing) when the person is the last active board member who
    can log in and would lose Bestuur. Someone who gets Bestuur or Werving
    must set up two-factor login at their next page (``RequireTwoFactorMiddleware``).
    """
    after = sorted(set(roles) & set(Role.values))
    given = person
    with transaction.atomic():
        _lock_board()
        person = User.objects.select_for_update().get(pk=person.pk)
        before = sorted(set(person.groups.values_list("name", flat=True)) & set(Role.values))
        if before == after:
            return before, after
        if Role.BESTUUR in before and Role.BESTUUR not in after and person.is_active:
            _keep_a_board(losing=person)
        person.groups.remove(*Group.objects.filter(name__in=set(before) - set(after)))
        person.groups.add(*Group.objects.filter(name__in=set(after) - set(before)))
        audit.record(action="person.roles_changed", actor=by, target=person, before=before, after=after)
    _forget_roles(given)
    return before, after


def deactivate_person(*, person: User, by: User) -> None:
    """Stop a person from logging in; what they wrote, answered and did stays.

    Side effects: ``is_active`` becomes False, which ends their sessions at
    the next request (Django's backends refuse an inactive user) and leaves
    them out of reminders, digests, "who is coming" and Kamerlid updates;
    an audit entry. Raises ``LastBoardMember`` (changing nothing) when they
    are the last active board member who can log in.
    """
    with transaction.atomic():
        _lock_board()
        person = User.objects.select_for_update().get(pk=person.pk)
        if not person.is_active:
            return
        if person.has_role(Role.BESTUUR):
            _keep_a_board(losing=person)
        person.is_active = False
        person.save(update_fields=["is_active"])
        audit.record(action="person.deactivated", actor=by, target=person)


def reactivate_person(*, person: User, by: User) -> None:
    """Let a deactivated person log in again, with the roles they had.

    Side effects: ``is_active`` becomes True; an audit entry. An invitation
    that expired meanwhile stays expired: resend it if they never set a password.
    """
    with transaction.atomic():
        updated = User.objects.filter(pk=person.pk, is_active=False).update(is_active=True)
        forget_user(person.pk)  # an update() sends no signal
        if updated:
            audit.record(action="person.reactivated", actor=by, target=person)
    person.is_active = True


def resend_invitation(*, person: User, by: User) -> Invitation:
    """Send a new invitation link to someone who has not set a password yet.

    The mail names the role of their last invitation if they still have
    it, else the first role they have now (the board may have changed it
    since). Side effects: those of ``invite_person`` (the old link stops
    working). Raises ``PersonInactive`` for a deactivated account (the link
    would not work), ``NoRoleToInviteAs`` for someone without any role and
    ``AccountAlreadyActive`` for someone who already logs in.
    """
    if not person.is_active:
        raise PersonInactive
    current = [role for role in Role.values if role in person.roles]
    if not current:
        raise NoRoleToInviteAs
    last = person.invitations.order_by("-created_at", "-pk").first()
    role = last.role if last is not None and last.role in current else current[0]
    return invite_person(name=person.name, email=person.email, role=role, invited_by=by)


def withdraw_invitation(*, person: User, by: User) -> int:
    """Make a person's open invitation links stop working; returns how many there were.

    Side effects: the open invitations expire now; an account that never
    set a password is deactivated as well, so the person gets no reminders
    or mails (with their answer links) for an invitation that no longer
    stands; an audit entry. Raises ``NoOpenInvitation`` when there is none.
    """
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        count = person.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now()).update(
            expires_at=timezone.now()
        )
        if not count:
            raise NoOpenInvitation
        deactivated = person.is_active and not person.has_usable_password()
        if deactivated:
            person.is_active = False
            person.save(update_fields=["is_active"])
        audit.record(action="invitation.withdrawn", actor=by, target=person, deactivated=deactivated)
    return count


def reset_two_factor(*, person: User, by: User) -> int:
    """Remove a person's two-factor login after a lost phone; returns how many authenticators went.

    Side effects: deletes all their allauth authenticators (app, recovery
    codes); an audit entry; a mail to the person saying so. A board member
    or recruiter is sent to set up two-factor login again right after their
    next login (``RequireTwoFactorMiddleware``). Raises ``NoTwoFactor`` when
    they have none.
    """
    with transaction.atomic():
        authenticators = Authenticator.objects.filter(user=person)
        types = sorted(authenticators.values_list("type", flat=True))
        if not types:
            raise NoTwoFactor
        authenticators.delete()
        audit.record(action="person.two_factor_reset", actor=by, target=person, removed=types)
        queue_templated_mail(
            to=person.email,
            template="two_factor_reset",
            context={
                "name": person.get_short_name(),
                "by": by,
                "must_set_up": requires_two_factor(person),
                "login_url": settings.SITE_URL + reverse("account_login"),
            },
        )
    return len(types)


# --- People: the CSV import ------------------------------------------------------


@dataclass(frozen=True)
class PersonToInvite:
    name: str
    email: str
    role: str


@dataclass
class ImportResult:
    invited: list[User] = field(default_factory=list)
    # Addresses that had an account by the time the board confirmed: left as they were.
    existing: list[str] = field(default_factory=list)


def import_people(*, people: list[PersonToInvite], by: User) -> ImportResult:
    """Invite everyone in the list who has no account yet, all in one transaction.

    Side effects: per new person those of ``invite_person`` (an account, the
    role, an invitation, one invitation mail, an audit entry); one audit
    entry for the import. Addresses that already have an account, active
    or not, are left untouched and returned in ``existing``.
    """
    result = ImportResult()
    with transaction.atomic():
        taken = selectors.accounts_by_email(emails=[person.email for person in people])
        for person in people:
            if person.email.lower() in taken:
                result.existing.append(person.email.lower())
                continue
            invitation = invite_person(name=person.name, email=person.email, role=person.role, invited_by=by)
            result.invited.append(invitation.user)
        audit.record(
            action="people.imported", actor=by, invited=len(result.invited), left_untouched=len(result.existing)
        )
    return result


# --- Kamerlid updates ------------------------------------------------------------


def send_kamerlid_update(
    *, title: str, text: str, facts: dict, facts_since: datetime, facts_until: datetime, token: uuid.UUID, by: User
) -> KamerlidUpdate:
    """Send the board's update, with the facts exactly as previewed, to every active Kamerlid.

    Side effects: a ``KamerlidUpdate``; one outbox mail per active Kamerlid
    (idempotency key per update and recipient); an audit entry; all in one
    transaction. Raises ``NoKamerlidToInform`` when there is no active
    Kamerlid, ``UpdateAlreadySent`` when this preview's token was sent (a
    second click) and ``UpdateOutdated`` when another update already covers
    ``facts_since`` (sent after this preview was made); nothing is sent then.
    """
    if KamerlidUpdate.objects.filter(token=token).exists():
        raise UpdateAlreadySent
    try:
        with transaction.atomic():
            recipients = list(selectors.kamerlid_recipients())
            if not recipients:
                raise NoKamerlidToInform
            update = KamerlidUpdate.objects.create(
                title=title,
                text=text,
                facts=facts,
                facts_since=facts_since,
                facts_until=facts_until,
                sent_by=by,
                recipient_count=len(recipients),
                token=token,
            )
            # The same mail for everyone but the greeting: rendered once.
            context = selectors.kamerlid_update_mail_context(title=title, text=text, facts=facts, name="")
            for person in recipients:
                queue_templated_mail(
                    to=person.email,
                    template="kamerlid_update",
                    context={**context, "name": person.get_short_name()},
                    idempotency_key=f"kamerlid-update:{update.pk}:{person.pk}",
                )
            audit.record(action="kamerlid_update.sent", actor=by, target=update, recipients=len(recipients))
    except IntegrityError:
        # A concurrent click on the same preview, or another update for the same period.
        if KamerlidUpdate.objects.filter(token=token).exists():
            raise UpdateAlreadySent from None
        raise UpdateOutdated from None
    return update


def remind_board_of_kamerlid_update(*, now: datetime | None = None) -> int:
    """The periodic sweep: remind the board once per four weeks in which no update went to the Kamerleden.

    The gap counts from the last update, or, before the first one, from
    when the first active Kamerlid got an account (no Kamerlid, no
    reminder). After four weeks, eight weeks, ... one reminder each; after
    downtime only the latest is sent. Side effects: a
    ``KamerlidUpdateReminder`` (unique per due moment, so a second or
    concurrent sweep sends nothing) and one mail per active board member,
    in one transaction. Returns the number of mails queued.
    """
    now = now or timezone.now()
    last = selectors.last_kamerlid_update()
    if last is not None:
        start = last.sent_at
    else:
        first_mp = selectors.kamerlid_recipients().order_by("date_joined").first()
        if first_mp is None:
            return 0
        start = first_mp.date_joined
    periods = (now - start) // selectors.KAMERLID_UPDATE_INTERVAL
    if periods < 1:
        return 0
    due_at = start + periods * selectors.KAMERLID_UPDATE_INTERVAL
    board = list(selectors.board_members())
    try:
        with transaction.atomic():
            reminder = KamerlidUpdateReminder.objects.create(due_at=due_at, created_at=now)
            for person in board:
                queue_templated_mail(
                    to=person.email,
                    template="kamerlid_update_reminder",
                    context={
                        "name": person.get_short_name(),
                        "last": last,
                        "weeks": periods * 4,
                        "link": settings.SITE_URL + reverse("kamerlid_update_new"),
                    },
                    idempotency_key=f"kamerlid-update-reminder:{reminder.pk}:{person.pk}",
                )
    except IntegrityError:
        return 0  # this gap was reminded of already
    return len(board)
