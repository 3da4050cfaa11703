import os
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.test import Client

from denktank.models import Role

from .asgi_server import asgi_server  # noqa: F401 (a fixture for every test module)
from .factories import UserFactory
from .walk import log_in as log_in_at

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# must be allowed to run there. Tests only: never for check --deploy.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "geheim-wachtwoord-1"


def load_reference_data():
    """Re-run the data migrations (each is idempotent) with the real app registry."""
    for module, function in [
        ("denktank.migrations.0002_roles_data", "create_roles"),
        ("sessions_app.migrations.0002_calendar_data", "load"),
        ("members.migrations.0002_profiles_data", "load"),
        ("documents.migrations.0002_skeleton_data", "load"),
        ("documents.migrations.0005_sources_data", "load"),
    ]:
        getattr(import_module(module), function)(django_apps, None)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush the database; bring back the rows data migrations load.

    ``serialized_rollback`` does not survive the Playwright fixtures' setup
    order, so the rows are loaded again explicitly.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        load_reference_data()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Transactional tests recreate content types under new ids: forget old ones.
    ContentType.objects.clear_cache()
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


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


def log_in(page, live_server, email, two_factor=False):
    """Log in through the login form, and its two-factor step where asked, with the tests' password."""
    log_in_at(page, live_server.url, email, PASSWORD, two_factor)


def session_cookie(user) -> dict:
    """The name and value of a session cookie of ``user``, logged in without the login form."""
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def log_in_by_cookie(context, base_url, user):
    """Give a browser context the session of ``user`` (logging in through the form is tested elsewhere)."""
    context.add_cookies([{**session_cookie(user), "url": base_url}])
