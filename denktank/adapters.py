from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.sites.shortcuts import get_current_site

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


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator):
        # Bestuur and Werving must keep their authenticator app.
        if authenticator.type == Authenticator.Type.TOTP and requires_two_factor(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
