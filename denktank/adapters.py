from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.sites.shortcuts import get_current_site
from django.utils.translation import gettext_lazy as _

from .outbox import queue_mail
from .rules import requires_two_factor


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Nobody signs up: the board invites members, Kamerleden and board.
        return False

    def send_mail(self, template_prefix, email, context_data):
        """Send allauth's mails (password reset, e-mail verification) through the outbox.

        Every one of them carries a login secret (a reset or confirmation link,
        a code), so each is marked sensitive.
        """
        request = context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context_data}
        message = self.render_mail(template_prefix, email, ctx)
        html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
        queue_mail(to=email, subject=message.subject, body_text=message.body, body_html=html, sensitive=True)


# Shown on allauth's "deactivate" page (on opening it and on submitting it)
# to someone whose role requires two-factor login.
TWO_FACTOR_REQUIRED_BY_ROLE = _(
    "Your role requires two-factor login, so you cannot switch it off. "
    "Lost your phone or authenticator app? Ask the board to reset your two-factor login; "
    "you then set it up again with your new phone."
)


class MFAAdapter(DefaultMFAAdapter):
    # Only a role that requires two-factor login is ever refused (see
    # can_delete_authenticator), so the refusal can say why.
    error_messages = {**DefaultMFAAdapter.error_messages, "cannot_delete_authenticator": TWO_FACTOR_REQUIRED_BY_ROLE}

    def can_delete_authenticator(self, authenticator):
        """Bestuur, Werving and staff keep at least one authenticator that is not a set of recovery codes.

        allauth asks this before it deletes any authenticator (today the TOTP
        deactivate page; recovery codes are deleted with the last other
        authenticator). Deleting one that leaves only recovery codes, or
        nothing, would switch off the two-factor login their role requires.
        """
        user = authenticator.user
        if requires_two_factor(user):
            remaining = (
                Authenticator.objects.filter(user_id=user.pk)
                .exclude(pk=authenticator.pk)
                .exclude(type=Authenticator.Type.RECOVERY_CODES)
            )
            if not remaining.exists():
                return False
        return super().can_delete_authenticator(authenticator)
