"""The composition board and its what-if: seats, coverage and spread of a hypothetical group."""

from datetime import date

import pytest
from django.urls import reverse

from members import services

from .conftest import ApplicationFactory


@pytest.fixture
def full_group(board_user):
    """Twelve members from Utrecht, all over 35, none covering "filosofie"."""
    members = [ApplicationFactory(name=f"Lid {n:02d}", profiles=["hr"], province="UT") for n in range(12)]
    for member in members:
        services.select_applicant(application=member, by=board_user)
    return members


@pytest.fixture
def candidates(db):
    return [
        ApplicationFactory(
            name="Filosoof", profiles=["filosofie"], province="GR", date_of_birth=date(1998, 1, 1), stage="interview"
        ),
        ApplicationFactory(name="Reserve", profiles=["ondernemer"], province="LI", stage="waitlist"),
    ]


def spread(items):
    return dict(items)


def test_what_if_over_the_cap_shows_14_of_12_in_red_with_text(client_for, recruiter_user, full_group, candidates):
    response = client_for(recruiter_user).get(reverse("members:composition"), {"erbij": [c.pk for c in candidates]})

    c = response.context["composition"]
    assert (c.seats_used, c.seats, c.over_cap, c.chart_total) == (14, 12, 2, 14)
    assert c.seat_states == ["taken"] * 12 + ["over"] * 2
    html = response.content.decode()
    assert '<p class="stat mb-0 text-danger">14/12</p>' in html
    assert "2 personen boven het maximum van 12 plaatsen" in html
    assert 'aria-label="14 personen voor 12 plaatsen"' in html


def test_what_if_moves_the_spread_and_the_coverage(client_for, recruiter_user, full_group, candidates):
    client = client_for(recruiter_user)

    before = client.get(reverse("members:composition")).context["composition"]
    after = client.get(reverse("members:composition"), {"erbij": [c.pk for c in candidates]}).context["composition"]

    assert spread(before.provinces) == {"Utrecht": 12}
    assert spread(after.provinces) == {"Groningen": 1, "Utrecht": 12, "Limburg": 1}
    assert spread(before.ages)["< 35"] == 0 and spread(after.ages)["< 35"] == 1
    assert (before.young_present, after.young_present) == (False, True)
    assert "Liberale politieke filosofie" in [p.name for p in before.uncovered]
    assert "Liberale politieke filosofie" not in [p.name for p in after.uncovered]


def test_what_if_swaps_a_member_out(client_for, recruiter_user, full_group, candidates):
    leaving = full_group[0]

    response = client_for(recruiter_user).get(
        reverse("members:composition"), {"erbij": [candidates[0].pk], "zonder": [leaving.pk]}
    )

    c = response.context["composition"]
    assert (c.seats_used, c.over_cap) == (12, 0)
    assert [row[0].name for row in c.rows] == [f"Lid {n:02d}" for n in range(1, 12)] + ["Filosoof"]
    assert spread(c.provinces) == {"Groningen": 1, "Utrecht": 11}
    assert [a.name for a in c.without] == ["Lid 00"]
    html = response.content.decode()
    assert '<p class="stat mb-0">12/12</p>' in html
    assert f'name="zonder" value="{leaving.pk}" id="zonder-{leaving.pk}" checked' in html
    leaving.refresh_from_db()
    assert leaving.stage == "selected"  # a what-if changes nothing


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999999", "-1"])
def test_what_if_ignores_ids_that_cannot_be_people(client_for, recruiter_user, full_group, value):
    response = client_for(recruiter_user).get(reverse("members:composition"), {"erbij": value, "zonder": value})

    assert response.status_code == 200
    assert (response.context["composition"].seats_used, response.context["composition"].is_what_if) == (12, False)
