"""Pages of the report that answered 500 or showed too much, and input that must be refused."""

import pytest
from django.urls import reverse

from denktank.models import Role
from documents import services
from documents.forms import RecommendationForm, SectionSettingsForm
from documents.models import Amendment, Comment, Question, Recommendation, Section, Source

from ..factories import UserFactory


@pytest.mark.parametrize("who", ["member_user", "board_user"])
def test_source_pages_open_and_save(client_for, request, who):
    client = client_for(request.getfixturevalue(who))
    hayek = Source.objects.get(key="hayek")

    new = client.get(reverse("documents:source_new"))
    edit = client.get(reverse("documents:source_edit", args=[hayek.pk]))
    saved = client.post(reverse("documents:source_new"), {"key": "cpb2026", "title": "Werk en AI", "year": "2026"})

    assert new.status_code == 200 and new.context["heading"] == "Nieuwe bron"
    assert edit.status_code == 200 and edit.context["heading"] == "hayek"
    assert edit.context["form"].instance == hayek
    assert saved.status_code == 302
    assert Source.objects.get(key="cpb2026").title == "Werk en AI"


@pytest.fixture
def two_recommendations(db):
    shared = Section.objects.get(title="Inleiding")
    shared.shared = True
    shared.save()
    draft = Section.objects.exclude(pk=shared.pk).first()
    visible = Recommendation.objects.create(text="Gedeelde aanbeveling", section=shared, position=1)
    hidden = Recommendation.objects.create(
        text="Geheime conceptaanbeveling", rationale="Nog intern", section=draft, position=2
    )
    visible.questions.set(Question.objects.filter(number=1))
    hidden.questions.set(Question.objects.filter(number=2))
    return visible, hidden


def test_kamerlid_sees_only_recommendations_of_shared_sections(client_for, mp_user, two_recommendations):
    client = client_for(mp_user)

    page = client.get(reverse("documents:recommendations"))
    report = client.get(reverse("documents:report"))

    assert [r.text for r in page.context["recommendations"]] == ["Gedeelde aanbeveling"]
    assert [r.text for r in report.context["recommendations"]] == ["Gedeelde aanbeveling"]
    for response in (page, report):
        assert "Geheime conceptaanbeveling" not in response.content.decode()
        assert "Nog intern" not in response.content.decode()


def test_members_see_every_recommendation(client_for, member_user, two_recommendations):
    page = client_for(member_user).get(reverse("documents:recommendations"))
    assert [r.text for r in page.context["recommendations"]] == ["Gedeelde aanbeveling", "Geheime conceptaanbeveling"]


@pytest.mark.parametrize("bad", [str(2**70), "abc", "-1", "99999999999999999999999"])
def test_recommendation_with_bad_ids_is_a_form_error(client_for, member_user, bad):
    response = client_for(member_user).post(
        reverse("documents:recommendations"), {"text": "Iets", "questions": [bad], "directions": [bad]}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"questions", "directions"}
    assert Recommendation.objects.count() == 0


def test_preview_is_for_writers_not_the_kamerlid(client_for, mp_user):
    section = Section.objects.get(title="Inleiding")
    section.shared = True
    section.save()
    response = client_for(mp_user).post(reverse("documents:preview", args=[section.pk]), {"text": "*hoi*"})
    assert response.status_code == 403


def test_preview_and_autosave_refuse_texts_over_the_limit(client_for, section, writers):
    client = client_for(writers[0])
    huge = "woord " * 20_000  # 120,000 characters

    preview = client.post(reverse("documents:preview", args=[section.pk]), {"text": huge})
    autosave = client.post(reverse("documents:autosave", args=[section.pk]), {"text": huge})
    edit = client.post(reverse("documents:edit", args=[section.pk]), {"text": huge, "base": section.head_id})

    assert "100000" in preview.content.decode().replace(".", "")
    assert "<p>woord" not in preview.content.decode()
    assert autosave.status_code == 400
    assert edit.status_code == 200 and "text" in edit.context["form"].errors
    assert section.drafts.count() == 0
    assert section.revisions.count() == 1


def test_owner_dashboard_lists_open_proposals_and_comments(client_for, section, writers, member_user):
    Amendment.objects.create(section=section, proposer=member_user, base=section.head, text="Nieuw", reason="Beter")
    Comment.objects.create(section=section, author=member_user, text="Klopt dit cijfer?")
    Comment.objects.create(section=section, author=writers[1], text="Eigen opmerking van mede-eigenaar")
    done = Comment.objects.create(section=section, author=member_user, text="Al afgehandeld")
    done.resolved_at = done.created_at
    done.save()

    page = client_for(writers[0]).get(reverse("home")).content.decode()

    assert "Wacht op jou" in page
    assert "Voorstel van Dirk Deelnemer bij Inleiding" in page
    assert "Reactie van Dirk Deelnemer bij Inleiding" in page
    assert "Reactie van Schrijver B bij Inleiding" in page
    assert page.count("Reactie van") == 2


def test_no_inbox_for_someone_who_owns_nothing(client_for, db):
    outsider = UserFactory(name="Olaf Buiten", email="olaf@example.nl", roles=[Role.DEELNEMER])
    assert "Wacht op jou" not in client_for(outsider).get(reverse("home")).content.decode()


def test_out_of_range_ids_are_refused_before_any_query(db, django_assert_num_queries):
    # SQLite raises OverflowError on such a number; no database should see it.
    form = RecommendationForm(data={"text": "Iets", "questions": [str(2**70)], "directions": ["abc"], "section": "1e9"})
    with django_assert_num_queries(0):
        assert form.is_valid() is False
    assert set(form.errors) == {"questions", "directions", "section"}


def test_counts_use_singular_and_plural(client_for, writers, board_user):
    section = Section.objects.get(title="Inleiding")
    section.owners.set(writers)
    services.save_revision(section=section, author=writers[0], text="Vrijheid", base_id=None)

    page = client_for(board_user).get(reverse("documents:report")).content.decode()

    assert "1 woord," in page
    assert f"{Section.objects.count()} onderdelen" in page


def test_saving_section_settings_keeps_a_deactivated_owner(client_for, section, writers, board_user):
    writers[1].is_active = False
    writers[1].save()
    client = client_for(board_user)

    page = client.get(reverse("documents:section", args=[section.pk]))
    offered = set(page.context["settings_form"].fields["owners"].queryset)
    client.post(
        reverse("documents:settings", args=[section.pk]),
        {"title": section.title, "owners": [w.pk for w in writers]},
    )

    assert writers[1] in offered
    assert set(section.owners.all()) == set(writers)


def test_the_recommendation_form_offers_every_section_and_keeps_the_choice(client_for, board_user):
    chosen = Section.objects.order_by("position", "pk")[1]

    page = (
        client_for(board_user)
        .post(reverse("documents:recommendations"), {"text": "", "section": chosen.pk})
        .content.decode()
    )

    start = page.index('<select class="quickselect form-select" id="id_section" name="section">')
    select = page[start : page.index("</select>", start)]
    assert select.count("<option") == Section.objects.count() + 1  # and "---------"
    assert f'<option value="{chosen.pk}" selected>{chosen.title}</option>' in select


def test_owner_choices_are_the_active_members_and_every_current_owner_once(db):
    anna = UserFactory(name="Anna", roles=[Role.DEELNEMER])
    bert = UserFactory(name="Bert", roles=[Role.DEELNEMER], is_active=False)  # left, still owns the section
    UserFactory(name="Carla", roles=[Role.DEELNEMER], is_active=False)
    UserFactory(name="Karin", roles=[Role.KAMERLID])
    section = Section.objects.get(title="Inleiding")
    section.owners.set([anna, bert])

    choices = SectionSettingsForm(section=section).fields["owners"].queryset

    assert [user.name for user in choices] == ["Anna", "Bert"]
