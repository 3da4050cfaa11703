from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_control


class PermissionMixin:
    """Check a view permission (denied → 403) and an object permission (denied → 404).

    ``permission_required`` is checked before the view runs; anonymous
    visitors never get here because ``LoginRequiredMiddleware`` sends them to
    the login page. ``object_permission_required`` is checked in
    ``get_object``: someone else's object answers 404, so the page does not
    reveal that it exists.
    """

    permission_required: str | None = None
    object_permission_required: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if self.permission_required and not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if self.object_permission_required and not self.request.user.has_perm(self.object_permission_required, obj):
            raise Http404
        return obj


def no_store(response):
    """Personal data: no browser or proxy keeps a copy (back button, shared computers)."""
    patch_cache_control(response, private=True, no_store=True)
    return response


# ``no_store`` as a decorator of a view function (for ``method_decorator``).
no_store_page = cache_control(private=True, no_store=True)


class NoStoreMixin:
    """A page with personal data, answered with ``no_store``."""

    def dispatch(self, request, *args, **kwargs):
        return no_store(super().dispatch(request, *args, **kwargs))
