"""Answer links in mails: signed for one person, meeting and start time."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from denktank.models import User

from .exceptions import AnswerClosed, AnswerLinkInvalid, AnswerLinkOutdated
from .models import Meeting, Rsvp

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
