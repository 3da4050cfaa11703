import os

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache

from denktank.models import Role

from .factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# must be allowed to run there. Tests only: never for check --deploy.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "geheim-wachtwoord-1"


@pytest.fixture(autouse=True)
def _clear_cache():
    # Transactional tests recreate content types under new ids: forget old ones.
    ContentType.objects.clear_cache()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def board_user(db):
    return UserFactory(name="Bea Bestuur", email="bestuur@example.nl", roles=[Role.BESTUUR], totp=True)


@pytest.fixture
def recruiter_user(db):
    return UserFactory(name="Wim Werving", email="werving@example.nl", roles=[Role.WERVING], totp=True)


@pytest.fixture
def member_user(db):
    return UserFactory(name="Dirk Deelnemer", email="deelnemer@example.nl", roles=[Role.DEELNEMER])


@pytest.fixture
def mp_user(db):
    return UserFactory(name="Karin Kamerlid", email="kamerlid@example.nl", roles=[Role.KAMERLID])


@pytest.fixture
def client_for(db, client):
    """Log the test client in as a user (two-factor set up where needed)."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
