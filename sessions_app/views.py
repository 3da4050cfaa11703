from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from denktank.exceptions import DomainError
from denktank.mixins import PermissionMixin

from . import selectors, services
from .exceptions import AnswerLinkForSomeoneElse, ReasonRequired
from .forms import (
    AttachmentForm,
    AttendanceForm,
    MeetingContentForm,
    MinutesForm,
    NewMeetingForm,
    RescheduleForm,
    RsvpForm,
)
from .ics import build_calendar
from .links import read_answer_token
from .models import Attachment, CalendarFeed, Meeting, Rsvp


class CalendarView(PermissionMixin, TemplateView):
    permission_required = "sessions_app.view_calendar"
    template_name = "sessions_app/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meetings = selectors.meetings_with_my_answer(self.request.user)
        for meeting in meetings:
            meeting.answerable = self.request.user.has_perm("sessions_app.answer_meeting", meeting)
        context["meetings"] = meetings
        context["next_meeting"] = selectors.next_meeting()
        context["timeline"] = selectors.timeline()
        return context


class MeetingMixin(PermissionMixin):
    """Loads the meeting; ``meeting_permission`` is checked on it before any method runs (denied → 403)."""

    permission_required = "sessions_app.view_calendar"
    meeting_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        self.meeting = get_object_or_404(Meeting, pk=kwargs["pk"])
        if (
            self.meeting_permission
            and request.user.has_perm(self.permission_required)
            and not request.user.has_perm(self.meeting_permission, self.meeting)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _who_is_coming(meeting: Meeting, user, answers: dict) -> dict:
    """The "who is coming" box: every answer for the board, the yes-list for everyone else."""
    people = list(selectors.participants(meeting))
    if user.has_perm("sessions_app.view_all_answers"):
        return {
            "answers": [(person, answers.get(person.pk)) for person in people],
            "answer_counts": selectors.answer_counts(meeting),
        }
    # Everyone sees who said yes; reasons and other answers are for the board.
    return {"coming": [p for p in people if getattr(answers.get(p.pk), "answer", None) == Rsvp.Answer.YES]}


class MeetingDetailView(PermissionMixin, DetailView):
    permission_required = "sessions_app.view_calendar"
    model = Meeting
    template_name = "sessions_app/meeting_detail.html"
    context_object_name = "meeting"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meeting, user = self.object, self.request.user
        answers = selectors.current_answers(meeting)
        context["my_rsvp"] = answers.get(user.pk)
        context["rsvp_form"] = RsvpForm.for_answer(answers.get(user.pk))
        context["can_answer"] = user.has_perm("sessions_app.answer_meeting", meeting)
        context.update(_who_is_coming(meeting, user, answers))
        if user.has_perm("sessions_app.view_attachments"):
            context["attachments"] = meeting.attachments.all()
        return context


class RsvpView(MeetingMixin, View):
    """Answer from the meeting page (htmx swaps the form in place)."""

    meeting_permission = "sessions_app.answer_meeting"

    def post(self, request, pk):
        form = RsvpForm(request.POST)
        rsvp = None
        if form.is_valid():
            try:
                rsvp = services.set_rsvp(
                    meeting=self.meeting,
                    user=request.user,
                    answer=form.cleaned_data["answer"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                form.add_error("reason" if isinstance(error, ReasonRequired) else None, error.message)
        if request.htmx:
            return self._htmx_response(form, rsvp)
        if rsvp:
            messages.success(request, _("Your answer is saved: %(answer)s.") % {"answer": rsvp.get_answer_display()})
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("sessions_app:detail", pk=pk)

    def _htmx_response(self, form: RsvpForm, rsvp: Rsvp | None):
        """The answer box again, and after a save also the "who is coming" box (out of band).

        Focus goes to what the person must read next (htmx focuses the
        element marked ``autofocus`` in swapped content): the saved message,
        or the field with the error.
        """
        answers = selectors.current_answers(self.meeting)
        context = {
            "meeting": self.meeting,
            "my_rsvp": answers.get(self.request.user.pk),
            "can_answer": True,
            "saved": rsvp is not None,
        }
        if rsvp is not None:
            context["rsvp_form"] = RsvpForm.for_answer(rsvp)
            context.update(_who_is_coming(self.meeting, self.request.user, answers), refresh_answers=True)
        else:
            context["rsvp_form"] = form
            context["focus_heading"] = not form.autofocus_first_error()
        return render(self.request, "sessions_app/includes/rsvp_response.html", context)


@method_decorator(login_not_required, name="dispatch")
class AnswerLinkView(View):
    """The page behind an answer link in a mail: opening it records nothing,
    only pressing the button does (mail scanners open links)."""

    template_name = "sessions_app/answer_link.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            self.meeting, self.person = read_answer_token(kwargs["token"])
            if request.user.is_authenticated and request.user != self.person:
                raise AnswerLinkForSomeoneElse
        except DomainError as error:
            return render(request, "sessions_app/answer_link_invalid.html", {"error": error.message}, status=410)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token):
        answer = request.GET.get("antwoord")
        form = RsvpForm(initial={"answer": answer if answer in Rsvp.Answer.values else None})
        return self._render(form)

    def post(self, request, token):
        form = RsvpForm(request.POST)
        if form.is_valid():
            try:
                rsvp = services.set_rsvp(
                    meeting=self.meeting,
                    user=self.person,
                    answer=form.cleaned_data["answer"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return self._render(form, saved=rsvp)
        return self._render(form)

    def _render(self, form, saved=None):
        return render(
            self.request,
            self.template_name,
            {"meeting": self.meeting, "person": self.person, "form": form, "saved": saved},
        )


class BoardMeetingFormView(MeetingMixin, FormView):
    """Base for the board's forms on one meeting."""

    permission_required = "sessions_app.manage_calendar"
    template_name = "sessions_app/meeting_form.html"
    heading = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(meeting=self.meeting, heading=self.heading, **kwargs)

    def done(self, message):
        messages.success(self.request, message)
        return redirect("sessions_app:detail", pk=self.meeting.pk)


class RescheduleView(BoardMeetingFormView):
    heading = _("Move meeting")

    def get_form(self, form_class=None):
        return RescheduleForm.for_meeting(self.meeting, self.request.POST or None)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            changed = services.reschedule_meeting(
                meeting=self.meeting,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                city=data["city"],
                address=data["address"],
                by=self.request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        if not changed:
            return self.done(_("Nothing changed."))
        return self.done(_("The meeting is moved. Everyone expected got a mail with the old and new details."))


class MeetingContentView(BoardMeetingFormView):
    heading = _("Agenda and sub-topics")

    def get_form(self, form_class=None):
        return MeetingContentForm(self.request.POST or None, instance=self.meeting)

    def form_valid(self, form):
        data = form.cleaned_data
        # The form validated on a copy; the service saves.
        self.meeting.refresh_from_db()
        services.update_meeting_content(
            meeting=self.meeting,
            agenda=data["agenda"],
            subtopics=data["subtopics"],
            online_url=data["online_url"],
            by=self.request.user,
        )
        return self.done(_("Agenda saved."))


class MinutesView(BoardMeetingFormView):
    heading = _("Minutes")

    def get_form(self, form_class=None):
        initial = {"minutes": self.meeting.minutes, "publish": self.meeting.minutes_published}
        return MinutesForm(self.request.POST or None, initial=initial)

    def form_valid(self, form):
        services.save_minutes(
            meeting=self.meeting,
            minutes=form.cleaned_data["minutes"],
            publish=form.cleaned_data["publish"],
            by=self.request.user,
        )
        return self.done(_("Minutes saved."))


class AttendanceView(BoardMeetingFormView):
    heading = _("Register attendance")

    def get_form(self, form_class=None):
        current = dict(self.meeting.attendances.values_list("user_id", "status"))
        return AttendanceForm(self.request.POST or None, people=selectors.participants(self.meeting), current=current)

    def form_valid(self, form):
        try:
            services.record_attendance(meeting=self.meeting, statuses=form.statuses(), by=self.request.user)
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        return self.done(_("Attendance saved."))


class CancelMeetingView(MeetingMixin, View):
    permission_required = "sessions_app.manage_calendar"

    def post(self, request, pk):
        if not self.meeting.is_cancelled:
            services.cancel_meeting(meeting=self.meeting, by=request.user)
            messages.success(request, _("The meeting is cancelled. Everyone expected has been sent a mail."))
        return redirect("sessions_app:detail", pk=pk)


class NewMeetingView(PermissionMixin, FormView):
    permission_required = "sessions_app.manage_calendar"
    template_name = "sessions_app/meeting_form.html"
    form_class = NewMeetingForm
    extra_context = {"heading": _("Add a meeting")}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            meeting = services.add_meeting(
                title=data["title"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                is_physical=data["is_physical"],
                city=data["city"],
                address=data["address"],
                by=self.request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("The meeting is added and everyone expected has been sent a mail."))
        return redirect("sessions_app:detail", pk=meeting.pk)


class AttachmentUploadView(BoardMeetingFormView):
    heading = _("Add an attachment")

    def get_form(self, form_class=None):
        return AttachmentForm(self.request.POST or None, self.request.FILES or None)

    def form_valid(self, form):
        services.add_attachment(
            meeting=self.meeting, title=form.cleaned_data["title"], file=form.cleaned_data["file"], by=self.request.user
        )
        return self.done(_("Attachment added."))


class AttachmentDownloadView(PermissionMixin, View):
    permission_required = "sessions_app.view_attachments"

    def get(self, request, pk):
        attachment = get_object_or_404(Attachment, pk=pk)
        extension = attachment.file.name.rsplit(".", 1)[-1]
        response = FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=f"{attachment.title}.{extension}"
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class AttendanceOverviewView(PermissionMixin, TemplateView):
    permission_required = "sessions_app.manage_calendar"
    template_name = "sessions_app/attendance_overview.html"

    def get_context_data(self, **kwargs):
        held, rows = selectors.attendance_overview()
        return super().get_context_data(held=held, rows=rows, **kwargs)


class MeetingIcsView(MeetingMixin, View):
    def get(self, request, pk):
        include_link = request.user.has_perm("sessions_app.view_online_link")
        return _ics_response(build_calendar([self.meeting], include_link=include_link), f"denktank-{pk}.ics")


class FeedSettingsView(PermissionMixin, TemplateView):
    permission_required = "sessions_app.subscribe_feed"
    template_name = "sessions_app/feed.html"

    def get_context_data(self, **kwargs):
        feed = selectors.feed_for(self.request.user)
        url = self.request.build_absolute_uri(reverse("sessions_app:feed", args=[feed.token]))
        webcal_url = "webcal://" + url.split("://", 1)[1]
        return super().get_context_data(feed_url=url, webcal_url=webcal_url, **kwargs)

    def post(self, request):
        services.regenerate_feed(user=request.user)
        messages.success(request, _("You have a new feed address. The old one no longer works."))
        return redirect("sessions_app:feed_settings")


@method_decorator(login_not_required, name="dispatch")
class FeedView(View):
    """A person's private calendar feed, fetched by calendar apps without logging in."""

    def get(self, request, token):
        feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
        if feed is None or not feed.user.has_perm("sessions_app.subscribe_feed"):
            raise Http404
        include_link = feed.user.has_perm("sessions_app.view_online_link")
        return _ics_response(build_calendar(Meeting.objects.all(), include_link=include_link), "denktank.ics")


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
