"""Redis away: logging in and everything else in the request path keep working."""

import logging

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from denktank.cache import FallbackRedisCache

from ..conftest import PASSWORD

# Nothing listens on port 1: every Redis call fails at once, as during an outage.
REDIS_AWAY = {
    alias: {"BACKEND": "denktank.cache.FallbackRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    for alias in ("default", "pages")
}


@pytest.fixture
def redis_away():
    FallbackRedisCache.warned_at = 0.0
    # Changing CACHES makes Django drop its cache connections (setting_changed).
    with override_settings(CACHES=REDIS_AWAY):
        yield caches["default"]


def test_cache_falls_back_to_memory_and_says_so(redis_away, caplog):
    with caplog.at_level(logging.WARNING, logger="denktank.cache"):
        assert redis_away.add("poging", 1, 60) is True
        assert redis_away.incr("poging") == 2
        assert redis_away.get("poging") == 2
        redis_away.set("code", "123456")
        assert redis_away.get_many(["code", "poging"]) == {"code": "123456", "poging": 2}

    assert isinstance(redis_away, FallbackRedisCache)
    warnings = [r.getMessage() for r in caplog.records if r.name == "denktank.cache"]
    assert len(warnings) == 1
    assert warnings[0].startswith("Redis cache unreachable")


def test_login_works_while_redis_is_away(client, member_user, redis_away):
    response = client.post(reverse("account_login"), {"login": "deelnemer@example.nl", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == member_user


def test_failed_logins_are_still_limited_while_redis_is_away(client, member_user, redis_away):
    limited = [
        "Te veel"
        in client.post(reverse("account_login"), {"login": "deelnemer@example.nl", "password": "fout"}).content.decode()
        for _ in range(7)
    ]
    # allauth allows five failures per account in five minutes, then refuses with a message.
    assert limited == [False, False, False, False, False, True, True]
