from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from . import outbox, selectors, services
from .exceptions import AccountAlreadyActive, DomainError
from .forms import BulkResendForm, InviteForm, SetPasswordForm
from .mixins import PermissionMixin
from .models import AuditEntry, OutgoingMail


@method_decorator(login_not_required, name="dispatch")
class HomeView(TemplateView):
    """The public page for visitors, a dashboard per role for everyone else."""

    def get_template_names(self):
        return ["denktank/dashboard.html" if self.request.user.is_authenticated else "denktank/public.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_authenticated:
            context.update(selectors.dashboard_context(user=self.request.user))
        return context


class InviteView(PermissionMixin, FormView):
    permission_required = "denktank.invite_people"
    template_name = "denktank/invite.html"
    form_class = InviteForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = selectors.recent_invitations()
        return context

    def form_valid(self, form):
        try:
            invitations = services.invite_people(
                invitees=form.cleaned_data["invitees"], role=form.cleaned_data["role"], invited_by=self.request.user
            )
        except AccountAlreadyActive as error:
            # The form checked this already; someone set a password in between.
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            ngettext("One invitation is on its way.", "%(count)d invitations are on their way.", len(invitations))
            % {"count": len(invitations)},
        )
        return redirect("invite")


@method_decorator(login_not_required, name="dispatch")
class AcceptInvitationView(View):
    template_name = "denktank/invitation_accept.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            self.invitation = services.get_invitation(token=kwargs["token"])
        except DomainError as error:
            return render(request, "denktank/invitation_invalid.html", {"error": error.message}, status=410)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token):
        return self._render(SetPasswordForm(user=self.invitation.user))

    def post(self, request, token):
        form = SetPasswordForm(request.POST, user=self.invitation.user)
        if not form.is_valid():
            return self._render(form)
        try:
            user = services.accept_invitation(token=token, password=form.cleaned_data["password1"])
        except DomainError as error:
            return render(request, "denktank/invitation_invalid.html", {"error": error.message}, status=410)
        if is_mfa_enabled(user):
            # A link in a mail must not bypass two-factor login: whoever holds
            # a re-invitation of someone with an authenticator still has to
            # pass the normal login with a code.
            messages.success(
                request, _("Your password is set. Log in with your e-mail address, password and two-factor code.")
            )
            return redirect("account_login")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s. Your password is set.") % {"name": user.get_short_name()})
        return redirect("home")

    def _render(self, form):
        return render(self.request, self.template_name, {"form": form, "invitation": self.invitation})


class OutboxView(PermissionMixin, ListView):
    permission_required = "denktank.view_outbox"
    template_name = "denktank/outbox.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = OutgoingMail.objects.only(
            "to", "subject", "status", "attempts", "last_error", "created_at", "sent_at", "resent_from_id", "sensitive"
        )
        status = self.request.GET.get("status")
        if status in OutgoingMail.Status.values:
            queryset = queryset.filter(status=status)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = OutgoingMail.objects.aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in OutgoingMail.Status.values}
        )
        context["status_counts"] = [(status, label, counts[status]) for status, label in OutgoingMail.Status.choices]
        context["current_status"] = self.request.GET.get("status", "")
        context["unknown_to_review"] = selectors.unknown_mails_awaiting_decision().count()
        return context


class UnknownMailsView(PermissionMixin, TemplateView):
    """Mails whose fate is unknown, grouped by when their sending started and why it broke off."""

    permission_required = "denktank.view_outbox"
    template_name = "denktank/outbox_unknown.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = selectors.unknown_mail_groups()
        context["window_minutes"] = int(selectors.UNKNOWN_WINDOW.total_seconds() // 60)
        return context


class BulkResendView(PermissionMixin, View):
    """Confirm, then send a new copy of each selected mail whose fate is unknown.

    The review page posts its selection here (a group can hold hundreds of
    mails: too many for a URL) and gets the confirmation page; only the
    confirmation's own POST, which carries ``confirmed``, sends anything.
    """

    permission_required = "denktank.resend_mail"
    template_name = "denktank/outbox_unknown_confirm.html"

    def get(self, request):
        return self._render(BulkResendForm(request.GET))

    def post(self, request):
        form = BulkResendForm(request.POST)
        if "confirmed" not in request.POST or not form.is_valid():
            return self._render(form)
        mail_ids = [mail.pk for mail in form.cleaned_data["mail"]]
        result = outbox.resend_unknown_mails(mail_ids=mail_ids, actor=request.user)
        if result.copies:
            count = len(result.copies)
            messages.success(
                request,
                ngettext("A new copy of %(count)d mail is queued.", "New copies of %(count)d mails are queued.", count)
                % {"count": count},
            )
        skipped_by_reason: dict[str, int] = {}
        for _mail, reason in result.skipped:
            skipped_by_reason[reason] = skipped_by_reason.get(reason, 0) + 1
        for reason, count in skipped_by_reason.items():
            messages.warning(
                request,
                ngettext(
                    "%(count)d mail was not sent again: %(reason)s",
                    "%(count)d mails were not sent again: %(reason)s",
                    count,
                )
                % {"count": count, "reason": reason},
            )
        return redirect("outbox_unknown")

    def _render(self, form):
        context = {"form": form}
        if form.is_valid():
            context["plan"] = selectors.bulk_resend_plan(mails=form.cleaned_data["mail"])
        return render(self.request, self.template_name, context)


class ResendMailView(PermissionMixin, View):
    permission_required = "denktank.resend_mail"

    def post(self, request, pk):
        mail = get_object_or_404(OutgoingMail, pk=pk)
        try:
            copy = outbox.resend_mail(mail=mail, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("outbox")
        messages.success(request, _("A new copy of the mail to %(to)s is queued.") % {"to": copy.to})
        return redirect("outbox")


class AuditLogView(PermissionMixin, ListView):
    permission_required = "denktank.view_audit_log"
    template_name = "denktank/audit_log.html"
    paginate_by = 100
    queryset = AuditEntry.objects.select_related("actor")
