from datetime import timedelta

import factory
import pytest
from django.utils import timezone

from denktank.models import Role
from sessions_app.models import Meeting

from ..factories import UserFactory


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    kind = Meeting.Kind.EXTRA
    title = factory.Sequence(lambda n: f"Extra sessie {n}")
    # Far beyond the real calendar, so sweeps in tests meet only these meetings.
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=400))
    duration_minutes = 90
    is_physical = False


@pytest.fixture
def meeting(db):
    return MeetingFactory(online_url="https://vergaderen.example.org/x")


@pytest.fixture
def physical_meeting(db):
    return MeetingFactory(is_physical=True, city="Den Haag", title="Fysieke sessie")


@pytest.fixture
def members(db):
    return [
        UserFactory(name=f"Lid {number:02d}", email=f"lid{number}@example.nl", roles=[Role.DEELNEMER])
        for number in range(1, 4)
    ]
