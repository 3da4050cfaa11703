"""HTTP plumbing shared by the apps."""

from django.core.cache import cache
from django.shortcuts import render

from .audit import client_ip


def over_rate_limit(request, *, scope: str, limit: int, window: int) -> bool:
    """Count this request against ``limit`` per ``window`` seconds for its client and ``scope``.

    Behind the reverse proxy REMOTE_ADDR is the proxy's for everyone: the
    client address is found the way the audit log and allauth find it. Each
    public form has its own scope, so one form's visitors never use up another's.
    """
    key = f"rate:{scope}:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, window)
    return cache.incr(key) > limit


def link_invalid(request, error, *, back_url: str, back_label: str):
    """A link from a mail that no longer works (410): the reason, and where to go instead."""
    context = {"error": error.message, "back_url": back_url, "back_label": back_label}
    return render(request, "link_invalid.html", context, status=410)
