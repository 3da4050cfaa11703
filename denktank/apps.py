from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DenktankConfig(AppConfig):
    name = "denktank"
    verbose_name = _("Platform")

    def ready(self):
        from . import backends, signals  # noqa: F401
