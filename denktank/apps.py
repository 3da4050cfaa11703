from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DenktankConfig(AppConfig):
    name = "denktank"
    verbose_name = _("Platform")

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import backends, page_cache, signals  # noqa: F401

        connection_created.connect(page_cache.install)
