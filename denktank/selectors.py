from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, Count, Exists, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.text import Truncator

from documents import selectors as documents_selectors
from documents.models import Section
from sessions_app import selectors as sessions_selectors

from . import outbox, rules
from .markdown import render_markdown
from .models import BEGINNING, AuditEntry, Invitation, KamerlidUpdate, OutgoingMail, Role, User

# Mails cut off by one outage started sending within seconds of each other:
# the review groups them by the ten minutes in which their sending started.
UNKNOWN_WINDOW = timedelta(minutes=10)


def active_accounts(*, emails: list[str]) -> dict[str, User]:
    """The accounts among these addresses that are in use: active, with a password set.

    Keyed by lower-case e-mail address, matched without regard to case, as
    ``accounts_by_email``. An account that never set a password (an
    invitation not yet accepted) or that was deactivated is not in use.
    """
    accounts = accounts_by_email(emails=emails)
    return {address: user for address, user in accounts.items() if user.is_active and user.has_usable_password()}


def recent_invitations(limit: int = 20):
    return Invitation.objects.select_related("user", "invited_by")[:limit]


def dashboard_context(*, user: User) -> dict:
    """What the home dashboard shows, by role."""
    context = {"role_labels": Role.labels_of(user.roles)}
    if rules.is_mp(user) or rules.is_board(user):
        context["kamerlid_updates"] = list(kamerlid_updates()[:3])
    if rules.is_board(user):
        context["kamerlid_count"] = kamerlid_recipients().count()
        context["outbox_problems"] = OutgoingMail.objects.filter(
            status__in=[OutgoingMail.Status.FAILED, OutgoingMail.Status.UNKNOWN]
        ).count()
        context["open_invitations"] = Invitation.objects.filter(
            accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
        counts = dict(
            Group.objects.filter(name__in=Role.values)
            .annotate(count=Count("user", filter=Q(user__is_active=True)))
            .values_list("name", "count")
        )
        context["people_by_role"] = [(role.value, role.label, counts.get(role.value, 0)) for role in Role]
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


# --- People ------------------------------------------------------------------------

# The filters of the people list: (value, label) pairs are built in the form.
ACTIVE = "active"
INACTIVE = "inactive"


def people(*, role: str = "", search: str = "", status: str = ""):
    """Every account with what the people list shows, in a fixed number of queries.

    Annotated with ``two_factor`` (an authenticator other than recovery
    codes), and the newest invitation's ``invitation_status``: "accepted",
    "open", "expired", or "" for someone never invited (an account made in
    the admin or the demo). Roles come from the prefetched ``groups``.
    """
    newest_invitation = Invitation.objects.filter(user=OuterRef("pk")).order_by("-created_at", "-pk")
    queryset = (
        User.objects.annotate(
            two_factor=Exists(
                Authenticator.objects.filter(user=OuterRef("pk")).exclude(type=Authenticator.Type.RECOVERY_CODES)
            ),
            invitation_accepted_at=Subquery(newest_invitation.values("accepted_at")[:1]),
            invitation_expires_at=Subquery(newest_invitation.values("expires_at")[:1]),
        )
        .annotate(
            invitation_status=Case(
                When(invitation_accepted_at__isnull=False, then=Value("accepted")),
                When(invitation_expires_at__gt=timezone.now(), then=Value("open")),
                When(invitation_expires_at__isnull=False, then=Value("expired")),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
        .order_by(Lower("name"), "pk")
    )
    if role in Role.values:
        queryset = queryset.filter(groups__name=role)
    if status == ACTIVE:
        queryset = queryset.filter(is_active=True)
    elif status == INACTIVE:
        queryset = queryset.filter(is_active=False)
    for word in search.split():
        queryset = queryset.filter(Q(name__icontains=word) | Q(email__icontains=word))
    return queryset


def person(pk: int) -> User:
    """One account with the same annotations as the list; raises ``User.DoesNotExist``."""
    return people().get(pk=pk)


def person_history(person: User, limit: int = 30):
    """The audit entries about this person (invitations, roles, logins), newest first."""
    return AuditEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(User), target_id=str(person.pk)
    ).select_related("actor")[:limit]


def role_change_to_undo(person: User) -> AuditEntry | None:
    """The last role change of this person, if their roles are still what it left: the board can change them back."""
    entry = (
        AuditEntry.objects.filter(
            action="person.roles_changed",
            target_type=ContentType.objects.get_for_model(User),
            target_id=str(person.pk),
        )
        .select_related("actor")
        .first()
    )
    current = sorted(group.name for group in person.groups.all() if group.name in Role.values)
    # Back to no role at all is not a role change (the form needs one): deactivation is for that.
    if entry is None or entry.data.get("after") != current or not entry.data.get("before"):
        return None
    return entry


def board_who_can_log_in():
    """Active board members with a password: who can still run the platform."""
    return (
        User.objects.active_with_role(Role.BESTUUR)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(password="")
    )


def board_members():
    """Everyone the board's own mails go to: the active board members."""
    return User.objects.active_with_role(Role.BESTUUR)


def accounts_by_email(*, emails: list[str]) -> dict[str, User]:
    """Every account among these addresses, active or not, keyed by lower-case address; groups prefetched."""
    if not emails:
        return {}
    users = (
        User.objects.annotate(address=Lower("email"))
        .filter(address__in=[email.lower() for email in emails])
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
    )
    return {user.address: user for user in users}


# --- Kamerlid updates ---------------------------------------------------------------

# After this long without an update, the board is reminded (and again after as long).
KAMERLID_UPDATE_INTERVAL = timedelta(weeks=4)
# How many of the coming meetings an update names.
UPCOMING_MEETINGS = 3
# A recommendation in an update is a line, not the whole text: the report has the rest.
RECOMMENDATION_CHARS = 300


def kamerlid_recipients():
    """Who receives a Kamerlid update: every active Kamerlid."""
    return User.objects.active_with_role(Role.KAMERLID)


def kamerlid_updates():
    return KamerlidUpdate.objects.select_related("sent_by")


def last_kamerlid_update() -> KamerlidUpdate | None:
    return KamerlidUpdate.objects.order_by("-sent_at", "-pk").first()


def next_facts_since() -> datetime:
    """Where the next update's facts start: where the last one's ended, or the beginning."""
    last = KamerlidUpdate.objects.order_by("-facts_until", "-pk").first()
    return last.facts_until if last else BEGINNING


def _iso(moment: datetime) -> str:
    # Stored in UTC, whatever zone the moment came in: the same facts give the same text.
    return moment.astimezone(UTC).isoformat()


def kamerlid_update_facts(*, since: datetime, until: datetime) -> dict:
    """The facts an update adds, as a Kamerlid may see them, as plain data (JSON).

    - ``sections``: sections that became final after ``since`` (every final
      section for the first update) and are final now, numbered as in the
      report; ``readable`` says whether the Kamerlid may open it (shared).
    - ``meetings``: the next few scheduled meetings after ``until``.
    - ``recommendations``: those the Kamerlid may read, shortened.
    - ``minutes``: the meeting whose minutes were published last (published
      minutes are for members and Kamerleden), or None.

    Names and places are taken in Dutch, the language of the mail. The data
    is stored with the update, so it reads later as it was sent.
    """
    # Any active Kamerlid sees what every Kamerlid sees; without one, an
    # anonymous viewer sees no more than a Kamerlid would.
    mp = kamerlid_recipients().first()
    viewer = mp or AnonymousUser()
    with translation.override("nl"):
        if since <= BEGINNING:
            became_final = None
        else:
            became_final = set(
                AuditEntry.objects.filter(
                    action=f"section.status.{Section.Status.FINAL}", created_at__gt=since, created_at__lte=until
                ).values_list("target_id", flat=True)
            )
        sections = [
            {"number": number, "title": section.title, "pk": section.pk, "readable": readable}
            for number, section, _depth, readable in documents_selectors.numbered(
                documents_selectors.section_tree(user=viewer)
            )
            if section.status == Section.Status.FINAL and (became_final is None or str(section.pk) in became_final)
        ]
        upcoming = sessions_selectors.upcoming_meetings(until)[:UPCOMING_MEETINGS]
        minutes = sessions_selectors.latest_published_minutes()
        recommendations = [
            {"text": Truncator(" ".join(item.text.split())).chars(RECOMMENDATION_CHARS)}
            for item in documents_selectors.visible_recommendations(viewer)
        ]
        return {
            "since": None if since <= BEGINNING else _iso(since),
            "until": _iso(until),
            "sections": sections,
            "meetings": [
                {
                    "pk": meeting.pk,
                    "title": meeting.title,
                    "starts_at": _iso(meeting.starts_at),
                    "place": str(meeting.place),
                }
                for meeting in upcoming
            ],
            "recommendations": recommendations,
            "minutes": None
            if minutes is None
            else {
                "pk": minutes.pk,
                "title": minutes.title,
                "starts_at": _iso(minutes.starts_at),
                "published_at": _iso(minutes.minutes_published_at),
            },
        }


def facts_for_display(facts: dict) -> dict:
    """Stored facts with times as datetimes and absolute links, for the mail and the pages."""
    site = settings.SITE_URL
    minutes = facts.get("minutes")
    return {
        "since": parse_datetime(facts["since"]) if facts.get("since") else None,
        "until": parse_datetime(facts["until"]) if facts.get("until") else None,
        "sections": [
            {**section, "url": site + reverse("documents:section", kwargs={"pk": section["pk"]})}
            for section in facts.get("sections", [])
        ],
        "meetings": [
            {
                **meeting,
                "starts_at": parse_datetime(meeting["starts_at"]),
                "url": site + reverse("sessions_app:detail", kwargs={"pk": meeting["pk"]}),
            }
            for meeting in facts.get("meetings", [])
        ],
        "recommendations": facts.get("recommendations", []),
        "recommendations_url": site + reverse("documents:recommendations"),
        "minutes": None
        if not minutes
        else {
            **minutes,
            "starts_at": parse_datetime(minutes["starts_at"]),
            "published_at": parse_datetime(minutes["published_at"]),
            "url": site + reverse("sessions_app:detail", kwargs={"pk": minutes["pk"]}),
        },
    }


def kamerlid_update_mail_context(*, title: str, text: str, facts: dict, name: str) -> dict:
    """What the update mail template gets: the board's text rendered, the facts ready to show."""
    return {
        "name": name,
        "title": title,
        "text": text,
        "text_html": render_markdown(text),
        "facts": facts_for_display(facts),
        "updates_url": settings.SITE_URL + reverse("kamerlid_updates"),
    }
