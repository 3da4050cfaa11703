"""Read pages served again from the cache until the data they show changes.

A page is cached per person, browser (its CSRF secret, which the page's forms
carry), language and address, under the *data versions* of what it shows and
the current minute:

- A data version is a token that changes after every committed write to the
  database. Writes are noticed where SQL is executed (``note_write``, an
  execute wrapper on every connection), so a view, a Celery task, a
  management command, ``QuerySet.update()`` and raw SQL all count; nothing
  has to remember to invalidate anything.
- Writes fall into areas, so that looking at an applicant (which writes an
  audit entry) or typing in the live editor does not throw away every
  cached page. A page names the areas it shows (``cache_areas``).
- The minute in the key keeps times on the page ("in 5 minutes",
  "expired") right, and is the longest any cached page can outlive a write
  it could not notice (a write while the shared cache was unreachable).

The versions are read as a GET request comes in (``VersionsMiddleware``),
before anything reads data: a write committed while the page is made then
leaves it under the old version, which no one asks for again.

Nothing is served from the cache or stored in it for a request with messages
to show, for an htmx or JSON request, for a browser without a CSRF cookie,
while this request's own connection has uncommitted writes, or while the
cache is unreachable; only 200 HTML answers are kept. Pages live in a cache
of their own (``CACHES["pages"]``).
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from functools import wraps

from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils.translation import get_language

from .cache import renew_token, tokens

logger = logging.getLogger(__name__)

DATA, AUDIT, LIVE = "data", "audit", "live"
AREAS = (DATA, AUDIT, LIVE)
# Tables outside the DATA area; django_session is in none (no page shows a session).
AREA_OF_TABLE = {
    "denktank_auditentry": AUDIT,
    "documents_liveupdate": LIVE,
    "documents_livetext": LIVE,
    "django_session": None,
}
# A cached page is for the minute it was made in: a little longer is enough.
PAGE_SECONDS = 120

WRITE = re.compile(r'\s*(?:(?P<insert>INSERT\s+INTO)|UPDATE|DELETE\s+FROM)\s+"?(?P<table>\w+)"?', re.IGNORECASE)
READ = re.compile(r"\s*(?:SELECT|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|PRAGMA|SET|SHOW|EXPLAIN)\b", re.IGNORECASE)


def store():
    """The cache the pages and their versions live in: one of their own, so pages never crowd out
    rate limits, used two-factor codes or sessions."""
    return caches["pages"]


def _version_key(area: str) -> str:
    return f"version:{area}"


def versions(areas=AREAS) -> dict[str, str]:
    """The current version token of each area."""
    found = tokens(store(), [_version_key(area) for area in areas])
    return {area: found[_version_key(area)] for area in areas}


def changed(area: str) -> None:
    """Every page cached under this area's current version is out of date."""
    try:
        renew_token(store(), _version_key(area))
    except Exception:
        # The write stands; pages kept before it can be served until the minute ends.
        logger.exception("Could not record a change of %s in the page cache", area)


@dataclass(frozen=True)
class Changed:
    """An on-commit callback: the area changes when the transaction that wrote to it commits."""

    area: str

    def __call__(self):
        changed(self.area)


def note_write(execute, sql, params, many, context):
    """The execute wrapper on every connection: a committed write changes its area's version."""
    result = execute(sql, params, many, context)
    write = WRITE.match(sql)
    if write:
        # An UPDATE or DELETE that found nothing (a sweep with nothing to do) changed nothing.
        # An INSERT always counts: with RETURNING, SQLite counts its rows only as they are read.
        if not write["insert"] and context["cursor"].rowcount == 0:
            return result
        area = AREA_OF_TABLE.get(write["table"], DATA)
    elif READ.match(sql):
        area = None
    else:
        area = DATA  # DDL, raw SQL: taken as a change of anything
    if area is not None:
        connection = context["connection"]
        if not connection.in_atomic_block:
            changed(area)
        elif Changed(area) not in _pending(connection):
            # Robust: the other on-commit work (mails, forgetting cached people) runs whatever happens here.
            transaction.on_commit(Changed(area), using=connection.alias, robust=True)
    return result


def sweep() -> int:
    """Remove kept pages whose time is up from a file cache (Redis expires them itself); how many."""
    pages = store()
    return pages.delete_expired() if hasattr(pages, "delete_expired") else 0


def install(sender, connection, **kwargs):
    """Connected to ``connection_created``: note the writes of every new connection."""
    if note_write not in connection.execute_wrappers:
        connection.execute_wrappers.append(note_write)


def _pending(connection) -> list:
    return [callback for _savepoints, callback, _robust in connection.run_on_commit]


def _own_writes_pending() -> bool:
    """This request wrote in a transaction that has not committed: its version is not out yet."""
    connection = transaction.get_connection()
    return connection.in_atomic_block and any(isinstance(callback, Changed) for callback in _pending(connection))


class VersionsMiddleware:
    """Reads the data versions when a GET request comes in, before the view or anything else reads data.

    Read later, a write committed in between would give the new version to a
    page made from the old data.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET":
            try:
                current = versions()
            except Exception:
                logger.exception("The page cache cannot be read: pages are rendered afresh")
            else:
                # Only from the shared cache: other processes would not see this process's own changes.
                if getattr(store(), "shared", True):
                    request.data_versions = current
        return self.get_response(request)


def page_key(request, areas) -> str | None:
    """The key of this request's page, or None when it must be rendered afresh and not kept."""
    secret = request.META.get("CSRF_COOKIE")
    if (
        # Versions are read for GET requests only, and only from the shared cache.
        not getattr(request, "data_versions", None)
        or not secret
        or getattr(request, "htmx", False)
        or not request.accepts("text/html")
        or len(getattr(request, "_messages", ())) > 0
        or _own_writes_pending()
    ):
        return None
    current = [request.data_versions[area] for area in areas]
    parts = (current, int(time.time() // 60), request.user.pk, secret, get_language(), request.build_absolute_uri())
    return "page:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def serve(request, areas, render):
    """The page from the cache, or ``render()`` kept there when it is a plain 200 HTML page."""
    key = page_key(request, areas)
    kept = None
    if key is not None:
        try:
            kept = store().get(key)
        except Exception:
            logger.exception("The page cache cannot be read: this page is rendered afresh")
            key = None
    if kept is not None:
        status, content, headers = kept
        return HttpResponse(content, status=status, headers=headers)
    response = render()
    if key is None:
        return response

    def keep(response):
        html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 200 and html and not response.streaming and not response.cookies:
            try:
                store().set(key, (response.status_code, response.content, dict(response.items())), PAGE_SECONDS)
            except Exception:
                logger.exception("The page cache cannot be written: this page is not kept")

    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(keep)
    else:
        keep(response)
    return response


def cached_page(view=None, *, areas=(DATA,), cacheable=None):
    """A view function's GET answers, cached as described above; ``cacheable(request)`` may refuse one."""

    def decorate(view):
        @wraps(view)
        def page(request, *args, **kwargs):
            if cacheable is not None and not cacheable(request):
                return view(request, *args, **kwargs)
            return serve(request, areas, lambda: view(request, *args, **kwargs))

        return page

    return decorate(view) if view is not None else decorate


class CachedPageMixin:
    """A class-based read page whose GET answers are cached as described above.

    ``cache_areas`` names the areas the page shows; a view returns False from
    ``page_cacheable()`` for a request whose page depends on more than the
    key holds (something in its session).
    """

    cache_areas = (DATA,)

    def page_cacheable(self) -> bool:
        return True

    def get(self, request, *args, **kwargs):
        render = super().get
        if not self.page_cacheable():
            return render(request, *args, **kwargs)
        return serve(request, self.cache_areas, lambda: render(request, *args, **kwargs))
