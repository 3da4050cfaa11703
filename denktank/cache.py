"""The platform's cache backends.

``FallbackRedisCache`` keeps the site working while Redis is away. The cache
holds allauth's login rate limits and used two-factor codes. When Redis
cannot be reached, each operation falls back to this process's local memory
and the outage is logged (once a minute at most): logging in keeps working,
with rate limits counted per process until Redis is back.

``FileCache`` is the embedded default: files every process of the machine
shares (web, worker, beat), compressed quickly rather than small.

``tokens`` and ``renew_token`` keep version tokens: a token names the current
state of something (the sources, the data a page shows), so whatever is
cached under it is never taken for current once the token is renewed.
"""

import logging
import pickle
import time
import zlib
from uuid import uuid4

from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


def tokens(cache, keys) -> dict[str, str]:
    """The token under each key; a key without one (evicted, never set) gets a new one, so nothing
    cached before can be taken for current. ``add()`` lets one process win when several start at once."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid4().hex, None)
            found[key] = cache.get(key) or uuid4().hex
    return found


def renew_token(cache, key) -> None:
    """Everything cached under the old token is out of date."""
    cache.set(key, uuid4().hex, None)


UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class FallbackRedisCache(RedisCache):
    warned_at = 0.0
    # Whether the last operation reached Redis, the cache every process shares (see denktank.page_cache).
    shared = True

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self.local = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})

    def _fallback(self, name, *args, **kwargs):
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as error:
            self.shared = False
            now = time.monotonic()
            if now - FallbackRedisCache.warned_at > 60:
                FallbackRedisCache.warned_at = now
                logger.warning("Redis cache unreachable (%s): using this process's memory for now", error)
            return getattr(self.local, name)(*args, **kwargs)
        self.shared = True
        return result


def _delegate(name):
    def method(self, *args, **kwargs):
        return self._fallback(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FallbackRedisCache, _name, _delegate(_name))


class FileCache(FileBasedCache):
    """Django's file cache with the fastest zlib level: a cached 300 KB page is written in about
    a quarter of the time (read back as fast), for files a little larger."""

    def _write_content(self, file, timeout, value):
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(zlib.compress(pickle.dumps(value, self.pickle_protocol), 1))

    def delete_expired(self) -> int:
        """Remove the files whose time is up, and say how many: Django removes one only when it is read
        again, and an old page's key never is."""
        removed = 0
        for name in self._list_cache_files():
            try:
                with open(name, "rb") as file:
                    removed += self._is_expired(file)
            except FileNotFoundError:
                pass  # removed meanwhile by another process
        return removed
