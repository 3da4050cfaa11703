"""Recruitment pages at size: a cheap filter bar, the composition in one pass, list pages with flat query counts."""

from datetime import date

import pytest
from django import forms
from django.test.html import parse_html
from django.urls import reverse

from denktank.forms import QuickSelect
from denktank.models import Role
from members import selectors, services
from members.forms import ApplicationFilterForm
from members.models import ExpertiseProfile, PendingDecisionMail, ProfileScore, Scorecard, TalentNote

from ..factories import UserFactory
from ..queries import flat
from .conftest import ApplicationFactory

# --- The filter bar -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "UT", None, "onbekend"])
def test_quick_select_writes_what_djangos_select_writes(value):
    choices = [("", "Alle"), ("GR", "Groningen"), ("UT", "Utrecht"), ("NB", 'Noord-"Brabant" & <meer>')]
    attrs = {"id": "id_province", "class": "form-select", "aria-invalid": "true", "disabled": False}

    quick = QuickSelect(attrs={"class": "form-select"}, choices=choices).render("province", value, attrs)
    django = forms.Select(attrs={"class": "form-select"}, choices=choices).render("province", value, attrs)

    assert parse_html(quick) == parse_html(django)


def test_quick_select_of_profiles_writes_what_djangos_select_writes(db):
    field = forms.ModelChoiceField(queryset=ExpertiseProfile.objects.all(), required=False)
    chosen = ExpertiseProfile.objects.get(key="hr")

    quick = QuickSelect(choices=field.choices).render("profile", chosen.pk)
    django = forms.Select(choices=field.choices).render("profile", chosen.pk)

    assert parse_html(quick) == parse_html(django)
    assert f'<option value="{chosen.pk}" selected>HR of arbeidsmarktpraktijk</option>' in quick


def test_the_filter_bar_labels_every_field_and_keeps_the_chosen_values(client_for, recruiter_user):
    html = client_for(recruiter_user).get(reverse("members:list"), {"province": "UT", "q": "Anna"}).content.decode()

    for name in ApplicationFilterForm.base_fields:
        assert f'<label class="form-label" for="id_{name}">' in html
    assert '<option value="UT" selected>Utrecht</option>' in html
    assert '<input type="text" name="q" value="Anna" class="form-control" maxlength="100" id="id_q">' in html
    assert "crispy" not in html


def test_a_bad_filter_value_is_marked_and_points_at_its_message(client_for, recruiter_user):
    html = client_for(recruiter_user).get(reverse("members:list"), {"min_score": "abc"}).content.decode()

    assert (
        '<input type="number" name="min_score" value="abc" class="form-control is-invalid" min="1" max="5" '
        'step="any" aria-describedby="id_min_score_error" aria-invalid="true" id="id_min_score">'
    ) in html
    assert '<div class="invalid-feedback" id="id_min_score_error">Voer een getal in.</div>' in html


def test_the_list_shows_labels_and_profiles_of_each_row(client_for, recruiter_user):
    ApplicationFactory(name="Anna", province="GR", stage="interview", profiles=["hr", "fiscaliteit"])

    response = client_for(recruiter_user).get(reverse("members:list"))

    [row] = response.context["object_list"]
    assert (row.stage_label, row.province_label) == ("Gesprek", "Groningen")
    assert [profile.key for profile in row.profile_list] == ["fiscaliteit", "hr"]
    html = response.content.decode()
    assert '<span class="badge stage-interview">Gesprek</span>' in html
    assert '<td class="d-none d-md-table-cell">Groningen</td>' in html


def test_the_average_score_is_over_every_score_of_every_scorecard(client_for, recruiter_user, board_user):
    applicant = ApplicationFactory(name="Anna", profiles=["hr", "fiscaliteit"])
    hr, tax = ExpertiseProfile.objects.get(key="hr"), ExpertiseProfile.objects.get(key="fiscaliteit")
    for recruiter, scores in ((recruiter_user, (5, 4)), (board_user, (2, 1))):
        card = Scorecard.objects.create(application=applicant, recruiter=recruiter, recommendation="yes")
        ProfileScore.objects.bulk_create(
            [
                ProfileScore(scorecard=card, profile=hr, score=scores[0]),
                ProfileScore(scorecard=card, profile=tax, score=scores[1]),
            ]
        )
    ApplicationFactory(name="Bert")  # scored by nobody: no average, last when sorted by score

    rows = list(selectors.applications(viewer=recruiter_user, filters={"sort": "-avg_score"}))

    assert [(row.name, row.avg_score) for row in rows] == [("Anna", 3.0), ("Bert", None)]
    assert [row.name for row in selectors.applications(viewer=recruiter_user, filters={"min_score": 3})] == ["Anna"]


# --- The composition board ------------------------------------------------------------------------


def test_the_composition_counts_every_profile_once_per_person(client_for, recruiter_user, board_user):
    young = ApplicationFactory(name="Jong", profiles=["hr", "fiscaliteit"], date_of_birth=date(2000, 1, 1))
    older = ApplicationFactory(name="Ouder", profiles=["hr"])
    candidate = ApplicationFactory(name="Kandidaat", profiles=["filosofie"], stage="interview")
    for person in (young, older):
        services.select_applicant(application=person, by=board_user)

    c = (
        client_for(recruiter_user)
        .get(reverse("members:composition"), {"erbij": candidate.pk, "zonder": older.pk})
        .context["composition"]
    )

    keys = [profile.key for profile in c.profiles]
    assert [(application.name, dict(zip(keys, cells, strict=True)), extra) for application, cells, extra in c.rows] == [
        ("Jong", {key: key in ("hr", "fiscaliteit", "jong") for key in keys}, False),
        ("Kandidaat", {key: key == "filosofie" for key in keys}, True),
    ]
    assert {
        key: c.coverage[profile.pk] for key, profile in zip(keys, c.profiles, strict=True) if c.coverage[profile.pk]
    } == {
        "hr": 1,
        "fiscaliteit": 1,
        "filosofie": 1,
        "jong": 1,
    }
    assert (c.what_if_ids, c.without_ids, c.young_present, c.seats_used) == ({candidate.pk}, {older.pk}, True, 2)
    assert [a.stage_label for a in c.shortlist] == ["Gesprek"]


# --- Query counts of the list pages ---------------------------------------------------------------


def test_decision_mails_queries_do_not_grow(client_for, recruiter_user):
    counts = flat(
        client_for(recruiter_user),
        reverse("members:decision_mails"),
        lambda: PendingDecisionMail.objects.create(application=ApplicationFactory(stage="rejected"), key="rejection"),
        PendingDecisionMail.objects.count,
    )
    assert counts[0] == counts[1]


def test_talent_notes_queries_do_not_grow(client_for, board_user):
    def make():
        member = UserFactory(roles=[Role.DEELNEMER])
        TalentNote.objects.create(member=member, author=board_user, text="Valt op")

    counts = flat(client_for(board_user), reverse("members:talent_notes"), make, TalentNote.objects.count)
    assert counts[0] == counts[1]


def test_the_scorecards_of_an_applicant_take_the_same_queries(client_for, recruiter_user):
    applicant = ApplicationFactory(profiles=["hr", "fiscaliteit"])
    hr = ExpertiseProfile.objects.get(key="hr")

    def make():
        card = Scorecard.objects.create(
            application=applicant, recruiter=UserFactory(roles=[Role.WERVING]), recommendation="yes"
        )
        ProfileScore.objects.create(scorecard=card, profile=hr, score=3)

    counts = flat(
        client_for(recruiter_user),
        reverse("members:detail", args=[applicant.pk]),
        make,
        Scorecard.objects.count,
    )
    assert counts[0] == counts[1]
