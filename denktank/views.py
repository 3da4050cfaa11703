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
from .forms import InviteForm, SetPasswordForm
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
        return context


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
