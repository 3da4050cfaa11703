"""The final presentation's public side: the real final meeting from the calendar data, guests and recommendations."""

from datetime import datetime, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from documents.models import Recommendation
from sessions_app import services
from sessions_app.models import Guest, Meeting, Presentation

GUEST_NAME = "Gerda Gast"


@pytest.fixture
def final_meeting(db):
    """The Eindpresentatie of the calendar, kept in the future whatever day the tests run."""
    meeting = Meeting.objects.get(kind=Meeting.Kind.FINAL)
    if meeting.starts_at <= timezone.now() + timedelta(days=7):
        # Three months ahead at the same wall-clock time (19:30 in The Hague).
        later = timezone.localdate() + timedelta(days=90)
        meeting.starts_at = timezone.make_aware(datetime.combine(later, timezone.localtime(meeting.starts_at).time()))
        meeting.save()
    return meeting


@pytest.fixture
def presentation(final_meeting):
    return Presentation.objects.create(meeting=final_meeting, registration_open=True, capacity=3, reactions_open=True)


@pytest.fixture
def recommendations(db):
    return [
        Recommendation.objects.create(position=number, text=text)
        for number, text in enumerate(
            [
                "Vervang de toeslagen stapsgewijs door een verzilverbare heffingskorting.",
                "Maak omscholing een recht met een inkomensbrug.",
            ],
            start=1,
        )
    ]


def register(presentation, email="gerda@example.org", name=GUEST_NAME, **extra) -> Guest | None:
    data = {"is_party_member": True, "organisation": "Gemeente Delft", **extra}
    return services.register_guest(presentation=presentation, name=name, email=email, **data)


def confirmed(presentation, email="gerda@example.org", name=GUEST_NAME) -> Guest:
    return services.confirm_guest(guest=register(presentation, email=email, name=name))


@pytest.fixture
def guest(presentation) -> Guest:
    """A guest with a place."""
    return confirmed(presentation)


class SignedLongAgo(signing.TimestampSigner):
    """Signs as if eight days ago: past the week a confirmation link lasts."""

    def timestamp(self):
        return signing.b62_encode(int(timezone.now().timestamp()) - 8 * 24 * 3600)
