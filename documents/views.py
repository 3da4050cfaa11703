from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from denktank.exceptions import DomainError
from denktank.markdown import render_markdown
from denktank.mixins import PermissionMixin

from . import selectors, services
from .exceptions import EditConflict
from .forms import (
    AmendmentForm,
    CommentForm,
    DecisionForm,
    EditForm,
    NewSectionForm,
    SectionSettingsForm,
    StatusForm,
)
from .models import Amendment, Comment, Draft, Revision, Section


class ReportView(PermissionMixin, TemplateView):
    """The report's structure and progress; the Kamerlid sees which sections are shared."""

    permission_required = "documents.view_progress"
    template_name = "documents/report.html"

    def get_context_data(self, **kwargs):
        tree = selectors.section_tree(user=self.request.user)
        return super().get_context_data(
            sections=selectors.numbered(tree), progress=selectors.progress(tree), new_form=NewSectionForm(), **kwargs
        )


class SectionMixin(PermissionMixin):
    """Loads the section; one the user may not read answers 404."""

    permission_required = "documents.view_progress"

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(self.permission_required):
            self.section = get_object_or_404(Section, pk=kwargs["pk"])
            if not request.user.has_perm("documents.view_section", self.section):
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def back(self):
        return redirect("documents:section", pk=self.section.pk)


class SectionView(SectionMixin, DetailView):
    template_name = "documents/section.html"
    context_object_name = "section"

    def get_object(self, queryset=None):
        return self.section

    def get_context_data(self, **kwargs):
        section, user = self.section, self.request.user
        return super().get_context_data(
            head=section.head,
            comments=section.comments.select_related("author", "resolved_by"),
            amendments=section.amendments.select_related("proposer", "decided_by"),
            comment_form=CommentForm(),
            status_form=StatusForm(initial={"status": section.status}),
            settings_form=SectionSettingsForm(
                initial={"title": section.title, "owners": section.owners.all(), "shared": section.shared}
            ),
            can_edit=user.has_perm("documents.edit_section", section),
            can_discuss=user.has_perm("documents.discuss_section"),
            draft=Draft.objects.filter(section=section, user=user).first(),
            **kwargs,
        )


class EditView(SectionMixin, View):
    template_name = "documents/edit.html"

    def get(self, request, pk):
        if not request.user.has_perm("documents.edit_section", self.section):
            raise PermissionDenied
        draft = Draft.objects.filter(section=self.section, user=request.user).first()
        head = self.section.head
        if draft:
            initial = {"text": draft.text, "base": draft.base_id}
        else:
            initial = {"text": head.text if head else "", "base": head.pk if head else None}
        return self._render(EditForm(initial=initial), draft=draft)

    def post(self, request, pk):
        if not request.user.has_perm("documents.edit_section", self.section):
            raise PermissionDenied
        form = EditForm(request.POST)
        if not form.is_valid():
            return self._render(form)
        try:
            result = services.save_revision(
                section=self.section,
                author=request.user,
                text=form.cleaned_data["text"],
                base_id=form.cleaned_data["base"],
                note=form.cleaned_data["note"],
            )
        except EditConflict as conflict:
            # Keep the writer's text; the new base is what is saved now.
            form = EditForm(initial={"text": form.cleaned_data["text"], "base": conflict.head.pk})
            return self._render(form, conflict=conflict, status=409)
        if result.merged:
            messages.success(
                request,
                _("Saved. Someone else changed other parts meanwhile; both changes are in revision %(number)d.")
                % {"number": result.revision.number},
            )
        else:
            messages.success(request, _("Saved as revision %(number)d.") % {"number": result.revision.number})
        return self.back()

    def _render(self, form, *, draft=None, conflict=None, status=200):
        return render(
            self.request,
            self.template_name,
            {"section": self.section, "form": form, "draft": draft, "conflict": conflict},
            status=status,
        )


class AutosaveView(SectionMixin, View):
    """Stores the writer's private draft (htmx, every few seconds while typing)."""

    def post(self, request, pk):
        base = request.POST.get("base")
        try:
            draft = services.autosave_draft(
                section=self.section,
                user=request.user,
                text=request.POST.get("text", ""),
                base_id=int(base) if base and base.isdigit() else None,
            )
        except DomainError as error:
            return HttpResponse(error.message, status=403)
        return render(request, "documents/includes/autosaved.html", {"draft": draft})


class DiscardDraftView(SectionMixin, View):
    def post(self, request, pk):
        services.discard_draft(section=self.section, user=request.user)
        return redirect("documents:edit", pk=pk)


class PreviewView(SectionMixin, View):
    """Live preview: the same sanitised rendering as the final page."""

    def post(self, request, pk):
        return HttpResponse(render_markdown(request.POST.get("text", "")))


class HistoryView(SectionMixin, TemplateView):
    template_name = "documents/history.html"

    def get_context_data(self, **kwargs):
        def number(name):
            value = self.request.GET.get(name, "")
            return int(value) if value.isdigit() else None

        old, new = selectors.revision_pair(self.section, number("van"), number("naar"))
        return super().get_context_data(
            section=self.section,
            revisions=selectors.history(self.section),
            old=old,
            new=new,
            diff=selectors.word_diff(old.text if old else "", new.text) if new else [],
            can_edit=self.request.user.has_perm("documents.edit_section", self.section),
            **kwargs,
        )


class RestoreView(SectionMixin, View):
    def post(self, request, pk, number):
        revision = get_object_or_404(Revision, section=self.section, number=number)
        try:
            result = services.restore_revision(revision=revision, author=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Revision %(old)d is back, as revision %(new)d.") % {"old": number, "new": result.revision.number},
            )
        return self.back()


class CommentView(SectionMixin, View):
    permission_required = "documents.discuss_section"

    def post(self, request, pk):
        form = CommentForm(request.POST)
        if form.is_valid():
            services.add_comment(section=self.section, author=request.user, text=form.cleaned_data["text"])
            messages.success(request, _("Comment placed."))
        return self.back()


class ResolveCommentView(SectionMixin, View):
    permission_required = "documents.discuss_section"

    def post(self, request, pk, comment_pk):
        comment = get_object_or_404(Comment, pk=comment_pk, section=self.section)
        services.resolve_comment(comment=comment, by=request.user)
        return self.back()


class AmendmentView(SectionMixin, FormView):
    permission_required = "documents.discuss_section"
    template_name = "documents/amendment.html"
    form_class = AmendmentForm

    def get_initial(self):
        return {"text": self.section.head.text if self.section.head else ""}

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)

    def form_valid(self, form):
        services.propose_amendment(
            section=self.section,
            proposer=self.request.user,
            text=form.cleaned_data["text"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(self.request, _("Your proposal is with the owners of this section."))
        return self.back()


class DecideAmendmentView(SectionMixin, View):
    def post(self, request, pk, amendment_pk):
        amendment = get_object_or_404(Amendment, pk=amendment_pk, section=self.section)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.back()
        try:
            if form.cleaned_data["decision"] == "accept":
                services.accept_amendment(amendment=amendment, by=request.user)
                messages.success(request, _("Proposal accepted and merged into a new revision."))
            else:
                services.reject_amendment(amendment=amendment, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, _("Proposal rejected."))
        except EditConflict:
            messages.error(
                request,
                _("The section changed in the same place since this proposal. Edit the section by hand instead."),
            )
        except DomainError as error:
            messages.error(request, error.message)
        return self.back()


class StatusView(SectionMixin, View):
    def post(self, request, pk):
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                services.set_status(section=self.section, status=form.cleaned_data["status"], by=request.user)
            except DomainError as error:
                messages.error(request, error.message)
        return self.back()


class SectionSettingsView(SectionMixin, View):
    permission_required = "documents.manage_structure"

    def post(self, request, pk):
        form = SectionSettingsForm(request.POST)
        if form.is_valid():
            services.update_section(section=self.section, by=request.user, **form.cleaned_data)
            messages.success(request, _("Section settings saved."))
        return self.back()


class MoveSectionView(SectionMixin, View):
    permission_required = "documents.manage_structure"

    def post(self, request, pk):
        services.move_section(
            section=self.section, direction=-1 if request.POST.get("to") == "up" else 1, by=request.user
        )
        return redirect("documents:report")


class RemoveSectionView(SectionMixin, View):
    permission_required = "documents.manage_structure"

    def post(self, request, pk):
        services.remove_section(section=self.section, by=request.user)
        messages.success(request, _("Section removed."))
        return redirect("documents:report")


class NewSectionView(PermissionMixin, View):
    permission_required = "documents.manage_structure"

    def post(self, request):
        form = NewSectionForm(request.POST)
        if form.is_valid():
            section = services.add_section(
                title=form.cleaned_data["title"], parent=form.cleaned_data["parent"], by=request.user
            )
            return redirect("documents:section", pk=section.pk)
        messages.error(request, _("Give the new section a title."))
        return redirect("documents:report")
