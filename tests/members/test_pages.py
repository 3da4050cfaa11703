"""Every recruitment page, opened by every role: the status each role gets, and headers and markup they all need."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse

from members import urls as members_urls
from members.models import ExpertiseProfile

from .conftest import ApplicationFactory

ROLES = ["anonymous", "mp_user", "member_user", "recruiter_user", "board_user"]
LOGIN = "login"  # a redirect to the login page

# GET status per role, in the order of ROLES (the roles table of the product brief):
# applicant pages are public, applicant data is for Werving and Bestuur, talent notes,
# profile texts, mail texts, export and erasure for Bestuur. Views that only take a
# POST answer 405 to those who may use them.
RECRUITER = [LOGIN, 403, 403, 200, 200]
BOARD = [LOGIN, 403, 403, 403, 200]
RECRUITER_POST = [LOGIN, 403, 403, 405, 405]
BOARD_POST = [LOGIN, 403, 403, 403, 405]
PUBLIC = [200, 200, 200, 200, 200]

GET_STATUS = {
    "apply": PUBLIC,
    "applied": PUBLIC,
    "privacy": PUBLIC,
    "list": RECRUITER,
    "composition": RECRUITER,
    "decision_mails": RECRUITER,
    "mail_template": BOARD,
    "procedure": BOARD_POST,
    "profiles": RECRUITER,
    "profile_edit": BOARD,
    "talent_notes": BOARD,
    "detail": RECRUITER,
    "score": RECRUITER_POST,
    "conflict": RECRUITER_POST,
    "stage": RECRUITER_POST,
    "membership": RECRUITER_POST,
    "select": RECRUITER_POST,
    "leave": BOARD_POST,
    "cv": RECRUITER,
    "export": BOARD,
    "erase": BOARD_POST,
}

# Pages that show applicant or member data: no copy may stay in a cache.
NO_STORE = ["apply", "list", "composition", "decision_mails", "talent_notes", "detail", "cv", "export"]


@pytest.fixture
def applicant(db):
    application = ApplicationFactory(name="Anna de Vries", profiles=["hr"])
    application.cv.save("cv.pdf", ContentFile(b"%PDF-1.4 cv"))
    return application


def url_for(name, applicant):
    args = {
        "mail_template": ["waitlist"],
        "profile_edit": [ExpertiseProfile.objects.get(key="hr").pk],
    }.get(name)
    if args is None and "<int:pk>" in str(next(p.pattern for p in members_urls.urlpatterns if p.name == name)):
        args = [applicant.pk]
    return reverse(f"members:{name}", args=args)


def test_every_members_url_has_a_row():
    names = {pattern.name for pattern in members_urls.urlpatterns if isinstance(pattern, URLPattern)}

    assert names == set(GET_STATUS)


@pytest.mark.parametrize("name", sorted(GET_STATUS))
def test_every_page_answers_each_role_as_the_roles_table_says(client, request, name, applicant):
    url = url_for(name, applicant)
    statuses = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        response = client.get(url)
        is_login = response.status_code == 302 and response.url.startswith("/account/login/")
        statuses.append(LOGIN if is_login else response.status_code)

    assert statuses == GET_STATUS[name]


def test_board_opens_the_profile_edit_page_with_its_text(client_for, board_user, db):
    profile = ExpertiseProfile.objects.get(key="hr")

    response = client_for(board_user).get(reverse("members:profile_edit", args=[profile.pk]))

    assert response.status_code == 200
    assert response.context["heading"] == "HR of arbeidsmarktpraktijk"
    assert response.context["form"]["description"].value() == profile.description


def test_board_opens_the_mail_text_page_with_its_text(client_for, board_user, db):
    response = client_for(board_user).get(reverse("members:mail_template", args=["rejection"]))

    assert response.status_code == 200
    assert response.context["heading"] == "Mailtekst bewerken"
    assert response.context["form"]["subject"].value() == response.context["object"].subject


@pytest.mark.parametrize("name", NO_STORE)
def test_pages_with_personal_data_are_not_stored(client_for, board_user, name, applicant):
    response = client_for(board_user).get(url_for(name, applicant))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_no_members_template_has_inline_scripts_or_handlers():
    templates = Path(members_urls.__file__).parent / "templates"
    offending = []
    for path in sorted(templates.rglob("*.html")):
        text = path.read_text().lower()
        for pattern in ("onclick=", "onsubmit=", "onchange=", "oninput=", "<script"):
            if pattern in text:
                offending.append((path.name, pattern))

    assert offending == []


def test_erasing_asks_for_confirmation_through_the_form(client_for, board_user, applicant):
    html = client_for(board_user).get(reverse("members:detail", args=[applicant.pk])).content.decode()

    assert (
        f'<form method="post" action="/werving/{applicant.pk}/wissen/" class="text-end" '
        'data-confirm="Deze aanmelding en het cv definitief wissen?">'
    ) in html
