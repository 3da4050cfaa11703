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
