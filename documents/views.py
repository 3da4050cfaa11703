from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from denktank import audit
from denktank.exceptions import DomainError
from denktank.forms import is_valid_id
from denktank.mixins import PermissionMixin, no_store
from denktank.page_cache import DATA, LIVE, CachedPageMixin, cached_page

from . import merge, selectors, services
from .citations import Numbering
from .exceptions import EditConflict, ReportFrozen
from .forms import (
    SECTION_MAX_CHARS,
    AmendmentForm,
    CommentForm,
    ConflictForm,
    DecisionForm,
    DraftForm,
    EditForm,
    NewSectionForm,
    PublishForm,
    RecommendationForm,
    SectionSettingsForm,
    SourceForm,
    StatusForm,
)
from .live import services as live
from .models import Amendment, Comment, Draft, ReportExport, Revision, Section, Source


class ReportView(PermissionMixin, CachedPageMixin, TemplateView):
    """The report's structure and progress; the Kamerlid sees which sections are shared."""

    permission_required = "documents.view_progress"
    template_name = "documents/report.html"

    def get_context_data(self, **kwargs):
        tree = selectors.section_tree(user=self.request.user)
        recommendations, rows = selectors.recommendation_coverage(self.request.user)
        return super().get_context_data(
            sections=selectors.numbered(tree),
            progress=selectors.progress(tree),
            new_form=NewSectionForm(),
            recommendations=recommendations,
            rows=rows,
            **kwargs,
        )


class SectionMixin(PermissionMixin):
    """Loads the section; one the user may not read answers 404.

    ``section_permission`` is checked on the loaded section before the method
    is dispatched: a reader who may not write there gets 403, whatever the method.
    """

    permission_required = "documents.view_progress"
    section_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(self.permission_required):
            self.section = get_object_or_404(Section, pk=kwargs["pk"])
            if not request.user.has_perm("documents.view_section", self.section):
                raise Http404
            if self.section_permission and not request.user.has_perm(self.section_permission, self.section):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def back(self, anchor: str = ""):
        return redirect(self.section.get_absolute_url() + (f"#{anchor}" if anchor else ""))


class SectionView(SectionMixin, CachedPageMixin, DetailView):
    template_name = "documents/section.html"
    context_object_name = "section"
    # Open proposals are previewed against the live text.
    cache_areas = (DATA, LIVE)

    def page_cacheable(self):
        return "saved_section" not in self.request.session

    def get_object(self, queryset=None):
        return self.section

    def get_context_data(self, **kwargs):
        section, user = self.section, self.request.user
        numbering = Numbering.for_all_sources()
        html, references, unknown = selectors.render_revision(section.head, numbering)
        frozen = selectors.current_version()
        can_discuss = user.has_perm("documents.discuss_section")
        statuses = [] if frozen else selectors.settable_statuses(user=user, section=section)
        return super().get_context_data(
            head=section.head,
            html=html,
            references=references,
            unknown_sources=unknown,
            discussion=selectors.discussion(
                section,
                resolved=self.request.GET.get("reacties") == "afgehandeld",
                comment_page=self.request.GET.get("reactiepagina"),
                decided_page=self.request.GET.get("voorstelpagina"),
            )
            if can_discuss
            else None,
            proposals=selectors.proposal_previews(section, numbering, lambda: live.current_text(section=section))
            if can_discuss
            else [],
            comment_form=CommentForm(),
            status_form=StatusForm(statuses=statuses, initial={"status": section.status}) if statuses else None,
            settings_form=SectionSettingsForm(
                section=section,
                initial={"title": section.title, "owners": section.owners.all(), "shared": section.shared},
            ),
            can_edit=user.has_perm("documents.edit_section", section),
            can_discuss=can_discuss,
            frozen=frozen,
            # Right after a save: the browser may drop its local copy of the text.
            just_saved=self.request.session.pop("saved_section", None) == section.pk,
            draft=Draft.objects.filter(section=section, user=user).first(),
            **kwargs,
        )


class EditView(SectionMixin, View):
    section_permission = "documents.edit_section"
    template_name = "documents/edit.html"

    @method_decorator(cached_page(areas=(DATA, LIVE)))
    def get(self, request, pk):
        if selectors.current_version() is not None:
            messages.info(request, ReportFrozen.message)
            return self.back()
        draft = Draft.objects.filter(section=self.section, user=request.user).first()
        head = self.section.head
        if draft:
            initial = {"text": draft.text, "base": draft.base_id}
        else:
            initial = {"text": head.text if head else "", "base": head.pk if head else None}
        return self._render(EditForm(initial=initial), draft=draft)

    def post(self, request, pk):
        if "theirs" in request.POST:
            return self._resolve(request)
        form = EditForm(request.POST)
        if not form.is_valid():
            return self._render(form)
        data = form.cleaned_data
        return self._save(text=data["text"], base_id=data["base"], note=data["note"])

    def _resolve(self, request):
        """The conflict screen sent back: the writer's choices are applied to their text and saved."""
        form = ConflictForm(request.POST)
        theirs = None
        if form.is_valid():
            theirs = Revision.objects.filter(pk=form.cleaned_data["theirs"], section=self.section).first()
        if theirs is None:
            messages.error(request, _("This conflict screen could not be read. Your text is below; save it again."))
            text = request.POST.get("text", "")[:SECTION_MAX_CHARS]
            return self._render(EditForm(initial={"text": text, "base": None}), status=400)
        data = form.cleaned_data
        base = Revision.objects.filter(pk=data["base"], section=self.section).first()
        base_text = base.text if base else ""
        # The same texts give the same conflicts the writer saw.
        conflicts = merge.merge(base_text, data["text"], theirs.text).conflicts
        form = ConflictForm(request.POST, conflicts=conflicts)
        if not form.is_valid():
            return self._conflict_screen(form, head=theirs, conflicts=conflicts, status=400)
        text = merge.resolve(base_text, data["text"], theirs.text, form.choices())
        return self._save(text=text, base_id=theirs.pk, note=data["note"])

    def _save(self, *, text, base_id, note):
        request = self.request
        try:
            result = services.save_or_keep_draft(
                section=self.section, author=request.user, text=text, base_id=base_id, note=note
            )
        except ReportFrozen:
            messages.warning(
                request,
                _(
                    "The board published the report while you were writing, so no revision was made. "
                    "Your text is kept as your private draft; you continue from it when the board reopens the report."
                ),
            )
            return self.back()
        except EditConflict as conflict:
            # The writer's text and where it started stay in the form: saving again
            # needs a choice at each conflict, never a silent overwrite.
            form = ConflictForm(
                initial={"text": text, "base": base_id, "theirs": conflict.head.pk, "note": note},
                conflicts=conflict.conflicts,
            )
            return self._conflict_screen(form, head=conflict.head, conflicts=conflict.conflicts, status=409)
        request.session["saved_section"] = self.section.pk
        if result.merged:
            messages.success(
                request,
                _("Saved. Someone else changed other parts meanwhile; both changes are in revision %(number)d.")
                % {"number": result.revision.number},
            )
        else:
            messages.success(request, _("Saved as revision %(number)d.") % {"number": result.revision.number})
        return self.back()

    def _conflict_screen(self, form, *, head, conflicts, status):
        places = [
            {"number": index + 1, "diff": merge.paragraph_word_diff(conflict.theirs, conflict.ours), "fields": fields}
            for index, (conflict, fields) in enumerate(zip(conflicts, form.places(), strict=True))
        ]
        context = {"section": self.section, "conflict_form": form, "head": head, "places": places}
        return render(self.request, self.template_name, context, status=status)

    def _render(self, form, *, draft=None, status=200):
        return render(
            self.request,
            self.template_name,
            {"section": self.section, "form": form, "draft": draft},
            status=status,
        )


class AutosaveView(SectionMixin, View):
    """Stores the writer's private draft (htmx, every few seconds while typing)."""

    section_permission = "documents.edit_section"

    def post(self, request, pk):
        form = DraftForm(request.POST)
        if not form.is_valid():
            return render(request, "documents/includes/autosaved.html", {"form": form}, status=400)
        try:
            draft = services.autosave_draft(
                section=self.section,
                user=request.user,
                text=form.cleaned_data["text"],
                base_id=form.cleaned_data["base"],
            )
        except DomainError as error:
            return HttpResponse(error.message, status=403)
        # The draft is private, so it is kept even when the report was published
        # meanwhile; the writer is told that it did not become a revision.
        context = {"draft": draft, "frozen": selectors.current_version() is not None}
        return render(request, "documents/includes/autosaved.html", context)


class DiscardDraftView(SectionMixin, View):
    section_permission = "documents.edit_section"

    def post(self, request, pk):
        services.discard_draft(section_id=self.section.pk, user_id=request.user.pk)
        return redirect("documents:edit", pk=pk)


class PreviewView(SectionMixin, View):
    """Live preview for writers and proposers: the same sanitised rendering as the final page."""

    permission_required = "documents.discuss_section"

    def post(self, request, pk):
        form = DraftForm(request.POST)
        if not form.is_valid():
            return render(request, "documents/includes/preview.html", {"form": form})
        html, references, unknown = selectors.render_with_citations(form.cleaned_data["text"])
        return render(
            request, "documents/includes/preview.html", {"html": html, "references": references, "unknown": unknown}
        )


class HistoryView(SectionMixin, CachedPageMixin, TemplateView):
    template_name = "documents/history.html"

    def get_context_data(self, **kwargs):
        def number(name):
            value = self.request.GET.get(name, "")
            # Anything but a plausible revision number means "the default".
            return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None

        old, new = selectors.revision_pair(self.section, number("van"), number("naar"))
        page = selectors.history_page(self.section, self.request.GET.get("page"))
        return super().get_context_data(
            section=self.section,
            page_obj=page,
            revisions=page.object_list,
            old=old,
            new=new,
            diff=selectors.revision_diff(old, new) if new else [],
            can_edit=self.request.user.has_perm("documents.edit_section", self.section),
            **kwargs,
        )


class RestoreView(SectionMixin, View):
    section_permission = "documents.edit_section"

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
        if not form.is_valid():
            # Back to the top of the page, where the message is.
            messages.error(request, " ".join(form.errors.get("text", [])))
            return self.back()
        services.add_comment(section=self.section, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Comment placed."))
        return self.back("comments")


class ResolveCommentView(SectionMixin, View):
    permission_required = "documents.discuss_section"

    def post(self, request, pk, comment_pk):
        comment = get_object_or_404(Comment, pk=comment_pk, section=self.section)
        services.resolve_comment(comment=comment, by=request.user)
        return self.back("comments")


class AmendmentView(SectionMixin, CachedPageMixin, FormView):
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


class AmendmentDetailView(SectionMixin, CachedPageMixin, TemplateView):
    """One proposal on its own page: what it changed in the text it was made on, and the decision."""

    permission_required = "documents.discuss_section"
    template_name = "documents/amendment_detail.html"

    def get_context_data(self, **kwargs):
        amendment = get_object_or_404(
            Amendment.objects.select_related("proposer", "decided_by", "base", "revision").defer("revision__text"),
            pk=self.kwargs["amendment_pk"],
            section=self.section,
        )
        change, references, unknown = selectors.proposal_change(amendment)
        return super().get_context_data(
            section=self.section,
            amendment=amendment,
            change=change,
            references=references,
            unknown_sources=unknown,
            **kwargs,
        )


class DecideAmendmentView(SectionMixin, View):
    section_permission = "documents.decide_amendment"

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
    section_permission = "documents.edit_section"

    def post(self, request, pk):
        form = StatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose one of the statuses offered."))
        else:
            try:
                services.set_status(section=self.section, status=form.cleaned_data["status"], by=request.user)
            except DomainError as error:
                messages.error(request, error.message)
        return self.back()


class SectionSettingsView(SectionMixin, View):
    permission_required = "documents.manage_structure"

    def post(self, request, pk):
        form = SectionSettingsForm(request.POST, section=self.section)
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


class RecommendationsView(PermissionMixin, CachedPageMixin, FormView):
    """Recommendations and the questions and directions they answer."""

    permission_required = "documents.view_progress"
    template_name = "documents/recommendations.html"
    form_class = RecommendationForm

    def get_context_data(self, **kwargs):
        recommendations, rows = selectors.recommendation_coverage(self.request.user)
        # Who does not discuss the report (the Kamerlid) is pointed to the published version.
        discusses = self.request.user.has_perm("documents.discuss_section")
        return super().get_context_data(
            recommendations=recommendations,
            rows=rows,
            published=None if discusses else selectors.latest_version(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("documents.manage_recommendations"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        services.add_recommendation(by=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Recommendation added."))
        return redirect("documents:recommendations")


class ExportsView(PermissionMixin, CachedPageMixin, TemplateView):
    """The board starts PDF exports and downloads earlier ones; everyone downloads published versions."""

    permission_required = "documents.view_published"
    template_name = "documents/exports.html"

    def get_context_data(self, **kwargs):
        exports = selectors.visible_exports(self.request.user)
        return super().get_context_data(
            exports=exports, current=selectors.current_version(), versions=selectors.versions(), **kwargs
        )

    def post(self, request):
        if not request.user.has_perm("documents.export_report"):
            raise PermissionDenied
        try:
            if "retry" in request.POST:
                if not is_valid_id(request.POST["retry"]):
                    raise Http404
                failed = get_object_or_404(ReportExport, pk=request.POST["retry"], status=ReportExport.Status.FAILED)
                services.retry_export(export=failed, by=request.user)
            else:
                services.start_export(by=request.user)
        except ReportFrozen:
            messages.error(request, _("The report is published: download the PDF of the published version below."))
        else:
            messages.success(request, _("The export has started. This page shows its progress."))
        return redirect("documents:exports")


class ExportStatusView(PermissionMixin, View):
    permission_required = "documents.export_report"

    def get(self, request, pk):
        export = get_object_or_404(ReportExport, pk=pk)
        return render(request, "documents/includes/export_row.html", {"export": export})


class ExportDownloadView(PermissionMixin, View):
    permission_required = "documents.view_published"

    def get(self, request, pk):
        export = get_object_or_404(ReportExport, pk=pk, status=ReportExport.Status.DONE)
        if export.version is None and not request.user.has_perm("documents.export_report"):
            raise Http404
        name = f"einddocument-v{export.version.number}.pdf" if export.version else f"einddocument-concept-{pk}.pdf"
        response = FileResponse(export.file.open("rb"), as_attachment=True, filename=name)
        response["Content-Type"] = "application/pdf"
        response["X-Content-Type-Options"] = "nosniff"
        return no_store(response)


class PublishView(PermissionMixin, View):
    """The board checks what is empty or not final, confirms and publishes; or reopens the report."""

    permission_required = "documents.publish_report"
    template_name = "documents/publish.html"

    @method_decorator(cached_page)
    def get(self, request):
        return self._render(PublishForm())

    def post(self, request):
        if request.POST.get("action") == "reopen":
            services.reopen_report(by=request.user)
            messages.success(request, _("The report is open for editing again; the next publication is a new version."))
            return redirect("documents:exports")
        form = PublishForm(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            version = services.publish_report(by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Version %(number)d is published; its PDF is being made and members and Kamerleden get a mail.")
                % {"number": version.number},
            )
        return redirect("documents:exports")

    def _render(self, form, status=200):
        check = selectors.publication_check(selectors.section_tree(user=None))
        context = {"form": form, "current": selectors.current_version(), **check}
        return render(self.request, self.template_name, context, status=status)


class SourcesView(PermissionMixin, CachedPageMixin, TemplateView):
    """The shared library of sources that sections cite."""

    permission_required = "documents.view_progress"
    template_name = "documents/sources.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(sources=Source.objects.all(), form=SourceForm(), **kwargs)


class SourceEditView(PermissionMixin, CachedPageMixin, FormView):
    permission_required = "documents.manage_sources"
    template_name = "documents/source_form.html"
    form_class = SourceForm

    def setup(self, request, *args, **kwargs):
        # The source is known before anything reads it: the form, the heading.
        super().setup(request, *args, **kwargs)
        self.source = get_object_or_404(Source, pk=kwargs["pk"]) if "pk" in kwargs else None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.source}

    def get_context_data(self, **kwargs):
        heading = self.source.key if self.source else _("New source")
        return super().get_context_data(heading=heading, **kwargs)

    def form_valid(self, form):
        source = form.save()
        audit.record(action="source.saved", actor=self.request.user, target=source)
        messages.success(self.request, _("Source saved."))
        return redirect("documents:sources")
