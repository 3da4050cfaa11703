import json
from datetime import datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from denktank.models import AuditEntry, OutgoingMail
from members import services
from members.models import Application, TalentNote

from .conftest import ApplicationFactory

CLOSED = datetime(2026, 8, 1, 12, 0, tzinfo=timezone.get_fixed_timezone(120))


@pytest.fixture
def closed_procedure(board_user):
    services.close_procedure(by=board_user, at=CLOSED)


@pytest.fixture
def pool(db, board_user):
    member = ApplicationFactory(name="Lid")
    services.select_applicant(application=member, by=board_user)
    return {
        "member": member,
        "rejected": ApplicationFactory(name="Afgewezen", stage="rejected"),
        "kept": ApplicationFactory(name="Bewaren", stage="rejected", consent_keep_one_year=True),
        "waitlist": ApplicationFactory(name="Reserve", stage="waitlist"),
        "waitlist_kept": ApplicationFactory(name="Reserve bewaren", stage="waitlist", consent_keep_one_year=True),
    }


def names():
    return sorted(Application.objects.values_list("name", flat=True))


def test_nothing_is_purged_before_four_weeks(pool, closed_procedure):
    assert services.purge_due_applications(now=CLOSED + timedelta(weeks=4) - timedelta(minutes=1)) == 0
    assert len(names()) == 5


def test_purge_after_four_weeks_keeps_members_and_consenting_applicants(pool, closed_procedure):
    pool["rejected"].cv.save("x.pdf", ContentFile(b"%PDF-1.4"))
    cv_name = pool["rejected"].cv.name
    storage = pool["rejected"].cv.storage

    deleted = services.purge_due_applications(now=CLOSED + timedelta(weeks=4))
    again = services.purge_due_applications(now=CLOSED + timedelta(weeks=4, days=1))

    assert (deleted, again) == (2, 0)
    assert names() == ["Bewaren", "Lid", "Reserve bewaren"]
    assert not storage.exists(cv_name)
    entries = AuditEntry.objects.filter(action="application.purged")
    assert entries.count() == 2
    assert all(entry.target_repr == "" and set(entry.data) == {"application_id"} for entry in entries)


def test_purge_after_a_year_removes_the_consenting_too(pool, closed_procedure):
    assert services.purge_due_applications(now=CLOSED + timedelta(days=365)) == 4
    assert names() == ["Lid"]


def test_no_purge_while_the_procedure_is_open(pool):
    assert services.purge_due_applications(now=timezone.now() + timedelta(days=1000)) == 0


def test_export_gives_all_data_of_one_applicant(client_for, board_user, db):
    applicant = ApplicationFactory(name="Anna de Vries", email="anna@example.nl", profiles=["hr"])

    response = client_for(board_user).get(reverse("members:export", args=[applicant.pk]))

    data = json.loads(response.content)
    assert (data["name"], data["email"], data["profiles"], data["cv_uploaded"]) == (
        "Anna de Vries", "anna@example.nl", ["HR of arbeidsmarktpraktijk"], False
    )  # fmt: skip
    assert response["Content-Disposition"] == f'attachment; filename="aanmelding-{applicant.pk}.json"'
    assert AuditEntry.objects.filter(action="application.exported").count() == 1


def test_erasure_on_request(client_for, board_user, recruiter_user, db):
    applicant = ApplicationFactory(name="Anna de Vries")

    assert client_for(recruiter_user).post(reverse("members:erase", args=[applicant.pk])).status_code == 403
    client_for(board_user).post(reverse("members:erase", args=[applicant.pk]))

    assert Application.objects.count() == 0
    entry = AuditEntry.objects.get(action="application.erased")
    assert (entry.actor, entry.data, entry.target_repr) == (board_user, {"application_id": applicant.pk}, "")


def test_talent_notes_are_for_the_board_only(client_for, board_user, recruiter_user, member_user):
    client_for(board_user).post(reverse("members:talent_notes"), {"member": member_user.pk, "text": "Sterke pen"})

    assert list(TalentNote.objects.values_list("member__email", "text")) == [("deelnemer@example.nl", "Sterke pen")]
    assert client_for(recruiter_user).get(reverse("members:talent_notes")).status_code == 403
    assert client_for(member_user).get(reverse("members:talent_notes")).status_code == 403


def test_erasure_removes_the_name_from_earlier_audit_entries(client_for, recruiter_user, board_user, db):
    applicant = ApplicationFactory(name="Anna de Vries")
    OutgoingMail.objects.create(to=applicant.email, subject="Ontvangen", body_text="Beste Anna", status="sent")
    client_for(recruiter_user).get(reverse("members:detail", args=[applicant.pk]))
    assert AuditEntry.objects.get(action="application.viewed").target_repr == "Anna de Vries"

    services.erase_application(application=applicant, by=board_user)

    assert not AuditEntry.objects.filter(target_repr__contains="Anna").exists()
    assert not OutgoingMail.objects.filter(to=applicant.email).exists()
    assert AuditEntry.objects.filter(action="application.viewed").count() == 1


@pytest.mark.parametrize("member", ["abc", "99999999999999999999999", "9223372036854775808", "-1", ""])
def test_talent_note_for_a_member_that_cannot_exist_gets_an_error(client_for, board_user, member_user, member):
    response = client_for(board_user).post(reverse("members:talent_notes"), {"member": member, "text": "Sterke pen"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["member"]
    assert TalentNote.objects.count() == 0


def test_talent_note_for_someone_who_is_not_a_member_gets_an_error(client_for, board_user, recruiter_user):
    response = client_for(board_user).post(
        reverse("members:talent_notes"), {"member": recruiter_user.pk, "text": "Sterke pen"}
    )

    assert response.context["form"].errors == {"member": ["Deze deelnemer bestaat niet (meer)."]}
    assert TalentNote.objects.count() == 0


def test_talent_note_over_the_limit_is_refused_and_kept_on_screen(client_for, board_user, member_user):
    text = "lang" * 501

    response = client_for(board_user).post(reverse("members:talent_notes"), {"member": member_user.pk, "text": text})

    assert response.context["form"].errors == {
        "text": ["Zorg dat deze waarde niet meer dan 2000 tekens bevat (het zijn er nu 2004)."]
    }
    html = response.content.decode()
    assert f'value="{text}"' in html
    assert f'id="note-{member_user.pk}-error">Zorg dat deze waarde niet meer dan 2000 tekens' in html
    assert TalentNote.objects.count() == 0
