import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from denktank.exceptions import DomainError
from denktank.http import link_invalid, over_rate_limit
from denktank.mixins import NoStoreMixin, PermissionMixin, no_store, no_store_page
from denktank.page_cache import CachedPageMixin

from . import selectors, services
from .exceptions import AnswerLinkForSomeoneElse, ReasonRequired
from .forms import (
    AttachmentForm,
    AttendanceForm,
    GuestAttendanceForm,
    GuestFilterForm,
    GuestRegistrationForm,
    MeetingContentForm,
    MinutesForm,
    NewMeetingForm,
    PresentationSettingsForm,
    ReactionForm,
    RescheduleForm,
    RsvpForm,
)
from .ics import build_calendar
from .links import (
    CONFIRM_MAX_AGE,
    guest_url,
    make_guest_token,
    read_answer_token,
    read_confirm_token,
    read_guest_token,
)
from .models import Attachment, CalendarFeed, Guest, Meeting, Reaction, Rsvp

# Registrations per client address per hour for the final presentation: a
# colleague or two from one office, not a script.
REGISTER_LIMIT = 10
REGISTER_WINDOW = 60 * 60


class CalendarView(PermissionMixin, CachedPageMixin, TemplateView):
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


class MeetingDetailView(PermissionMixin, CachedPageMixin, DetailView):
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
            return link_invalid(
                request, error, back_url=reverse("sessions_app:calendar"), back_label=_("Open the calendar")
            )
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


class BoardMeetingFormView(MeetingMixin, CachedPageMixin, FormView):
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


class NewMeetingView(PermissionMixin, CachedPageMixin, FormView):
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
        no_store(response)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class AttendanceOverviewView(PermissionMixin, CachedPageMixin, TemplateView):
    permission_required = "sessions_app.manage_calendar"
    template_name = "sessions_app/attendance_overview.html"

    def get_context_data(self, **kwargs):
        held, rows = selectors.attendance_overview()
        return super().get_context_data(held=held, rows=rows, **kwargs)


class MeetingIcsView(MeetingMixin, View):
    def get(self, request, pk):
        include_link = request.user.has_perm("sessions_app.view_online_link")
        return _ics_response(build_calendar([self.meeting], include_link=include_link), f"denktank-{pk}.ics")


class FeedSettingsView(PermissionMixin, CachedPageMixin, TemplateView):
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
    no_store(response)
    return response


# --- The public final presentation ---------------------------------------------


def _public(view_class):
    """A page for visitors without an account; it shows personal data, so no browser or proxy keeps a copy."""
    view_class = method_decorator(login_not_required, name="dispatch")(view_class)
    return method_decorator(no_store_page, name="dispatch")(view_class)


@_public
class RegisterView(CachedPageMixin, FormView):
    template_name = "sessions_app/presentation_register.html"
    form_class = GuestRegistrationForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.presentation = selectors.open_registration()

    def get_context_data(self, **kwargs):
        presentation = self.presentation
        return super().get_context_data(
            presentation=presentation,
            meeting=presentation.meeting if presentation else selectors.final_meeting(),
            contact_email=settings.CONTACT_EMAIL,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if self.presentation is None:
            return self.get(request, *args, **kwargs)
        if over_rate_limit(request, scope="register", limit=REGISTER_LIMIT, window=REGISTER_WINDOW):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, _("Too many registrations from this address. Try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.register_guest(presentation=self.presentation, **form.registration_data())
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        # The same page for a new and for a known address: it reveals nothing.
        return redirect("sessions_app:registered")


@_public
class RegisteredView(TemplateView):
    template_name = "sessions_app/presentation_registered.html"
    extra_context = {"valid_days": CONFIRM_MAX_AGE.days}


class GuestLinkMixin:
    """Loads the guest from the signed link; a bad, expired or old link gets a clear page (410), never an error."""

    def read_token(self, token):
        return read_guest_token(token)

    def dispatch(self, request, *args, **kwargs):
        try:
            self.guest = self.read_token(kwargs["token"])
        except DomainError as error:
            return link_invalid(
                request, error, back_url=reverse("sessions_app:register"), back_label=_("To the registration page")
            )
        self.presentation = self.guest.presentation
        self.meeting = self.presentation.meeting
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(guest=self.guest, meeting=self.meeting, token=self.kwargs["token"])
        return context

    def to_guest_page(self):
        return redirect("sessions_app:guest", token=make_guest_token(self.guest))


@_public
class GuestConfirmView(GuestLinkMixin, TemplateView):
    """Behind the confirmation link: opening it confirms nothing, the button does (mail scanners open links)."""

    template_name = "sessions_app/guest_confirm.html"

    def read_token(self, token):
        return read_confirm_token(token)

    def get(self, request, *args, **kwargs):
        if self.guest.status != Guest.Status.UNCONFIRMED:
            return self.to_guest_page()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            guest = services.confirm_guest(guest=self.guest)
        except DomainError as error:
            return self.render_to_response(self.get_context_data(error=error.message))
        self.guest = guest
        if guest.status == Guest.Status.CONFIRMED:
            messages.success(request, _("Your registration is confirmed: you have a place. We sent you a mail."))
        elif guest.status == Guest.Status.WAITING:
            messages.info(request, _("Your address is confirmed. All places are taken: you are on the waiting list."))
        return self.to_guest_page()


@_public
class GuestView(GuestLinkMixin, TemplateView):
    """A guest's own page: their status, the calendar file, cancelling, and reacting."""

    template_name = "sessions_app/guest.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            position=selectors.waiting_position(self.guest),
            reactions_open=selectors.reactions_open(self.presentation),
            delete_on=self.meeting.starts_at + services.GUEST_RETENTION,
            **kwargs,
        )


@_public
class GuestIcsView(GuestLinkMixin, View):
    def get(self, request, token):
        if self.guest.status != Guest.Status.CONFIRMED:
            raise Http404
        content = build_calendar([self.meeting], include_link=False, url=guest_url(self.guest))
        return _ics_response(content, f"denktank-{self.meeting.pk}.ics")


@_public
class GuestCancelView(GuestLinkMixin, TemplateView):
    template_name = "sessions_app/guest_cancel.html"

    def post(self, request, *args, **kwargs):
        try:
            services.cancel_guest(guest=self.guest)
        except DomainError as error:
            return self.render_to_response(self.get_context_data(error=error.message))
        messages.success(request, _("You have cancelled your registration. Thank you for letting us know."))
        return self.to_guest_page()


class ReactionsMixin:
    """One form per recommendation; a POST saves the one that was sent."""

    template_name = "sessions_app/reactions.html"

    def respondent(self) -> dict:
        raise NotImplementedError

    def presentation_for_reactions(self):
        raise NotImplementedError

    def get_context_data(self, posted: ReactionForm | None = None, **kwargs):
        recommendations = selectors.reactable_recommendations()
        mine = selectors.my_reactions(**self.respondent())
        items = []
        matched = False
        for recommendation in recommendations:
            if posted is not None and posted.data.get("recommendation") == str(recommendation.pk):
                form, matched = posted, True
            else:
                reaction = mine.get(recommendation.pk)
                form = ReactionForm(
                    initial={
                        "recommendation": recommendation.pk,
                        "stance": getattr(reaction, "stance", None),
                        "comment": getattr(reaction, "comment", ""),
                    },
                    recommendations=recommendations,
                    auto_id=f"r{recommendation.pk}_%s",
                )
            items.append((recommendation, form, mine.get(recommendation.pk)))
        # A form for no recommendation on the page (a stale or forged id) shows its errors above the list.
        top_errors = []
        if posted is not None and not matched:
            top_errors = [error for errors in posted.errors.values() for error in errors]
        return super().get_context_data(
            items=items,
            reactions_open=selectors.reactions_open(self.presentation_for_reactions()),
            top_errors=top_errors,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        recommendations = selectors.reactable_recommendations()
        raw = request.POST.get("recommendation", "")
        form = ReactionForm(
            request.POST, recommendations=recommendations, auto_id=f"r{raw if raw.isdigit() else 'x'}_%s"
        )
        if form.is_valid():
            try:
                services.save_reaction(
                    recommendation=form.chosen_recommendation,
                    stance=form.cleaned_data["stance"],
                    comment=form.cleaned_data["comment"],
                    **self.respondent(),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your reaction is saved. You can change it until the report is published."))
                return redirect(f"{request.path}#aanbeveling-{form.cleaned_data['recommendation']}")
        return self.render_to_response(self.get_context_data(posted=form))


@_public
class GuestReactionsView(GuestLinkMixin, ReactionsMixin, TemplateView):
    def respondent(self):
        return {"guest": self.guest}

    def presentation_for_reactions(self):
        return self.presentation

    def get_context_data(self, **kwargs):
        return super().get_context_data(may_react=self.guest.address_confirmed, **kwargs)


class MemberReactionsView(PermissionMixin, ReactionsMixin, CachedPageMixin, TemplateView):
    permission_required = "sessions_app.react_to_recommendations"

    def respondent(self):
        return {"user": self.request.user}

    def presentation_for_reactions(self):
        return selectors.presentation()

    def get_context_data(self, **kwargs):
        return super().get_context_data(may_react=True, **kwargs)


class PresentationBoardMixin(PermissionMixin):
    """The board's pages about the final presentation; without a final meeting there is nothing to show."""

    permission_required = "sessions_app.manage_presentation"

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(self.permission_required):
            self.presentation = selectors.presentation()
            if self.presentation is None:
                raise Http404
            self.meeting = self.presentation.meeting
        return super().dispatch(request, *args, **kwargs)


class PresentationManageView(NoStoreMixin, PresentationBoardMixin, CachedPageMixin, TemplateView):
    """Registration settings, the guest list by status, and attendance at the door."""

    template_name = "sessions_app/presentation_manage.html"

    def get_context_data(self, settings_form=None, **kwargs):
        filter_form = GuestFilterForm(self.request.GET or None)
        status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
        presentation = self.presentation
        counts = selectors.guest_counts(presentation)
        return super().get_context_data(
            presentation=presentation,
            meeting=self.meeting,
            settings_form=settings_form
            or PresentationSettingsForm(
                initial={
                    "registration_open": presentation.registration_open,
                    "capacity": presentation.capacity,
                    "reactions_open": presentation.reactions_open,
                }
            ),
            filter_form=filter_form,
            status=status,
            guests=list(selectors.guests(presentation, status or None)),
            counts=counts,
            total=sum(counts.values()),
            statuses=Guest.Status.choices,
            # Saving marks every guest with a place who is not ticked as absent: only where all of them are listed.
            can_mark_attendance=counts[Guest.Status.CONFIRMED] > 0 and status in ("", Guest.Status.CONFIRMED),
            reactions_open=selectors.reactions_open(presentation),
            register_url=self.request.build_absolute_uri(reverse("sessions_app:register")),
            attendance_from=timezone.localdate(self.meeting.starts_at),
            **kwargs,
        )

    def post(self, request):
        form = PresentationSettingsForm(request.POST)
        if form.is_valid():
            try:
                moved_up = services.update_presentation(
                    presentation=self.presentation, by=request.user, **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Saved."))
                if moved_up:
                    messages.info(
                        request,
                        ngettext(
                            "%(count)d guest moved up from the waiting list and got a mail.",
                            "%(count)d guests moved up from the waiting list and got a mail.",
                            len(moved_up),
                        )
                        % {"count": len(moved_up)},
                    )
                return redirect("sessions_app:presentation_manage")
        return self.render_to_response(self.get_context_data(settings_form=form))


class PresentationAttendanceView(PresentationBoardMixin, View):
    def post(self, request):
        form = GuestAttendanceForm(request.POST, guests=selectors.door_list(self.presentation))
        if form.is_valid():
            try:
                present = services.record_guest_attendance(
                    presentation=self.presentation, present_ids=set(form.cleaned_data["present"]), by=request.user
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    ngettext("Saved: %(count)d guest present.", "Saved: %(count)d guests present.", present)
                    % {"count": present},
                )
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(reverse("sessions_app:presentation_manage") + "?status=confirmed#aanwezigheid")


class PresentationExportView(PresentationBoardMixin, View):
    """The door list as CSV: who has a place, and nothing more than the door needs."""

    def get(self, request):
        guests = services.export_door_list(presentation=self.presentation, by=request.user)
        # Excel in Dutch opens semicolon-separated UTF-8 with a byte order mark without asking.
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="eindpresentatie-deurlijst.csv"'
        no_store(response)
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
        writer.writerow([_("Name"), _("Organisation"), _("VVD member"), _("Present")])
        for guest in guests:
            writer.writerow(
                [
                    _spreadsheet_safe(guest.name),
                    _spreadsheet_safe(guest.organisation),
                    _("yes") if guest.is_party_member else _("no"),
                    "",
                ]
            )
        return response


def _spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, - or @ would make it a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class PresentationReactionsView(NoStoreMixin, PresentationBoardMixin, CachedPageMixin, TemplateView):
    """Per recommendation: the counts as a bar, the comments, and a summary in Markdown for the annex."""

    template_name = "sessions_app/presentation_reactions.html"

    def get_context_data(self, **kwargs):
        summary = selectors.reaction_summary()
        markdown = render_to_string("sessions_app/includes/reactions_summary.txt", {"summary": summary}).strip()
        return super().get_context_data(
            summary=summary,
            summary_markdown=markdown,
            reactions_open=selectors.reactions_open(self.presentation),
            presentation=self.presentation,
            **kwargs,
        )


class ReactionTakenOnView(PresentationBoardMixin, View):
    def post(self, request, pk):
        reaction = get_object_or_404(Reaction, pk=pk)
        taken_on = request.POST.get("taken_on") == "1"
        services.set_reaction_taken_on(reaction=reaction, taken_on=taken_on, by=request.user)
        return redirect(reverse("sessions_app:presentation_reactions") + f"#reactie-{reaction.pk}")
