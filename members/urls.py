from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("aanmelden/", views.ApplyView.as_view(), name="apply"),
    path("aanmelden/ontvangen/", views.AppliedView.as_view(), name="applied"),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("werving/", views.ApplicationListView.as_view(), name="list"),
    path("werving/samenstelling/", views.CompositionView.as_view(), name="composition"),
    path("werving/berichten/", views.DecisionMailsView.as_view(), name="decision_mails"),
    path("werving/berichten/<str:key>/", views.MailTemplateView.as_view(), name="mail_template"),
    path("werving/procedure/", views.ProcedureView.as_view(), name="procedure"),
    path("werving/profielen/", views.ProfilesView.as_view(), name="profiles"),
    path("werving/profielen/<int:pk>/", views.ProfileEditView.as_view(), name="profile_edit"),
    path("werving/talent/", views.TalentNotesView.as_view(), name="talent_notes"),
    path("werving/<int:pk>/", views.ApplicationDetailView.as_view(), name="detail"),
    path("werving/<int:pk>/scores/", views.ScorecardView.as_view(), name="score"),
    path("werving/<int:pk>/belangenconflict/", views.ConflictView.as_view(), name="conflict"),
    path("werving/<int:pk>/fase/", views.StageView.as_view(), name="stage"),
    path("werving/<int:pk>/lidmaatschap/", views.MembershipCheckedView.as_view(), name="membership"),
    path("werving/<int:pk>/selecteren/", views.SelectView.as_view(), name="select"),
    path("werving/<int:pk>/vertrokken/", views.LeaveView.as_view(), name="leave"),
    path("werving/<int:pk>/cv/", views.CvView.as_view(), name="cv"),
    path("werving/<int:pk>/export/", views.ExportView.as_view(), name="export"),
    path("werving/<int:pk>/wissen/", views.EraseView.as_view(), name="erase"),
]
