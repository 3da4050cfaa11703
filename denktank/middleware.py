import time

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

from .rules import requires_two_factor

# Pages someone without two-factor may still reach: setting it up, leaving
# and switching language. Matched on the full view name, so a page of the
# same name in another app's namespace is not exempt (allauth's names have
# no namespace).
EXEMPT_VIEW_NAMES = {
    "mfa_activate_totp",
    "mfa_reauthenticate",
    "account_reauthenticate",
    "account_logout",
    "set_language",
}


class RequireTwoFactorMiddleware:
    """Send Bestuur and Werving to set up two-factor login before anything else.

    allauth offers two-factor login but has no switch to require it per role.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or request.resolver_match.view_name in EXEMPT_VIEW_NAMES:
            return None
        if requires_two_factor(user) and not _two_factor_set_up(request, user):
            messages.warning(
                request, _("Your role gives access to personal data. Set up two-factor login before you continue.")
            )
            return redirect("mfa_activate_totp")
        return None


# Session key holding the id of the user whose two-factor login was found set up.
TWO_FACTOR_SEEN_KEY = "denktank_two_factor_seen"


def _two_factor_set_up(request, user) -> bool:
    """Whether the user has two-factor login, looked up once per session.

    Once found, the answer is kept in the session (for this user only), so
    later requests read no authenticator. Bestuur and Werving cannot switch it
    off; if the board takes it away, the next login looks again.
    """
    if request.session.get(TWO_FACTOR_SEEN_KEY) == user.pk:
        return True
    if not is_mfa_enabled(user):
        return False
    request.session[TWO_FACTOR_SEEN_KEY] = user.pk
    return True


def privileged_session_valid(session, user) -> bool:
    """Whether a session of someone who must use two-factor login still counts: set up, and not idled out.

    For connections that carry a session but are no page request (the live
    editor's socket): the same rules as ``RequireTwoFactorMiddleware`` and
    ``PrivilegedSessionMiddleware``, read without writing the session.
    """
    seen = session is not None and session.get(TWO_FACTOR_SEEN_KEY) == user.pk
    return (seen or is_mfa_enabled(user)) and not _idled_out(session, clock())


def _idled_out(session, now: float) -> bool:
    last = session.get(LAST_ACTIVITY_KEY) if session is not None else None
    return last is not None and now - last > settings.PRIVILEGED_IDLE_TIMEOUT


class DutchFirstLocaleMiddleware(LocaleMiddleware):
    """Speak Dutch unless the visitor picked another language with the switch.

    The browser's Accept-Language is ignored on purpose: the think tank
    works in Dutch, also for people whose browser is set to English.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# Session key holding the time (seconds since the epoch) of the last request.
LAST_ACTIVITY_KEY = "denktank_last_activity"
# The stored time is refreshed at most this often, so a busy page does not
# write the session on every request; the timeout is that much less exact.
ACTIVITY_RESOLUTION_SECONDS = 60


def clock() -> float:
    """The current time; a function of its own so tests can move it."""
    return time.time()


class PrivilegedSessionMiddleware:
    """Short sessions for the roles that see personal data.

    Bestuur, Werving and staff (the roles that must use two-factor login)
    get no long-lived "remember me" session: their session cookie ends when
    the browser closes, and after ``PRIVILEGED_IDLE_TIMEOUT`` seconds without
    a request the next request logs them out and sends them to the login
    page. Members and Kamerleden keep the normal session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = clock()
        privileged_before = _is_privileged(request.user)
        if privileged_before and _idled_out(request.session, now):
            return self._log_out(request)
        response = self.get_response(request)
        # Checked after the view as well: the login itself happens in a view
        # (which may set a "remember me" expiry after the login signal), and
        # the response that logs someone in must carry the short-lived cookie.
        if _is_privileged(request.user):
            last = request.session.get(LAST_ACTIVITY_KEY)
            if not privileged_before or last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = int(now)
            if not request.session.get_expire_at_browser_close():
                request.session.set_expiry(0)
        return response

    def _log_out(self, request):
        path = request.get_full_path()
        logout(request)
        minutes = settings.PRIVILEGED_IDLE_TIMEOUT // 60
        messages.info(
            request,
            ngettext(
                "You were logged out after %(minutes)d minute without activity. Log in again to continue.",
                "You were logged out after %(minutes)d minutes without activity. Log in again to continue.",
                minutes,
            )
            % {"minutes": minutes},
        )
        if getattr(request, "htmx", False):
            # A partial page must not get the login page swapped into it:
            # htmx loads the login page as a whole instead.
            return HttpResponseClientRedirect(redirect_to_login(path).url)
        return redirect_to_login(path)


def start_privileged_session(request, user) -> None:
    """At login: a privileged session ends with the browser and starts its idle clock now.

    Connected to ``user_logged_in``, so the session is right from the login
    on and the first page after it does not have to write the session again.
    """
    if request is None or not hasattr(request, "session"):
        return
    # A login looks at the two-factor login afresh (the board may have reset
    # it), here rather than on the first page, which then writes no session.
    request.session.pop(TWO_FACTOR_SEEN_KEY, None)
    if _is_privileged(user):
        request.session[LAST_ACTIVITY_KEY] = int(clock())
        request.session.set_expiry(0)
        _two_factor_set_up(request, user)


def _is_privileged(user) -> bool:
    return user.is_authenticated and requires_two_factor(user)
