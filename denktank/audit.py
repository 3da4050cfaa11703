"""The audit log: one helper that every app calls to say who did what."""

from allauth.account.adapter import get_adapter
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models

from .models import AuditEntry


def record(*, action: str, actor=None, target: models.Model | None = None, request=None, **data) -> AuditEntry:
    """Write one audit entry.

    ``actor`` defaults to the request's user; the client address comes from
    the request when there is one, found the way allauth finds it for its
    rate limits (behind ``ALLAUTH_TRUSTED_PROXY_COUNT`` proxies).
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        data=data,
        ip_address=client_ip(request) if request is not None else None,
    )


def client_ip(request) -> str | None:
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None
