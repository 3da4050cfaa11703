"""Logins and failed logins go into the audit log; a privileged login starts a short session."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import audit
from .middleware import start_privileged_session


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    audit.record(action="login", actor=user, target=user, request=request)


@receiver(user_logged_in)
def shorten_privileged_session(sender, request, user, **kwargs):
    start_privileged_session(request, user)


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs):
    # Only the address that was tried: never the password.
    audit.record(action="login.failed", request=request, email=str(credentials.get("email", ""))[:254])
