from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from denktank.models import AuditEntry
from members import services
from members.exceptions import ConflictOfInterestDeclared, ProfileNotClaimed
from members.models import Application, ExpertiseProfile, MailTemplate, Scorecard, TalentNote

from .conftest import ApplicationFactory


@pytest.fixture
def applicant(db):
    return ApplicationFactory(name="Anna de Vries", profiles=["fiscaliteit", "hr"])


def score_data(application, value=4):
    data = {"recommendation": "yes", "note": "Sterk"}
    data.update({f"profile_{p.pk}": value for p in application.profiles.all()})
    return data


@pytest.mark.parametrize("fixture", ["member_user", "mp_user"])
def test_members_and_mps_never_see_applicants(client_for, request, fixture, applicant):
    client = client_for(request.getfixturevalue(fixture))

    responses = [
        client.get(reverse("members:list")),
        client.get(reverse("members:detail", args=[applicant.pk])),
        client.get(reverse("members:composition")),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert AuditEntry.objects.filter(action="application.viewed").count() == 0


def test_anonymous_gets_only_the_form(client, applicant):
    assert client.get(reverse("members:apply")).status_code == 200
    response = client.get(reverse("members:detail", args=[applicant.pk]))
    assert response.url == f"/account/login/?next=/werving/{applicant.pk}/"


def test_viewing_an_applicant_is_audited(client_for, recruiter_user, applicant):
    client_for(recruiter_user).get(reverse("members:detail", args=[applicant.pk]))

    entry = AuditEntry.objects.get(action="application.viewed")
    assert (entry.actor, entry.target_id) == (recruiter_user, str(applicant.pk))


def test_cv_is_served_privately_to_recruiters_and_audited(client_for, recruiter_user, member_user, applicant):
    applicant.cv.save("upload.pdf", ContentFile(b"%PDF-1.4 cv"))

    response = client_for(recruiter_user).get(reverse("members:cv", args=[applicant.pk]))

    assert (response["Content-Type"], response["X-Content-Type-Options"], response["Cache-Control"]) == (
        "application/pdf",
        "nosniff",
        "private, no-store",
    )
    assert response["Content-Disposition"] == f'attachment; filename="cv-{applicant.pk}.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.4 cv"
    assert AuditEntry.objects.filter(action="application.cv_viewed", actor=recruiter_user).count() == 1
    assert client_for(member_user).get(reverse("members:cv", args=[applicant.pk])).status_code == 403


def test_scores_stay_hidden_until_you_scored(client_for, recruiter_user, board_user, applicant):
    services.save_scorecard(
        application=applicant,
        recruiter=board_user,
        recommendation="yes",
        note="Goed",
        scores={p.pk: 5 for p in applicant.profiles.all()},
    )
    client = client_for(recruiter_user)

    before = client.get(reverse("members:detail", args=[applicant.pk])).context["summary"]
    client.post(reverse("members:score", args=[applicant.pk]), score_data(applicant, 3))
    after = client.get(reverse("members:detail", args=[applicant.pk])).context["summary"]

    assert (before.visible, before.scorecards[0].recruiter) == (False, board_user)
    assert after.visible is True
    assert [(p.key, avg) for p, avg in after.per_profile] == [("fiscaliteit", 4.0), ("hr", 4.0)]
    assert after.overall == 4.0


def test_list_hides_average_until_scored(client_for, recruiter_user, board_user, applicant):
    services.save_scorecard(
        application=applicant, recruiter=board_user, recommendation="yes", note="",
        scores={p.pk: 5 for p in applicant.profiles.all()},
    )  # fmt: skip

    html = client_for(recruiter_user).get(reverse("members:list")).content.decode()

    assert "verborgen" in html


def test_conflict_of_interest_blocks_scoring(recruiter_user, applicant):
    services.declare_conflict(application=applicant, recruiter=recruiter_user)

    with pytest.raises(ConflictOfInterestDeclared):
        services.save_scorecard(
            application=applicant, recruiter=recruiter_user, recommendation="yes", note="",
            scores={p.pk: 4 for p in applicant.profiles.all()},
        )  # fmt: skip
    assert applicant.scorecards.count() == 0


def test_scores_only_for_claimed_profiles(recruiter_user, applicant):
    other = ExpertiseProfile.objects.get(key="filosofie")

    with pytest.raises(ProfileNotClaimed):
        services.save_scorecard(
            application=applicant, recruiter=recruiter_user, recommendation="yes", note="", scores={other.pk: 4}
        )
    assert applicant.scorecards.count() == 0


def test_stage_history_records_who_and_when(client_for, recruiter_user, applicant):
    client_for(recruiter_user).post(reverse("members:stage", args=[applicant.pk]), {"stage": "interview"})

    applicant.refresh_from_db()
    change = applicant.stage_changes.get()
    assert (applicant.stage, change.from_stage, change.to_stage, change.changed_by) == (
        "interview", "new", "interview", recruiter_user
    )  # fmt: skip


def test_filters(client_for, recruiter_user, db):
    ApplicationFactory(name="Jong", date_of_birth=date(1995, 1, 1), profiles=["hr"], province="GR")
    ApplicationFactory(name="Ouder", date_of_birth=date(1970, 1, 1), profiles=["fiscaliteit"], province="UT")
    client = client_for(recruiter_user)

    def names(**params):
        return [a.name for a in client.get(reverse("members:list"), params).context["object_list"]]

    hr = ExpertiseProfile.objects.get(key="hr").pk
    young = ExpertiseProfile.objects.get(key="jong").pk
    assert names(age="young") == ["Jong"]
    assert names(profile=hr) == ["Jong"]
    assert names(profile=young) == ["Jong"]
    assert names(province="UT") == ["Ouder"]
    assert names(q="oud") == ["Ouder"]
    assert names(sort="name") == ["Jong", "Ouder"]


@pytest.mark.parametrize("url_name", ["members:list", "members:composition"])
def test_list_and_composition_queries_do_not_grow(client_for, recruiter_user, url_name, db):
    client = client_for(recruiter_user)
    # A first request may write the session (its activity stamp): measure the requests after it.
    client.get(reverse(url_name))
    counts = []
    for total in (1, 3, 50):
        while ApplicationFactory._meta.model.objects.count() < total:
            ApplicationFactory(profiles=["hr", "fiscaliteit"], stage="interview")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url_name)).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] == counts[2]


def test_board_edits_a_profile_description_and_recruiters_cannot(client_for, board_user, recruiter_user, db):
    profile = ExpertiseProfile.objects.get(key="hr")
    url = reverse("members:profile_edit", args=[profile.pk])

    assert client_for(recruiter_user).post(url, {"description": "Gewijzigd"}).status_code == 403
    client_for(board_user).post(url, {"description": "Werkgeversblik op de verandering."})

    profile.refresh_from_db()
    assert profile.description == "Werkgeversblik op de verandering."
    assert profile.name == "HR of arbeidsmarktpraktijk"


def test_scorecard_preselects_no_advice_and_explains_the_scale(client_for, recruiter_user, applicant):
    response = client_for(recruiter_user).get(reverse("members:detail", args=[applicant.pk]))

    field = response.context["scorecard_form"]["recommendation"]
    assert [value for value, _label in field.field.choices] == ["", "strong_yes", "yes", "doubt", "no"]
    assert field.value() is None
    html = response.content.decode()
    assert '<option value="" selected>Kies je advies</option>' in html
    assert html.count("1 = zwak, 5 = uitstekend") == 2  # one per claimed profile


def test_scorecard_without_advice_is_refused_and_keeps_what_was_typed(client_for, recruiter_user, applicant):
    data = {**score_data(applicant), "recommendation": "", "note": "Goed verhaal, twijfel over tijd."}

    response = client_for(recruiter_user).post(reverse("members:score", args=[applicant.pk]), data)

    assert response.status_code == 200
    form = response.context["scorecard_form"]
    assert form.errors == {"recommendation": ["Kies je advies."]}
    assert form["note"].value() == "Goed verhaal, twijfel over tijd."
    assert applicant.scorecards.count() == 0


def test_scorecard_note_over_the_limit_is_refused(client_for, recruiter_user, applicant):
    data = {**score_data(applicant), "note": "x" * 2001}

    response = client_for(recruiter_user).post(reverse("members:score", args=[applicant.pk]), data)

    assert response.context["scorecard_form"].errors == {
        "note": ["Zorg dat deze waarde niet meer dan 2000 tekens bevat (het zijn er nu 2001)."]
    }
    assert applicant.scorecards.count() == 0


def _score(application, recruiter, value):
    services.save_scorecard(
        application=application, recruiter=recruiter, recommendation="yes", note="",
        scores={p.pk: value for p in application.profiles.all()},
    )  # fmt: skip


def test_score_filter_and_sort_use_only_scores_the_viewer_may_see(client_for, recruiter_user, board_user, db):
    low = ApplicationFactory(name="Laag")
    high = ApplicationFactory(name="Hoog")
    mine = ApplicationFactory(name="Eigen")
    _score(low, board_user, 2)
    _score(high, board_user, 5)
    _score(mine, recruiter_user, 3)
    client = client_for(recruiter_user)

    def names(**params):
        return [a.name for a in client.get(reverse("members:list"), params).context["object_list"]]

    # The recruiter scored only "Eigen": the others' averages must not leak
    # through the filter or the order (unknown scores come last, by id).
    assert names(min_score="2.5") == ["Eigen"]
    assert names(min_score="4.5") == []
    assert names(sort="-avg_score") == ["Eigen", "Laag", "Hoog"]
    # The board scored the other two: for the board they count.
    assert [a.name for a in client_for(board_user).get(reverse("members:list"), {"sort": "-avg_score"}).context[
        "object_list"
    ]] == ["Hoog", "Laag", "Eigen"]  # fmt: skip


def test_paging_keeps_the_filters_and_the_sort(client_for, recruiter_user, db):
    for _ in range(51):
        ApplicationFactory(stage="review", province="GR")
    ApplicationFactory(stage="new", province="GR")

    response = client_for(recruiter_user).get(
        reverse("members:list"), {"stage": "review", "province": "GR", "sort": "name"}
    )
    second = client_for(recruiter_user).get(
        reverse("members:list"), {"stage": "review", "province": "GR", "sort": "name", "page": "2"}
    )

    assert '<a class="page-link" href="?stage=review&amp;province=GR&amp;sort=name&amp;page=2">' in (
        response.content.decode()
    )
    assert '<a class="page-link" href="?stage=review&amp;province=GR&amp;sort=name&amp;page=1">' in (
        second.content.decode()
    )
    assert [a.stage for a in second.context["object_list"]] == ["review"]
    assert "51 aanmeldingen" in response.content.decode()


INVALID_CHOICE = "Selecteer een geldige keuze. Deze keuze is niet beschikbaar."


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"profile": "99999999999999999999999"}, "profile", INVALID_CHOICE),
        ({"profile": "abc"}, "profile", INVALID_CHOICE),
        ({"profile": "-3"}, "profile", INVALID_CHOICE),
        ({"min_score": "abc"}, "min_score", "Voer een getal in."),
        ({"min_score": "NaN"}, "min_score", "Voer een getal in."),
        ({"min_score": "1e999999"}, "min_score", "Zorg ervoor dat deze waarde hoogstens 5 is."),
        ({"q": "x" * 101}, "q", "Zorg dat deze waarde niet meer dan 100 tekens bevat (het zijn er nu 101)."),
        ({"sort": "password"}, "sort", "Selecteer een geldige keuze. password is geen beschikbare keuze."),
        ({"stage": "x" * 5000}, "stage", None),
    ],
)
def test_bad_filter_values_get_a_form_error(client_for, recruiter_user, applicant, params, field, message):
    ApplicationFactory(name="Elders", province="GR")

    response = client_for(recruiter_user).get(reverse("members:list"), {"province": "UT", **params})

    assert response.status_code == 200
    form = response.context["filter_form"]
    assert list(form.errors) == [field]
    if message:
        assert form.errors[field] == [message]
    # The valid filters still apply.
    assert [a.name for a in response.context["object_list"]] == ["Anna de Vries"]


@pytest.mark.parametrize("path", ["/werving/99999999999999999999999/", "/werving/9223372036854775808/cv/"])
def test_huge_ids_in_the_path_answer_404(client_for, board_user, path, db):
    assert client_for(board_user).get(path).status_code == 404


def test_huge_page_numbers_answer_404(client_for, recruiter_user, applicant):
    client = client_for(recruiter_user)

    assert [client.get(reverse("members:list"), {"page": page}).status_code for page in ("abc", "9" * 30)] == [404, 404]


def test_profile_description_and_mail_text_have_a_limit(client_for, board_user, db):
    profile = ExpertiseProfile.objects.get(key="hr")
    client = client_for(board_user)

    profile_response = client.post(reverse("members:profile_edit", args=[profile.pk]), {"description": "x" * 1001})
    mail_response = client.post(
        reverse("members:mail_template", args=["rejection"]), {"subject": "Uitslag", "body": "x" * 5001}
    )

    assert profile_response.context["form"].errors == {
        "description": ["Zorg dat deze waarde niet meer dan 1000 tekens bevat (het zijn er nu 1001)."]
    }
    assert mail_response.context["form"].errors == {
        "body": ["Zorg dat deze waarde niet meer dan 5000 tekens bevat (het zijn er nu 5001)."]
    }
    profile.refresh_from_db()
    assert profile.description != "x" * 1001
    assert MailTemplate.objects.get(key="rejection").body != "x" * 5001


@pytest.mark.parametrize(
    ("make", "constraint"),
    [
        (lambda a, u: Scorecard.objects.create(application=a, recruiter=u, recommendation="yes", note="x" * 2001),
         "scorecard_note_max_length"),
        (lambda a, u: TalentNote.objects.create(member=u, author=u, text="x" * 2001), "talent_note_max_length"),
        (lambda a, u: MailTemplate.objects.filter(key="waitlist").update(body="x" * 5001),
         "mail_template_body_max_length"),
        (lambda a, u: ExpertiseProfile.objects.filter(key="hr").update(description="x" * 1001),
         "profile_description_max_length"),
        (lambda a, u: Application.objects.filter(pk=a.pk).update(motivation="x" * 3001),
         "application_motivation_max_length"),
    ],
)  # fmt: skip
def test_text_limits_hold_in_the_database(applicant, recruiter_user, make, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        make(applicant, recruiter_user)


def test_counts_use_the_singular_for_one(client_for, recruiter_user, applicant):
    services.change_stage(application=ApplicationFactory(), stage="rejected", by=recruiter_user)
    client = client_for(recruiter_user)

    dashboard = client.get("/").content.decode()
    sent = client.post(reverse("members:decision_mails"), follow=True)
    listing = client.get(reverse("members:list"), {"stage": "new"}).content.decode()

    assert "aanmelding wacht op jouw scores" in dashboard
    assert "aanmeldingen wachten" not in dashboard
    assert [str(m) for m in sent.context["messages"]] == ["1 mail staat klaar om te versturen."]
    assert "1 aanmelding</p>" in listing
