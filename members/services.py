"""Recruitment: applications, scoring, selection, decision mails and privacy."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from denktank import audit
from denktank import selectors as denktank_selectors
from denktank.exceptions import AccountAlreadyActive
from denktank.models import AuditEntry, OutgoingMail, Role, User
from denktank.outbox import queue_mail, queue_templated_mail
from denktank.services import invite_person

from .exceptions import (
    ApplicationsClosed,
    ConflictOfInterestDeclared,
    NotAllowedInStage,
    ProfileNotClaimed,
    SeatsFullError,
)
from .models import (
    SEATS,
    Application,
    ConflictOfInterest,
    MailTemplate,
    PendingDecisionMail,
    Procedure,
    ProfileScore,
    Scorecard,
    StageChange,
    TalentNote,
)

logger = logging.getLogger(__name__)

OPEN_STAGES = [
    Application.Stage.NEW,
    Application.Stage.REVIEW,
    Application.Stage.INTERVIEW,
    Application.Stage.WAITLIST,
    Application.Stage.SELECTED,
]


def procedure() -> Procedure:
    return Procedure.objects.get_or_create(pk=1)[0]


# --- Applying ----------------------------------------------------------------


def submit_application(*, data: dict, profiles, cv=None) -> Application | None:
    """Store an application and confirm it by mail.

    Side effects: creates the ``Application`` with its profiles and CV and
    queues the confirmation mail. When the address already has an open
    application, nothing is stored and that address is told an application
    exists (the page the applicant sees is the same, so it reveals nothing).
    Returns the new application, or None for a duplicate.
    """
    if not procedure().applications_open:
        raise ApplicationsClosed
    email = data["email"].strip().lower()
    try:
        with transaction.atomic():
            if Application.objects.filter(email__iexact=email, stage__in=OPEN_STAGES).exists():
                raise IntegrityError("duplicate application")
            application = Application.objects.create(**{**data, "email": email}, cv=cv or "")
            application.profiles.set(profiles)
            queue_templated_mail(to=email, template="application_received", context={"name": application.name})
    except IntegrityError:
        # Same answer on screen; the owner of the address hears it from us.
        queue_templated_mail(to=email, template="application_exists", context={"name": data["name"]})
        return None
    return application


# --- Screening ----------------------------------------------------------------


def record_view(*, application: Application, viewer: User, what: str = "application.viewed") -> None:
    """Every look at applicant data goes into the audit log."""
    audit.record(action=what, actor=viewer, target=application)


def set_membership_checked(*, application: Application, checked: bool, by: User) -> None:
    application.membership_checked = checked
    application.save(update_fields=["membership_checked"])
    audit.record(action="application.membership_checked", actor=by, target=application, checked=checked)


def change_stage(*, application: Application, stage: str, by: User) -> Application:
    """Move an applicant through the pipeline (not to selected: see ``select_applicant``).

    Side effects: updates the stage, writes a ``StageChange`` and an audit
    entry; waitlist and rejection add a decision mail that waits for a
    recruiter to confirm the batch.
    """
    if stage == Application.Stage.SELECTED:
        return select_applicant(application=application, by=by)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.stage in (Application.Stage.SELECTED, Application.Stage.LEFT) or stage == Application.Stage.LEFT:
            raise NotAllowedInStage
        _move(application, stage, by)
        PendingDecisionMail.objects.filter(application=application).delete()
        if stage in (Application.Stage.WAITLIST, Application.Stage.REJECTED):
            key = MailTemplate.Key.WAITLIST if stage == Application.Stage.WAITLIST else MailTemplate.Key.REJECTION
            PendingDecisionMail.objects.create(application=application, key=key)
    return application


def _move(application: Application, stage: str, by: User | None) -> None:
    StageChange.objects.create(application=application, from_stage=application.stage, to_stage=stage, changed_by=by)
    application.stage = stage
    application.save(update_fields=["stage"])
    audit.record(action=f"application.stage.{stage}", actor=by, target=application)


def seats_used() -> int:
    return Application.objects.filter(stage=Application.Stage.SELECTED).count()


def select_applicant(*, application: Application, by: User) -> Application:
    """Give an applicant one of the twelve seats, then their member account.

    Two steps, so that nobody waits for the slow part. The seat decision
    (``_decide_seat``) holds the procedure row lock: concurrent selections
    queue up there and the thirteenth is refused (``SeatsFullError``). The
    account and its invitation mail (``complete_selection``) follow in a
    transaction of their own, without that lock. If that second step fails,
    or the process dies between the two, the applicant is selected without an
    account: calling this again, or the ``complete_selections`` sweep,
    finishes it, once.
    Side effects: stage → selected with ``StageChange`` and audit entries;
    then those of ``complete_selection``.
    Raises ``SeatsFullError``, ``NotAllowedInStage`` or
    ``AccountAlreadyActive``, changing nothing.
    """
    application = _decide_seat(application=application, by=by)
    if application.user_id is None:
        try:
            application = complete_selection(application=application, by=by)
        except Exception:
            # The seat is taken and stays taken; the sweep creates the account
            # and sends the invitation. Failing the request now would tell the
            # recruiter the selection did not happen, which is not true.
            logger.exception("account step of selection %s failed; the sweep completes it", application.pk)
    return application


def _decide_seat(*, application: Application, by: User) -> Application:
    """Count the seats and mark the application selected, under the procedure lock.

    Only what the twelve-seat cap needs happens while the lock is held; the
    lock ends when this transaction commits.
    """
    # A selection that is already decided needs no seat and so no procedure
    # lock: a retry must not hold it while it waits for the account step
    # (which locks the application row) of a sweep running right now.
    application = Application.objects.get(pk=application.pk)
    if application.stage == Application.Stage.SELECTED:
        return application
    with transaction.atomic():
        Procedure.objects.select_for_update().get_or_create(pk=1)
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.stage == Application.Stage.SELECTED:
            return application
        if application.stage == Application.Stage.LEFT:
            raise NotAllowedInStage
        # Checked before the seat is given: an invitation would only reset this
        # person's password, so the selection is refused as a whole, as before.
        existing = denktank_selectors.active_accounts(emails=[application.email])
        if existing:
            raise AccountAlreadyActive(user=next(iter(existing.values())))
        if seats_used() >= SEATS:
            raise SeatsFullError
        PendingDecisionMail.objects.filter(application=application).delete()
        _move(application, Application.Stage.SELECTED, by)
    return application


ACCOUNT_LINKED = "application.account_linked"


def complete_selection(*, application: Application, by: User | None = None) -> Application:
    """Give a selected applicant their Deelnemer account and invitation, once.

    Runs after the seat decision, without the procedure lock. It is safe to
    call again: the application row is locked and an application that has
    (or once had) its account is left alone, so a retry, the sweep, or both at
    once create one account and queue one invitation mail. An application that
    is not (or no longer) selected is left alone too. ``by`` defaults to whoever
    selected the applicant.
    Side effects: those of ``invite_person`` (account, Deelnemer role,
    ``Invitation``, the invitation mail, an audit entry), the application is
    linked to the account and an ``application.account_linked`` audit entry is
    written. An address that started logging in with its own password after the
    decision gets the role without an invitation, which would only reset it.
    """
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(pk=application.pk).first()
        if application is None or application.stage != Application.Stage.SELECTED or application.user_id is not None:
            return application
        if _account_was_linked(application):
            # The account was made and later deleted (e.g. in the admin):
            # recreating it and inviting the person again is not this step's call.
            return application
        if by is None:
            by = _selected_by(application)
        try:
            user = invite_person(
                name=application.name, email=application.email, role=Role.DEELNEMER, invited_by=by
            ).user
        except AccountAlreadyActive as error:
            user = error.user
            user.groups.add(Group.objects.get(name=Role.DEELNEMER))
        application.user = user
        application.save(update_fields=["user"])
        audit.record(action=ACCOUNT_LINKED, actor=by, target=application, user_id=user.pk)
    return application


def _account_was_linked(application: Application) -> bool:
    return AuditEntry.objects.filter(
        action=ACCOUNT_LINKED,
        target_type=ContentType.objects.get_for_model(Application),
        target_id=str(application.pk),
    ).exists()


def _selected_by(application: Application) -> User | None:
    change = (
        application.stage_changes.filter(to_stage=Application.Stage.SELECTED)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )
    return change.changed_by if change else None


def complete_selections() -> int:
    """Finish selections whose account step never ran or failed.

    The periodic sweep behind ``select_applicant``'s second step. Each
    application is locked with ``skip_locked``, so one whose account is being
    made right now is left to that request; one failure does not stop the
    others. Side effects: those of ``complete_selection`` per application.
    Returns how many were completed.
    """
    waiting = Application.objects.filter(stage=Application.Stage.SELECTED, user__isnull=True)
    completed = 0
    for pk in list(waiting.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                application = waiting.select_for_update(skip_locked=True).filter(pk=pk).first()
                if application is None:
                    continue
                if complete_selection(application=application).user_id is not None:
                    completed += 1
        except Exception:
            logger.exception("could not complete selection %s; trying again on the next sweep", pk)
    return completed


def member_leaves(*, application: Application, by: User) -> None:
    """A selected member leaves: the seat is free again.

    Side effects: stage → left, the account loses the Deelnemer role.
    """
    with transaction.atomic():
        application = Application.objects.select_for_update(of=("self",)).select_related("user").get(pk=application.pk)
        if application.stage != Application.Stage.SELECTED:
            raise NotAllowedInStage
        _move(application, Application.Stage.LEFT, by)
        if application.user:
            application.user.groups.remove(*application.user.groups.filter(name=Role.DEELNEMER))


def pending_decision_mails():
    return PendingDecisionMail.objects.select_related("application").order_by("key", "application__name")


def confirm_decision_mails(*, by: User) -> int:
    """Send the waiting waitlist and rejection mails, from the board's templates."""
    templates = {template.key: template for template in MailTemplate.objects.all()}
    with transaction.atomic():
        pending = list(pending_decision_mails().select_for_update())
        for item in pending:
            template = templates[item.key]
            queue_mail(
                to=item.application.email,
                subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{template.subject}",
                body_text=template.body.replace("{name}", item.application.name),
                idempotency_key=f"decision:{item.key}:{item.application_id}:{item.pk}",
            )
            audit.record(action=f"application.mail.{item.key}", actor=by, target=item.application)
        PendingDecisionMail.objects.filter(pk__in=[item.pk for item in pending]).delete()
    return len(pending)


# --- Scoring -------------------------------------------------------------------


def declare_conflict(*, application: Application, recruiter: User) -> None:
    """A recruiter who knows the applicant steps aside: their scorecard goes."""
    with transaction.atomic():
        ConflictOfInterest.objects.get_or_create(application=application, recruiter=recruiter)
        Scorecard.objects.filter(application=application, recruiter=recruiter).delete()
        audit.record(action="application.conflict_declared", actor=recruiter, target=application)


def save_scorecard(
    *, application: Application, recruiter: User, recommendation: str, note: str, scores: dict[int, int]
) -> Scorecard:
    """Save a recruiter's scores (1–5 per claimed profile), recommendation and note."""
    if ConflictOfInterest.objects.filter(application=application, recruiter=recruiter).exists():
        raise ConflictOfInterestDeclared
    claimed = set(application.profiles.values_list("pk", flat=True))
    if set(scores) != claimed:
        raise ProfileNotClaimed
    with transaction.atomic():
        scorecard, _ = Scorecard.objects.update_or_create(
            application=application,
            recruiter=recruiter,
            defaults={"recommendation": recommendation, "note": note, "updated_at": timezone.now()},
        )
        for profile_id, score in scores.items():
            ProfileScore.objects.update_or_create(scorecard=scorecard, profile_id=profile_id, defaults={"score": score})
        audit.record(action="application.scored", actor=recruiter, target=application)
    return scorecard


# --- The procedure and privacy ----------------------------------------------------


def set_applications_open(*, is_open: bool, by: User) -> None:
    """Open or pause applications. Reopening a closed procedure stops its retention clock."""
    proc = procedure()
    proc.applications_open = is_open
    if is_open:
        proc.closed_at = None
    proc.save(update_fields=["applications_open", "closed_at"])
    audit.record(action="procedure.applications_open" if is_open else "procedure.applications_closed", actor=by)


def close_procedure(*, by: User, at: datetime | None = None) -> None:
    """Close the procedure: applications stop and the retention clock starts."""
    proc = procedure()
    proc.applications_open = False
    proc.closed_at = at or timezone.now()
    proc.save(update_fields=["applications_open", "closed_at"])
    audit.record(action="procedure.closed", actor=by)


RETENTION = timedelta(weeks=4)
RETENTION_WITH_CONSENT = timedelta(days=365)


def purge_due_applications(*, now: datetime | None = None) -> int:
    """Delete applicants who were not selected once their retention ends.

    Four weeks after the procedure closed, or a year with consent. Side
    effects: deletes the rows and CV files; one audit entry per deletion,
    without personal data. Returns how many were deleted.
    """
    proc = procedure()
    if proc.closed_at is None:
        return 0
    now = now or timezone.now()
    kept = [Application.Stage.SELECTED, Application.Stage.LEFT]
    due = Application.objects.exclude(stage__in=kept)
    if now < proc.closed_at + RETENTION_WITH_CONSENT:
        due = due.filter(consent_keep_one_year=False)
    if now < proc.closed_at + RETENTION:
        return 0
    count = 0
    for application in due:
        _erase(application, by=None, action="application.purged")
        count += 1
    return count


def _erase(application: Application, *, by: User | None, action: str) -> None:
    pk, cv = application.pk, application.cv
    with transaction.atomic():
        # Earlier audit entries named the applicant: keep what happened, drop the name.
        content_type = ContentType.objects.get_for_model(Application)
        AuditEntry.objects.filter(target_type=content_type, target_id=str(pk)).update(target_repr="")
        # The mails we sent them are personal data too.
        OutgoingMail.objects.filter(to__iexact=application.email).exclude(
            status__in=[OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING]
        ).delete()
        application.delete()
        audit.record(action=action, actor=by, application_id=pk)
    if cv:
        cv.storage.delete(cv.name)


def erase_application(*, application: Application, by: User) -> None:
    """Erase an applicant on request (AVG art. 17)."""
    if application.stage == Application.Stage.SELECTED:
        raise NotAllowedInStage
    _erase(application, by=by, action="application.erased")


def export_application(*, application: Application, by: User) -> dict:
    """Everything stored about one applicant, for an access request (AVG art. 15)."""
    audit.record(action="application.exported", actor=by, target=application)
    return {
        "name": application.name,
        "email": application.email,
        "phone": application.phone,
        "date_of_birth": application.date_of_birth.isoformat(),
        "city": application.city,
        "province": application.get_province_display(),
        "membership_number": application.membership_number,
        "membership_checked": application.membership_checked,
        "profiles": [profile.name for profile in application.profiles.all()],
        "occupation": application.occupation,
        "motivation": application.motivation,
        "cv_uploaded": bool(application.cv),
        "channel": application.get_channel_display(),
        "gender": application.get_gender_display(),
        "consent_political_data": application.consent_political_data,
        "consent_privacy": application.consent_privacy,
        "consent_keep_one_year": application.consent_keep_one_year,
        "stage": application.get_stage_display(),
        "applied_at": application.created_at.isoformat(),
        "stage_history": [
            {"from": change.from_stage, "to": change.to_stage, "at": change.changed_at.isoformat()}
            for change in application.stage_changes.all()
        ],
        "scorecards": [
            {
                "recommendation": card.get_recommendation_display(),
                "note": card.note,
                "scores": {score.profile.name: score.score for score in card.scores.select_related("profile")},
            }
            for card in application.scorecards.all()
        ],
    }


def add_talent_note(*, member: User, author: User, text: str) -> TalentNote:
    note = TalentNote.objects.create(member=member, author=author, text=text.strip())
    audit.record(action="talent_note.added", actor=author, target=member)
    return note
