import pytest

from denktank.models import Role
from documents import services
from documents.models import Section

from ..factories import UserFactory

FOUR = "Eerste alinea.\n\nTweede alinea.\n\nDerde alinea.\n\nVierde alinea."


@pytest.fixture
def writers(db):
    return [
        UserFactory(name="Schrijver A", email="a@example.nl", roles=[Role.DEELNEMER]),
        UserFactory(name="Schrijver B", email="b@example.nl", roles=[Role.DEELNEMER]),
    ]


@pytest.fixture
def section(writers):
    section = Section.objects.get(title="Inleiding")
    section.owners.set(writers)
    services.save_revision(section=section, author=writers[0], text=FOUR, base_id=None)
    section.refresh_from_db()
    return section
