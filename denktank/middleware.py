from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

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
        if requires_two_factor(user) and not is_mfa_enabled(user):
            messages.warning(
                request, _("Your role gives access to personal data. Set up two-factor login before you continue.")
            )
            return redirect("mfa_activate_totp")
        return None


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
