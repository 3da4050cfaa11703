import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import FormView, ListView, TemplateView, UpdateView

from denktank.exceptions import DomainError
from denktank.forms import is_valid_id
from denktank.http import over_rate_limit
from denktank.mixins import NoStoreMixin, PermissionMixin
from denktank.models import Role, User
from denktank.page_cache import CachedPageMixin

from . import selectors, services
from .forms import (
    ApplicationFilterForm,
    ApplicationForm,
    MailTemplateForm,
    ProfileDescriptionForm,
    ScorecardForm,
    StageForm,
    TalentNoteForm,
)
from .models import NOTE_MAX_LENGTH, Application, ExpertiseProfile, MailTemplate, TalentNote

APPLY_LIMIT = 5  # applications per address per hour: enough for a family, too few for a bot
APPLY_WINDOW = 60 * 60


@method_decorator(login_not_required, name="dispatch")
class ApplyView(NoStoreMixin, CachedPageMixin, FormView):
    template_name = "members/apply.html"
    form_class = ApplicationForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            applications_open=services.procedure().applications_open,
            profiles=ExpertiseProfile.objects.all(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not services.procedure().applications_open:
            return self.get(request, *args, **kwargs)
        if over_rate_limit(request, scope="apply", limit=APPLY_LIMIT, window=APPLY_WINDOW):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, _("Too many applications from this address. Try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.submit_application(
                data=form.application_data(), profiles=form.cleaned_data["profiles"], cv=form.cleaned_data["cv"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        return redirect("members:applied")


@method_decorator(login_not_required, name="dispatch")
class AppliedView(TemplateView):
    template_name = "members/applied.html"


@method_decorator(login_not_required, name="dispatch")
class PrivacyView(TemplateView):
    template_name = "members/privacy.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(contact_email=settings.CONTACT_EMAIL, **kwargs)


class ApplicationListView(NoStoreMixin, PermissionMixin, CachedPageMixin, ListView):
    permission_required = "members.view_applications"
    template_name = "members/application_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = ApplicationFilterForm(self.request.GET or None)
        # A filter with a bad value shows its error and is left out; the valid ones still apply.
        self.filter_form.is_valid()
        filters = getattr(self.filter_form, "cleaned_data", {})
        return selectors.applications(viewer=self.request.user, filters=filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            filter_form=self.filter_form,
            seats_used=services.seats_used(),
            pending_mails=services.pending_decision_mails().count(),
            procedure=services.procedure(),
            **kwargs,
        )
        context["object_list"] = selectors.with_labels(context["object_list"])
        return context


class ApplicationMixin(NoStoreMixin, PermissionMixin):
    permission_required = "members.view_applications"

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(self.permission_required):
            self.application = get_object_or_404(Application, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def back(self):
        return redirect("members:detail", pk=self.application.pk)


class ApplicationDetailView(ApplicationMixin, CachedPageMixin, TemplateView):
    template_name = "members/application_detail.html"

    def get(self, request, *args, **kwargs):
        # Every look is logged, also when the page comes from the cache.
        services.record_view(application=self.application, viewer=request.user)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, scorecard_form=None, **kwargs):
        application, user = self.application, self.request.user
        summary = selectors.score_summary(application=application, viewer=user)
        if scorecard_form is None:
            initial = {}
            if summary.my_scorecard:
                initial = {"recommendation": summary.my_scorecard.recommendation, "note": summary.my_scorecard.note}
                initial.update({f"profile_{s.profile_id}": s.score for s in summary.my_scorecard.scores.all()})
            scorecard_form = ScorecardForm(profiles=application.profiles.order_by("order"), initial=initial)
        return super().get_context_data(
            application=application,
            summary=summary,
            scorecard_form=scorecard_form,
            stage_form=StageForm(initial={"stage": application.stage}),
            history=application.stage_changes.select_related("changed_by"),
            seats_used=services.seats_used(),
            **kwargs,
        )


class ScorecardView(ApplicationDetailView):
    permission_required = "members.screen_applications"
    http_method_names = ["post", "options"]

    def post(self, request, pk):
        form = ScorecardForm(request.POST, profiles=self.application.profiles.order_by("order"))
        if not form.is_valid():
            # Show the page again with the errors and everything typed, the note included.
            messages.error(request, _("Give every profile a score from 1 to 5, and a recommendation."))
            services.record_view(application=self.application, viewer=request.user)
            return self.render_to_response(self.get_context_data(scorecard_form=form))
        try:
            services.save_scorecard(
                application=self.application,
                recruiter=request.user,
                recommendation=form.cleaned_data["recommendation"],
                note=form.cleaned_data["note"],
                scores=form.scores(),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your scores are saved."))
        return self.back()


class ConflictView(ApplicationMixin, View):
    permission_required = "members.screen_applications"

    def post(self, request, pk):
        services.declare_conflict(application=self.application, recruiter=request.user)
        messages.success(request, _("Conflict of interest noted. You will not score this applicant."))
        return self.back()


class StageView(ApplicationMixin, View):
    permission_required = "members.screen_applications"

    def post(self, request, pk):
        form = StageForm(request.POST)
        if form.is_valid():
            try:
                services.change_stage(application=self.application, stage=form.cleaned_data["stage"], by=request.user)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Stage changed."))
        return self.back()


class MembershipCheckedView(ApplicationMixin, View):
    permission_required = "members.screen_applications"

    def post(self, request, pk):
        services.set_membership_checked(
            application=self.application, checked=request.POST.get("checked") == "1", by=request.user
        )
        return self.back()


class SelectView(ApplicationMixin, View):
    permission_required = "members.select_applicants"

    def post(self, request, pk):
        try:
            services.select_applicant(application=self.application, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(name)s is selected. The invitation to set a password is on its way.")
                % {"name": self.application.name},
            )
        return self.back()


class LeaveView(ApplicationMixin, View):
    permission_required = "members.manage_procedure"

    def post(self, request, pk):
        try:
            services.member_leaves(application=self.application, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The seat is free again. Choose someone from the waitlist."))
        return self.back()


class CvView(ApplicationMixin, View):
    def get(self, request, pk):
        if not self.application.cv:
            raise Http404
        services.record_view(application=self.application, viewer=request.user, what="application.cv_viewed")
        response = FileResponse(
            self.application.cv.open("rb"), as_attachment=True, filename=f"cv-{self.application.pk}.pdf"
        )
        response["Content-Type"] = "application/pdf"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ExportView(ApplicationMixin, View):
    permission_required = "members.export_application"

    def get(self, request, pk):
        data = services.export_application(application=self.application, by=request.user)
        response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="aanmelding-{self.application.pk}.json"'
        return response


class EraseView(ApplicationMixin, View):
    permission_required = "members.erase_application"

    def post(self, request, pk):
        try:
            services.erase_application(application=self.application, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return self.back()
        messages.success(request, _("The application and its CV are erased."))
        return redirect("members:list")


def _ids(values) -> list[int]:
    """The ids in a what-if link; anything else is dropped (the checkboxes only ever send real ids)."""
    return [int(value) for value in values if is_valid_id(value)]


class CompositionView(NoStoreMixin, PermissionMixin, CachedPageMixin, TemplateView):
    permission_required = "members.view_applications"
    template_name = "members/composition.html"

    def get_context_data(self, **kwargs):
        composition = selectors.composition(
            what_if_ids=_ids(self.request.GET.getlist("erbij")), without_ids=_ids(self.request.GET.getlist("zonder"))
        )
        return super().get_context_data(composition=composition, **kwargs)


class DecisionMailsView(NoStoreMixin, PermissionMixin, CachedPageMixin, TemplateView):
    permission_required = "members.screen_applications"
    template_name = "members/decision_mails.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            pending=services.pending_decision_mails(), templates=MailTemplate.objects.order_by("key"), **kwargs
        )

    def post(self, request):
        count = services.confirm_decision_mails(by=request.user)
        messages.success(
            request, ngettext("%(count)d mail is queued.", "%(count)d mails are queued.", count) % {"count": count}
        )
        return redirect("members:decision_mails")


# Edit views load their object in get_object() (UpdateView does it before the
# form or the context needs it), never as a side effect of building the form.
class MailTemplateView(PermissionMixin, CachedPageMixin, UpdateView):
    permission_required = "members.edit_mail_texts"
    template_name = "members/form_page.html"
    form_class = MailTemplateForm
    model = MailTemplate
    slug_field = slug_url_kwarg = "key"
    success_url = reverse_lazy("members:decision_mails")
    extra_context = {"heading": gettext_lazy("Edit mail text")}

    def form_valid(self, form):
        messages.success(self.request, _("Mail text saved."))
        return super().form_valid(form)


class ProfilesView(PermissionMixin, CachedPageMixin, TemplateView):
    permission_required = "members.view_applications"
    template_name = "members/profiles.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(profiles=ExpertiseProfile.objects.all(), **kwargs)


class ProfileEditView(PermissionMixin, CachedPageMixin, UpdateView):
    permission_required = "members.edit_profiles"
    template_name = "members/form_page.html"
    form_class = ProfileDescriptionForm
    model = ExpertiseProfile
    success_url = reverse_lazy("members:profiles")

    def get_context_data(self, **kwargs):
        return super().get_context_data(heading=self.object.name, **kwargs)

    def form_valid(self, form):
        messages.success(self.request, _("Description saved."))
        return super().form_valid(form)


class ProcedureView(PermissionMixin, View):
    permission_required = "members.manage_procedure"

    def post(self, request):
        action = request.POST.get("action")
        if action == "open":
            services.set_applications_open(is_open=True, by=request.user)
            messages.success(request, _("Applications are open."))
        elif action == "pause":
            services.set_applications_open(is_open=False, by=request.user)
            messages.success(request, _("Applications are closed."))
        elif action == "close":
            services.close_procedure(by=request.user)
            messages.success(
                request, _("The procedure is closed. Data of applicants not selected will be deleted on schedule.")
            )
        return redirect("members:list")


class TalentNotesView(NoStoreMixin, PermissionMixin, CachedPageMixin, TemplateView):
    permission_required = "members.view_talent_notes"
    template_name = "members/talent_notes.html"

    def get_context_data(self, form=None, **kwargs):
        members = User.objects.active_with_role(Role.DEELNEMER)
        notes = TalentNote.objects.select_related("author", "member")
        by_member = {}
        for note in notes:
            by_member.setdefault(note.member_id, []).append(note)
        form = form or TalentNoteForm()
        refused_for = form.data.get("member") if form.errors.get("text") else None
        return super().get_context_data(
            members=[(member, by_member.get(member.pk, []), str(member.pk) == refused_for) for member in members],
            form=form,
            note_max_length=NOTE_MAX_LENGTH,
            **kwargs,
        )

    def post(self, request):
        form = TalentNoteForm(request.POST)
        if not form.is_valid():
            # The page again, with the error and the typed note kept.
            return self.render_to_response(self.get_context_data(form=form))
        services.add_talent_note(
            member=form.cleaned_data["member"], author=request.user, text=form.cleaned_data["text"]
        )
        messages.success(request, _("Note saved."))
        return redirect("members:talent_notes")
