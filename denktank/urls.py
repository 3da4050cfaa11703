from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views
from .page_cache import cached_page

# The admin logs in through allauth: rate limits and two-factor apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Denktank EZI"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("uitnodigen/", views.InviteView.as_view(), name="invite"),
    path("uitnodiging/<str:token>/", views.AcceptInvitationView.as_view(), name="invitation_accept"),
    path("outbox/", views.OutboxView.as_view(), name="outbox"),
    path("outbox/<int:pk>/opnieuw/", views.ResendMailView.as_view(), name="outbox_resend"),
    path("outbox/onbekend/", views.UnknownMailsView.as_view(), name="outbox_unknown"),
    path("outbox/onbekend/opnieuw/", views.BulkResendView.as_view(), name="outbox_unknown_resend"),
    path("logboek/", views.AuditLogView.as_view(), name="audit_log"),
    path("mensen/", views.PeopleView.as_view(), name="people"),
    path("mensen/importeren/", views.ImportPeopleView.as_view(), name="people_import"),
    path("mensen/<int:pk>/", views.PersonView.as_view(), name="person"),
    path("mensen/<int:pk>/rollen/", views.PersonRolesView.as_view(), name="person_roles"),
    path("mensen/<int:pk>/actief/", views.PersonActiveView.as_view(), name="person_active"),
    path("mensen/<int:pk>/uitnodiging/", views.PersonInvitationView.as_view(), name="person_invitation"),
    path("mensen/<int:pk>/tweestapsverificatie/", views.PersonTwoFactorView.as_view(), name="person_two_factor"),
    path("kamerlid-updates/", views.KamerlidUpdateListView.as_view(), name="kamerlid_updates"),
    path("kamerlid-updates/nieuw/", views.KamerlidUpdateNewView.as_view(), name="kamerlid_update_new"),
    path("kamerlid-updates/<int:pk>/", views.KamerlidUpdateView.as_view(), name="kamerlid_update"),
    path("sessies/", include("sessions_app.urls")),
    path("einddocument/", include("documents.urls")),
    path("", include("members.urls")),
    # allauth's login page, served from the cache like the other read pages while the browser's
    # session holds nothing (a login waiting for its two-factor code is in the session).
    path(
        "account/login/",
        cached_page(account_views.login, cacheable=lambda request: not request.session.keys()),
        name="account_login",
    ),
    path("account/", include("allauth.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
