"""Login backends that read the logged-in person from the cache, not the database, on every request.

Every request of a logged-in person starts by loading them (Django's
``get_user``) and their roles (``User.roles``, which the middleware, the
menus and the permissions share). Both are kept together in the cache for
``USER_CACHE_SECONDS`` and forgotten as soon as the person is saved or
deleted or their groups change (``forget_user``, connected below), so a
deactivation or a changed role counts from the next request on. The cache is
shared by every process (Redis, or files for the embedded default).

The permissions of the platform are rules (``denktank.rules``); Django's own
model permissions only matter for staff and superusers (the admin site), so
for everyone else no permission tables are read.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from . import page_cache
from .models import User

USER_CACHE_SECONDS = 60


def user_key(pk) -> str:
    return f"denktank:user:{pk}"


def forget_user(pk) -> None:
    """Forget the cached person now and again when the transaction commits.

    Again at the commit: a request that read the old row in between must not
    keep it in the cache.
    """
    key = user_key(pk)
    cache.delete(key)

    def forget_after_commit():
        cache.delete(key)
        # Again for the pages: one made in between, with the old person, under the new data version.
        page_cache.changed(page_cache.DATA)

    transaction.on_commit(forget_after_commit)


class CachedUserMixin:
    def get_user(self, user_id):
        key = user_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            user.roles  # noqa: B018 (a cached property: read now, it is stored with the user)
            cache.set(key, user, USER_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None

    def _get_permissions(self, user_obj, obj, from_name):
        # Model permissions are given to no role: only the admin site's staff use them.
        if not (user_obj.is_staff or user_obj.is_superuser):
            return set()
        return super()._get_permissions(user_obj, obj, from_name)


class ModelBackend(CachedUserMixin, django_backends.ModelBackend):
    pass


class AuthenticationBackend(CachedUserMixin, allauth_backends.AuthenticationBackend):
    pass


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_saved_user(sender, instance, **kwargs):
    forget_user(instance.pk)


@receiver(m2m_changed, sender=User.groups.through)
def forget_changed_roles(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if not reverse:
        forget_user(instance.pk)
    elif action == "pre_clear":
        for pk in instance.user_set.values_list("pk", flat=True):
            forget_user(pk)
    else:
        for pk in pk_set or ():
            forget_user(pk)


@receiver(pre_delete, sender=Group)
@receiver(post_save, sender=Group)
def forget_group_members(sender, instance, **kwargs):
    # A renamed or removed group changes the roles of everyone in it.
    if instance.pk:
        for pk in instance.user_set.values_list("pk", flat=True):
            forget_user(pk)
