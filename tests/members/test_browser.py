"""From application to member: apply, score and select, accept the invitation, see the member dashboard."""

import re

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from denktank.models import OutgoingMail, Role
from members import services
from members.models import Application, ExpertiseProfile

from ..conftest import log_in, log_in_by_cookie
from .conftest import ApplicationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

APPLICANT_NAME = "Anna de Vries"
APPLICANT_EMAIL = "anna@example.nl"
NEW_PASSWORD = "Vrijheid-en-werk-2026"
INVITATION_LINK = re.compile(r"/uitnodiging/([^/\s]+)/")


def invitation_path(email):
    """The invitation link from the sent mail (the outbox row's body is cleared once sent)."""
    tokens = [
        match.group(1)
        for message in mail.outbox
        if email in message.to and (match := INVITATION_LINK.search(message.body))
    ]
    assert len(tokens) == 1, [message.subject for message in mail.outbox]
    return f"/uitnodiging/{tokens[0]}/"


def test_applicant_is_selected_and_becomes_a_member(page, browser, live_server, recruiter_user):
    claimed = list(ExpertiseProfile.objects.filter(key__in=["fiscaliteit", "hr"]).order_by("order"))

    # 1. An anonymous visitor applies.
    page.goto(f"{live_server.url}/aanmelden/")
    form = page.locator("form.apply-form")
    form.locator("input[name=name]").fill(APPLICANT_NAME)
    form.locator("input[name=email]").fill(APPLICANT_EMAIL)
    form.locator("input[name=phone]").fill("06 12345678")
    form.locator("input[name=date_of_birth]").fill("1994-03-15")
    form.locator("input[name=city]").fill("Utrecht")
    form.locator("select[name=province]").select_option("UT")
    form.locator("input[name=membership_number]").fill("123 456")
    for profile in claimed:
        form.locator(f"input[name=profiles][value='{profile.pk}']").check()
    form.locator("input[name=occupation]").fill("Belastingadviseur")
    form.locator("textarea[name=motivation]").fill("Ik wil meedenken over werk en AI.")
    form.locator("select[name=channel]").select_option("open")
    for name in ["commit_six_months", "commit_hours", "commit_physical", "consent_political_data", "consent_privacy"]:
        form.locator(f"input[name={name}]").check()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/aanmelden/ontvangen/")

    application = Application.objects.get(email=APPLICANT_EMAIL)
    assert sorted(application.profiles.values_list("pk", flat=True)) == sorted(p.pk for p in claimed)
    detail_path = f"/werving/{application.pk}/"

    # 2. A recruiter scores and selects the applicant.
    recruiter_context = browser.new_context()
    try:
        recruiter = recruiter_context.new_page()
        log_in(recruiter, live_server, recruiter_user.email, two_factor=True)
        recruiter.goto(f"{live_server.url}/werving/")
        recruiter.locator(f'a[href="{detail_path}"]').click()
        expect(recruiter).to_have_url(f"{live_server.url}{detail_path}")

        score_form = recruiter.locator(f'form[action="{detail_path}scores/"]')
        for score, profile in enumerate(claimed, start=4):
            score_form.locator(f"input[name=profile_{profile.pk}][value='{score}']").check()
        score_form.locator("select[name=recommendation]").select_option("strong_yes")
        with recruiter.expect_navigation():
            score_form.locator("button:not([type=button])").click()
        expect(recruiter).to_have_url(f"{live_server.url}{detail_path}")
        assert application.scorecards.filter(recruiter=recruiter_user).exists()

        select_form = recruiter.locator(f'form[action="{detail_path}selecteren/"]')
        with recruiter.expect_navigation():
            select_form.locator("button").click()
        expect(recruiter).to_have_url(f"{live_server.url}{detail_path}")
        expect(select_form).to_have_count(0)
    finally:
        recruiter_context.close()

    # 3. The database: selected, a Deelnemer account, an invitation mail.
    application.refresh_from_db()
    assert application.stage == Application.Stage.SELECTED
    assert application.user is not None
    assert application.user.email == APPLICANT_EMAIL
    assert application.user.groups.filter(name=Role.DEELNEMER).exists()
    assert OutgoingMail.objects.filter(
        to=APPLICANT_EMAIL, idempotency_key__startswith="invitation:", sensitive=True
    ).exists()

    # 4. The new member follows the link, sets a password and sees the member dashboard.
    path = invitation_path(APPLICANT_EMAIL)
    member_context = browser.new_context()
    try:
        member = member_context.new_page()
        member.goto(f"{live_server.url}{path}")
        password_form = member.locator("form:has(input[name=password1])")
        password_form.locator("input[name=password1]").fill(NEW_PASSWORD)
        password_form.locator("input[name=password2]").fill(NEW_PASSWORD)
        password_form.locator("button[type=submit]").click()
        expect(member).to_have_url(f"{live_server.url}/")
        expect(member.get_by_role("heading", level=2, name="Dashboard Deelnemer")).to_be_visible()
    finally:
        member_context.close()

    application.user.refresh_from_db()
    assert application.user.check_password(NEW_PASSWORD)


PHONE = {"width": 360, "height": 740}


def within_the_screen(locator):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_recruitment_pages_fit_a_phone(page, live_server, board_user):
    members = [ApplicationFactory(profiles=["hr", "fiscaliteit"]) for _ in range(12)]
    for member in members:
        services.select_applicant(application=member, by=board_user)
    extra = [ApplicationFactory(stage="interview", profiles=["filosofie"]) for _ in range(2)]
    applicant = ApplicationFactory(
        name="Anna Maria Johanna van der Heijden-Oosterhuis",
        email="anna.maria.johanna.vanderheijden-oosterhuis@voorbeeld-organisatie.example",
        occupation="Senior beleidsadviseur arbeidsmarkt en digitalisering bij een uitvoeringsorganisatie",
        profiles=["arbeidsmarkteconomie", "ai-praktijk", "werknemer"],
    )
    applicant.cv.save("cv.pdf", ContentFile(b"%PDF-1.4 cv"))
    page.set_viewport_size(PHONE)
    log_in_by_cookie(page.context, live_server.url, board_user)

    what_if = f"/werving/samenstelling/?erbij={extra[0].pk}&erbij={extra[1].pk}&zonder={members[0].pk}"
    for path in ["/werving/", f"/werving/{applicant.pk}/", "/werving/samenstelling/", what_if, "/werving/talent/"]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path

    # The list: stage and score of each applicant on screen, not beyond a sideways scroll.
    page.goto(f"{live_server.url}/werving/?q=Heijden")
    row = page.locator("tbody tr").first
    assert within_the_screen(row.locator(".badge.stage-new"))
    assert within_the_screen(row.get_by_text("verborgen"))

    # The detail page: stage, scores and both downloads reachable.
    page.goto(f"{live_server.url}/werving/{applicant.pk}/")
    for locator in [
        page.locator("select[name=stage]"),
        page.get_by_role("button", name="Verplaatsen"),
        page.locator("input[name^=profile_][value='5']").first,
        page.locator("select[name=recommendation]"),
        page.get_by_role("button", name="Scores opslaan"),
        page.get_by_role("link", name="Gegevens exporteren"),
        page.get_by_role("link", name="Cv downloaden (pdf)"),
    ]:
        locator.scroll_into_view_if_needed()
        assert within_the_screen(locator), locator
