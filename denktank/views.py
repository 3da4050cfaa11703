import uuid

from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from . import outbox, people_import, selectors, services
from .exceptions import (
    AccountAlreadyActive,
    DomainError,
    ImportExpired,
    NoKamerlidToInform,
    UpdateAlreadySent,
    UpdateOutdated,
)
from .forms import (
    UPDATE_SALT,
    ActiveForm,
    BulkResendForm,
    ImportConfirmForm,
    ImportUploadForm,
    InvitationActionForm,
    InviteForm,
    KamerlidUpdateForm,
    KamerlidUpdatePreviewForm,
    PeopleFilterForm,
    RolesForm,
    SetPasswordForm,
    sign_import,
    sign_update,
)
from .http import link_invalid
from .mixins import PermissionMixin
from .models import AuditEntry, KamerlidUpdate, OutgoingMail, Role, User
from .page_cache import AUDIT, DATA, CachedPageMixin, cached_page
from .rules import requires_two_factor


@method_decorator(login_not_required, name="dispatch")
class HomeView(CachedPageMixin, TemplateView):
    """The public page for visitors, a dashboard per role for everyone else."""

    def get_template_names(self):
        return ["denktank/dashboard.html" if self.request.user.is_authenticated else "denktank/public.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_authenticated:
            context.update(selectors.dashboard_context(user=self.request.user))
        return context


class InviteView(PermissionMixin, CachedPageMixin, FormView):
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
            return link_invalid(request, error, back_url=reverse("account_login"), back_label=_("Go to login"))
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
            return link_invalid(request, error, back_url=reverse("account_login"), back_label=_("Go to login"))
        if is_mfa_enabled(user):
            # A link in a mail must not bypass two-factor login: whoever holds
            # a re-invitation of someone with an authenticator still has to
            # pass the normal login with a code.
            messages.success(
                request, _("Your password is set. Log in with your e-mail address, password and two-factor code.")
            )
            return redirect("account_login")
        login(request, user, backend="denktank.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s. Your password is set.") % {"name": user.get_short_name()})
        return redirect("home")

    def _render(self, form):
        return render(self.request, self.template_name, {"form": form, "invitation": self.invitation})


class OutboxView(PermissionMixin, CachedPageMixin, ListView):
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


class UnknownMailsView(PermissionMixin, CachedPageMixin, TemplateView):
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


class AuditLogView(PermissionMixin, CachedPageMixin, ListView):
    permission_required = "denktank.view_audit_log"
    template_name = "denktank/audit_log.html"
    paginate_by = 100
    cache_areas = (DATA, AUDIT)
    queryset = AuditEntry.objects.select_related("actor")


# --- People --------------------------------------------------------------------------


class PeopleView(PermissionMixin, CachedPageMixin, ListView):
    """Every account, with roles, status, two-factor, last login and invitation; filtered and paged."""

    permission_required = "denktank.manage_people"
    template_name = "denktank/people.html"
    paginate_by = 50
    context_object_name = "people"

    def get_queryset(self):
        self.filter_form = PeopleFilterForm(self.request.GET)
        return selectors.people(**self.filter_form.filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["filtered"] = any(self.filter_form.filters().values())
        return context


class PersonView(PermissionMixin, CachedPageMixin, TemplateView):
    """One person: what the list shows, the actions on them and what happened to them."""

    permission_required = "denktank.manage_people"
    template_name = "denktank/person.html"
    # Its history is read from the audit log.
    cache_areas = (DATA, AUDIT)

    @cached_property
    def person(self) -> User:
        # Loaded after the permission check, so only the board learns whether an account exists.
        try:
            return selectors.person(self.kwargs["pk"])
        except User.DoesNotExist:
            raise Http404 from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = self.person
        current = [group.name for group in person.groups.all()]
        context.update(
            {
                "person": person,
                "roles_form": RolesForm(initial={"roles": current}),
                "undo": selectors.role_change_to_undo(person),
                "history": selectors.person_history(person),
                "is_self": person.pk == self.request.user.pk,
                "can_log_in": person.has_usable_password(),
                "requires_two_factor": requires_two_factor(person),
            }
        )
        undo = context["undo"]
        if undo is not None:
            context["undo_labels"] = Role.labels_of(undo.data.get("before", []))
        return context


class PersonActionView(PermissionMixin, View):
    """A POST-only action on one person; refusals become a message on the person page."""

    permission_required = "denktank.manage_people"
    form_class = None

    def post(self, request, pk):
        person = get_object_or_404(User, pk=pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        else:
            try:
                self.act(person, form.cleaned_data)
            except DomainError as error:
                messages.error(request, error.message)
        return redirect("person", pk=person.pk)

    def act(self, person, data):
        raise NotImplementedError


class PersonRolesView(PersonActionView):
    form_class = RolesForm

    def act(self, person, data):
        before, after = services.set_roles(person=person, roles=data["roles"], by=self.request.user)
        if before == after:
            messages.info(self.request, _("The roles of %(name)s stay as they were.") % {"name": person})
            return
        messages.success(
            self.request,
            _("%(name)s now has the role(s): %(roles)s.") % {"name": person, "roles": ", ".join(Role.labels_of(after))},
        )


class PersonActiveView(PersonActionView):
    form_class = ActiveForm

    def act(self, person, data):
        if data["active"]:
            services.reactivate_person(person=person, by=self.request.user)
            messages.success(self.request, _("%(name)s can log in again.") % {"name": person})
        else:
            services.deactivate_person(person=person, by=self.request.user)
            messages.success(
                self.request,
                _("%(name)s is deactivated and can no longer log in. What they wrote and answered stays.")
                % {"name": person},
            )


class PersonInvitationView(PersonActionView):
    form_class = InvitationActionForm

    def act(self, person, data):
        if data["action"] == InvitationActionForm.RESEND:
            try:
                services.resend_invitation(person=person, by=self.request.user)
            except AccountAlreadyActive:
                raise DomainError(
                    _("%(name)s already logs in with their own password: no invitation is needed.") % {"name": person}
                ) from None
            messages.success(self.request, _("A new invitation is on its way to %(email)s.") % {"email": person.email})
        else:
            services.withdraw_invitation(person=person, by=self.request.user)
            person.refresh_from_db(fields=["is_active"])
            if person.is_active:
                messages.success(self.request, _("The invitation link no longer works."))
            else:
                messages.success(
                    self.request,
                    _(
                        "The invitation link no longer works, and the account, which was never used, is "
                        "deactivated. To invite %(name)s after all: reactivate, then resend the invitation."
                    )
                    % {"name": person},
                )


class PersonTwoFactorView(PersonActionView):
    form_class = forms.Form  # nothing to fill in: the button is the request

    def act(self, person, data):
        services.reset_two_factor(person=person, by=self.request.user)
        messages.success(
            self.request,
            _("The two-factor login of %(name)s is reset, and they got a mail about it.") % {"name": person},
        )


class ImportPeopleView(PermissionMixin, View):
    """Upload a CSV file, check the preview, confirm: only the confirmation invites anyone."""

    permission_required = "denktank.manage_people"
    template_name = "denktank/people_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ImportUploadForm()})

    def post(self, request):
        if "payload" in request.POST:
            return self.confirm(request)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        parsed = form.cleaned_data["file"]
        plan = people_import.preview(parsed)
        context = {
            "form": ImportUploadForm(),
            "rows": plan.rows,
            "has_profiles": parsed.has_profiles,
            "to_invite": len(plan.to_invite),
            "existing": plan.existing,
            "with_errors": plan.with_errors,
            "confirm_form": ImportConfirmForm(initial={"payload": sign_import(plan.to_invite)})
            if plan.to_invite
            else None,
        }
        return render(request, self.template_name, context)

    def confirm(self, request):
        form = ImportConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(request, str(ImportExpired.message))
            return redirect("people_import")
        result = services.import_people(people=form.cleaned_data["payload"], by=request.user)
        count = len(result.invited)
        messages.success(
            request,
            ngettext("One invitation is on its way.", "%(count)d invitations are on their way.", count)
            % {"count": count},
        )
        if result.existing:
            messages.warning(
                request,
                _("Meanwhile these addresses got an account and were left as they are: %(emails)s")
                % {"emails": ", ".join(result.existing)},
            )
        return redirect("people")


# --- Kamerlid updates -------------------------------------------------------------------


class KamerlidUpdateListView(PermissionMixin, CachedPageMixin, ListView):
    permission_required = "denktank.read_kamerlid_updates"
    template_name = "denktank/kamerlid_updates.html"
    context_object_name = "updates"
    paginate_by = 20

    def get_queryset(self):
        return selectors.kamerlid_updates()


class KamerlidUpdateView(PermissionMixin, CachedPageMixin, DetailView):
    permission_required = "denktank.read_kamerlid_updates"
    template_name = "denktank/kamerlid_update.html"
    context_object_name = "update"

    def get_queryset(self):
        return selectors.kamerlid_updates()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        update = self.object
        context.update(
            selectors.kamerlid_update_mail_context(title=update.title, text=update.text, facts=update.facts, name="")
        )
        return context


class KamerlidUpdateNewView(PermissionMixin, View):
    """Write, preview (the exact mail, with the facts the platform adds), then send.

    The preview carries the update and its facts signed in a hidden field;
    "send" sends exactly those, so the mail is the one the board saw.
    """

    permission_required = "denktank.write_kamerlid_update"
    form_template = "denktank/kamerlid_update_form.html"
    preview_template = "denktank/kamerlid_update_preview.html"

    # The facts it adds count the sections that became final, from the audit log.
    @method_decorator(cached_page(areas=(DATA, AUDIT)))
    def get(self, request):
        return self.render_form(KamerlidUpdateForm())

    def post(self, request):
        action = request.POST.get("action")
        if action in ("send", "edit"):
            preview = KamerlidUpdatePreviewForm(request.POST)
            if not preview.is_valid():
                return self.recover(preview)
            data = preview.cleaned_data["payload"]
            if action == "edit":
                return self.render_form(KamerlidUpdateForm(initial={"title": data["title"], "text": data["text"]}))
            return self.send(data)
        form = KamerlidUpdateForm(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        return self.render_preview(title=form.cleaned_data["title"], text=form.cleaned_data["text"])

    def send(self, data):
        try:
            update = services.send_kamerlid_update(
                title=data["title"],
                text=data["text"],
                facts=data["facts"],
                facts_since=data["since"],
                facts_until=data["until"],
                token=data["token"],
                by=self.request.user,
            )
        except UpdateAlreadySent:
            messages.info(self.request, str(UpdateAlreadySent.message))
            return redirect(KamerlidUpdate.objects.get(token=data["token"]))
        except (UpdateOutdated, NoKamerlidToInform) as error:
            messages.error(self.request, error.message)
            return self.render_preview(title=data["title"], text=data["text"])
        messages.success(
            self.request,
            ngettext(
                "The update is on its way to %(count)d Kamerlid.",
                "The update is on its way to %(count)d Kamerleden.",
                update.recipient_count,
            )
            % {"count": update.recipient_count},
        )
        return redirect(update)

    def recover(self, preview):
        """A preview that is too old is made again from its text; a broken one sends the board back to writing."""
        payload = self.request.POST.get("payload", "")
        messages.error(self.request, " ".join(preview.errors.get("payload", [])))
        if preview.has_error("payload", code="expired"):
            data = signing.loads(payload, salt=UPDATE_SALT)
            return self.render_preview(title=data["title"], text=data["text"])
        return self.render_form(KamerlidUpdateForm())

    def facts_now(self):
        since, until = selectors.next_facts_since(), timezone.now()
        return since, until, selectors.kamerlid_update_facts(since=since, until=until)

    def render_form(self, form):
        _since, _until, facts = self.facts_now()
        return render(
            self.request,
            self.form_template,
            {
                "form": form,
                "facts": selectors.facts_for_display(facts),
                "recipients": list(selectors.kamerlid_recipients()),
                "last_update": selectors.last_kamerlid_update(),
            },
        )

    def render_preview(self, *, title, text):
        since, until, facts = self.facts_now()
        recipients = list(selectors.kamerlid_recipients())
        context = selectors.kamerlid_update_mail_context(
            title=title, text=text, facts=facts, name=recipients[0].get_short_name() if recipients else ""
        )
        subject, body_text, _html = outbox.render_mail("kamerlid_update", context)
        context.update(
            {
                "subject": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
                "body_text": body_text,
                "recipients": recipients,
                "preview_form": KamerlidUpdatePreviewForm(
                    initial={
                        "payload": sign_update(
                            title=title, text=text, facts=facts, since=since, until=until, token=uuid.uuid4()
                        )
                    }
                ),
            }
        )
        return render(self.request, self.preview_template, context)
