from django.urls import path

from . import views

app_name = "sessions_app"

urlpatterns = [
    path("", views.CalendarView.as_view(), name="calendar"),
    path("nieuw/", views.NewMeetingView.as_view(), name="new"),
    path("aanwezigheid/", views.AttendanceOverviewView.as_view(), name="attendance_overview"),
    path("agenda-abonnement/", views.FeedSettingsView.as_view(), name="feed_settings"),
    path("feed/<str:token>.ics", views.FeedView.as_view(), name="feed"),
    path("antwoord/<str:token>/", views.AnswerLinkView.as_view(), name="answer_link"),
    path("bijlage/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment"),
    # The final presentation: public registration, guests' own pages, reactions and the board's side.
    path("eindpresentatie/", views.RegisterView.as_view(), name="register"),
    path("eindpresentatie/aangemeld/", views.RegisteredView.as_view(), name="registered"),
    path("eindpresentatie/bevestigen/<str:token>/", views.GuestConfirmView.as_view(), name="guest_confirm"),
    path("eindpresentatie/gast/<str:token>/", views.GuestView.as_view(), name="guest"),
    path("eindpresentatie/gast/<str:token>/agenda.ics", views.GuestIcsView.as_view(), name="guest_ics"),
    path("eindpresentatie/gast/<str:token>/afmelden/", views.GuestCancelView.as_view(), name="guest_cancel"),
    path("eindpresentatie/gast/<str:token>/reageren/", views.GuestReactionsView.as_view(), name="guest_reactions"),
    path("eindpresentatie/reageren/", views.MemberReactionsView.as_view(), name="member_reactions"),
    path("eindpresentatie/beheer/", views.PresentationManageView.as_view(), name="presentation_manage"),
    path(
        "eindpresentatie/beheer/aanwezigheid/",
        views.PresentationAttendanceView.as_view(),
        name="presentation_attendance",
    ),
    path("eindpresentatie/beheer/deurlijst.csv", views.PresentationExportView.as_view(), name="presentation_export"),
    path("eindpresentatie/beheer/reacties/", views.PresentationReactionsView.as_view(), name="presentation_reactions"),
    path(
        "eindpresentatie/beheer/reacties/<int:pk>/overgenomen/",
        views.ReactionTakenOnView.as_view(),
        name="reaction_taken_on",
    ),
    path("<int:pk>/", views.MeetingDetailView.as_view(), name="detail"),
    path("<int:pk>/antwoord/", views.RsvpView.as_view(), name="rsvp"),
    path("<int:pk>/verplaatsen/", views.RescheduleView.as_view(), name="reschedule"),
    path("<int:pk>/agenda/", views.MeetingContentView.as_view(), name="content"),
    path("<int:pk>/verslag/", views.MinutesView.as_view(), name="minutes"),
    path("<int:pk>/aanwezigheid/", views.AttendanceView.as_view(), name="attendance"),
    path("<int:pk>/bijlage/", views.AttachmentUploadView.as_view(), name="attachment_upload"),
    path("<int:pk>/afgelasten/", views.CancelMeetingView.as_view(), name="cancel"),
    path("<int:pk>/agenda.ics", views.MeetingIcsView.as_view(), name="ics"),
]
