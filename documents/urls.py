from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.ReportView.as_view(), name="report"),
    path("nieuw/", views.NewSectionView.as_view(), name="new_section"),
    path("aanbevelingen/", views.RecommendationsView.as_view(), name="recommendations"),
    path("bronnen/", views.SourcesView.as_view(), name="sources"),
    path("bronnen/nieuw/", views.SourceEditView.as_view(), name="source_new"),
    path("bronnen/<int:pk>/", views.SourceEditView.as_view(), name="source_edit"),
    path("pdf/", views.ExportsView.as_view(), name="exports"),
    path("pdf/<int:pk>/status/", views.ExportStatusView.as_view(), name="export_status"),
    path("pdf/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export_download"),
    path("publiceren/", views.PublishView.as_view(), name="publish"),
    path("<int:pk>/", views.SectionView.as_view(), name="section"),
    path("<int:pk>/bewerken/", views.EditView.as_view(), name="edit"),
    path("<int:pk>/concept/", views.AutosaveView.as_view(), name="autosave"),
    path("<int:pk>/concept/weggooien/", views.DiscardDraftView.as_view(), name="discard_draft"),
    path("<int:pk>/voorbeeld/", views.PreviewView.as_view(), name="preview"),
    path("<int:pk>/geschiedenis/", views.HistoryView.as_view(), name="history"),
    path("<int:pk>/geschiedenis/<int:number>/terugzetten/", views.RestoreView.as_view(), name="restore"),
    path("<int:pk>/reactie/", views.CommentView.as_view(), name="comment"),
    path("<int:pk>/reactie/<int:comment_pk>/afgehandeld/", views.ResolveCommentView.as_view(), name="resolve_comment"),
    path("<int:pk>/voorstel/", views.AmendmentView.as_view(), name="amendment"),
    path("<int:pk>/voorstel/<int:amendment_pk>/", views.AmendmentDetailView.as_view(), name="amendment_detail"),
    path("<int:pk>/voorstel/<int:amendment_pk>/besluit/", views.DecideAmendmentView.as_view(), name="decide"),
    path("<int:pk>/status/", views.StatusView.as_view(), name="status"),
    path("<int:pk>/instellingen/", views.SectionSettingsView.as_view(), name="settings"),
    path("<int:pk>/verplaatsen/", views.MoveSectionView.as_view(), name="move"),
    path("<int:pk>/verwijderen/", views.RemoveSectionView.as_view(), name="remove"),
]
