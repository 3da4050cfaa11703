"""The audit log: one helper that every app calls to say who did what."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def record(*, action: str, actor=None, target: models.Model | None = None, request=None, **data) -> AuditEntry:
    """Write one audit entry.

    ``actor`` defaults to the request's user; the client address comes from
    the request when there is one.
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
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
