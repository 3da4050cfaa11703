from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from denktank.models import AuditEntry
from members import services
from members.exceptions import ConflictOfInterestDeclared, ProfileNotClaimed
from members.models import ExpertiseProfile

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
