"""Links in mails, signed: answer links for one person, meeting and start time; guest links for one registration."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from denktank.models import User

from .exceptions import AnswerClosed, AnswerLinkInvalid, AnswerLinkOutdated, ConfirmLinkExpired, GuestLinkInvalid
from .models import Guest, Meeting, Rsvp

SALT = "sessions_app.answer-link"


def make_answer_token(*, meeting: Meeting, user: User) -> str:
    return signing.dumps({"m": meeting.pk, "u": user.pk, "s": meeting.starts_at.timestamp()}, salt=SALT)


def answer_links(*, meeting: Meeting, user: User) -> dict[str, str]:
    """One link per answer, each opening a confirmation page (mail scanners only look)."""
    url = settings.SITE_URL + reverse("sessions_app:answer_link", args=[make_answer_token(meeting=meeting, user=user)])
    return {answer: f"{url}?antwoord={answer}" for answer in Rsvp.Answer.values}


def read_answer_token(token: str) -> tuple[Meeting, User]:
    """Return the meeting and person of a link, or raise why it no longer works."""
    try:
        data = signing.loads(token, salt=SALT)
        meeting = Meeting.objects.get(pk=data["m"])
        user = User.objects.get(pk=data["u"], is_active=True)
        signed_start = float(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Meeting.DoesNotExist, User.DoesNotExist) as error:
        raise AnswerLinkInvalid from error
    if signed_start != meeting.starts_at.timestamp():
        raise AnswerLinkOutdated
    if meeting.is_cancelled or meeting.is_past:
        raise AnswerClosed
    return meeting, user


# --- Guests of the final presentation -----------------------------------------

CONFIRM_SALT = "sessions_app.guest-confirm"
GUEST_SALT = "sessions_app.guest"
# Long enough for a mail read after a weekend; unconfirmed registrations are
# deleted once their link has expired.
CONFIRM_MAX_AGE = timedelta(days=7)


def _guest_payload(guest: Guest) -> dict:
    return {"g": guest.pk, "k": guest.key}


def make_confirm_token(guest: Guest) -> str:
    return signing.dumps(_guest_payload(guest), salt=CONFIRM_SALT)


def make_guest_token(guest: Guest) -> str:
    # Without a timestamp: the personal link stays the same in every mail and on every page.
    return signing.Signer(salt=GUEST_SALT).sign_object(_guest_payload(guest))


def confirm_url(guest: Guest) -> str:
    return settings.SITE_URL + reverse("sessions_app:guest_confirm", args=[make_confirm_token(guest)])


def guest_url(guest: Guest) -> str:
    """The guest's own page: status, calendar file, cancelling and reacting."""
    return settings.SITE_URL + reverse("sessions_app:guest", args=[make_guest_token(guest)])


def _read(token: str, *, signer: signing.Signer) -> Guest:
    try:
        data = signer.unsign_object(token)
        guest = Guest.objects.select_related("presentation__meeting").get(pk=int(data["g"]), key=str(data["k"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError, Guest.DoesNotExist) as error:
        raise GuestLinkInvalid from error
    return guest


def read_confirm_token(token: str) -> Guest:
    """The guest of a confirmation link, or ``ConfirmLinkExpired`` / ``GuestLinkInvalid``.

    The link expires for confirming only: a guest who confirmed already and
    opens an old link is taken to their own page.
    """
    guest = _read(token, signer=signing.TimestampSigner(salt=CONFIRM_SALT))
    if guest.status == Guest.Status.UNCONFIRMED:
        try:
            signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        except signing.SignatureExpired as error:
            raise ConfirmLinkExpired from error
    return guest


def read_guest_token(token: str) -> Guest:
    """The guest of a personal link, or ``GuestLinkInvalid`` (also once cancelled and registered again, or purged)."""
    return _read(token, signer=signing.Signer(salt=GUEST_SALT))
