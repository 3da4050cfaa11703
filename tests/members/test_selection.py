import pytest
from django.core import mail
from django.urls import reverse

from denktank.models import OutgoingMail, Role, User
from members import services
from members.exceptions import SeatsFullError
from members.models import Application, MailTemplate, PendingDecisionMail

from ..concurrency import requires_postgresql, run_concurrently
from .conftest import ApplicationFactory


def test_selecting_creates_a_member_account_with_an_invitation(board_user, db):
    applicant = ApplicationFactory(name="Anna de Vries", email="anna@example.nl")

    services.select_applicant(application=applicant, by=board_user)

    applicant.refresh_from_db()
    user = User.objects.get(email="anna@example.nl")
    assert (applicant.stage, applicant.user, sorted(user.roles)) == ("selected", user, ["Deelnemer"])
    assert OutgoingMail.objects.filter(to="anna@example.nl", sensitive=True).count() == 1


def test_thirteenth_selection_is_refused_in_dutch(client_for, recruiter_user, db):
    for _ in range(12):
        services.select_applicant(application=ApplicationFactory(), by=recruiter_user)
    thirteenth = ApplicationFactory(name="Nummer dertien")

    response = client_for(recruiter_user).post(reverse("members:select", args=[thirteenth.pk]), follow=True)

    thirteenth.refresh_from_db()
    assert thirteenth.stage == "new"
    assert Application.objects.filter(stage="selected").count() == 12
    assert [str(m) for m in response.context["messages"]] == [
        "Alle twaalf plaatsen zijn bezet. Maak eerst een plaats vrij (een deelnemer die vertrekt), "
        "of zet deze kandidaat op de reservelijst."
    ]


def test_a_member_who_leaves_frees_the_seat_for_the_waitlist(board_user, db):
    selected = [ApplicationFactory() for _ in range(12)]
    for applicant in selected:
        services.select_applicant(application=applicant, by=board_user)
    waiting = ApplicationFactory(name="Reserve")
    services.change_stage(application=waiting, stage="waitlist", by=board_user)
    with pytest.raises(SeatsFullError):
        services.select_applicant(application=waiting, by=board_user)

    services.member_leaves(application=selected[0], by=board_user)
    services.select_applicant(application=waiting, by=board_user)

    waiting.refresh_from_db()
    selected[0].refresh_from_db()
    assert (waiting.stage, selected[0].stage) == ("selected", "left")
    assert Role.DEELNEMER not in selected[0].user.roles
    assert PendingDecisionMail.objects.filter(application=waiting).count() == 0


def test_decision_mails_wait_for_a_confirmed_batch(client_for, recruiter_user, db, django_capture_on_commit_callbacks):
    MailTemplate.objects.filter(key="rejection").update(subject="Helaas", body="Beste {name}, helaas.")
    rejected = ApplicationFactory(name="Piet Puk", email="piet@example.nl")
    waiting = ApplicationFactory(name="Rita Reserve", email="rita@example.nl")
    services.change_stage(application=rejected, stage="rejected", by=recruiter_user)
    services.change_stage(application=waiting, stage="waitlist", by=recruiter_user)
    assert OutgoingMail.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        client_for(recruiter_user).post(reverse("members:decision_mails"))

    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("piet@example.nl", "[Denktank] Helaas"),
        ("rita@example.nl", "[Denktank] Je aanmelding voor de denktank: reservelijst"),
    ]
    assert next(m.body for m in mail.outbox if m.to == ["piet@example.nl"]) == "Beste Piet Puk, helaas."
    assert PendingDecisionMail.objects.count() == 0


def test_only_the_board_edits_mail_texts(client_for, recruiter_user, board_user, db):
    url = reverse("members:mail_template", args=["rejection"])

    assert client_for(recruiter_user).post(url, {"subject": "x", "body": "y"}).status_code == 403
    client_for(board_user).post(url, {"subject": "Nieuw onderwerp", "body": "Beste {name}"})
    assert MailTemplate.objects.get(key="rejection").subject == "Nieuw onderwerp"


def test_composition_shows_seats_coverage_and_what_if(client_for, recruiter_user, board_user, db):
    young = ApplicationFactory(name="Jonge econoom", date_of_birth="1995-01-01", profiles=["arbeidsmarkteconomie"])
    services.select_applicant(application=young, by=board_user)
    candidate = ApplicationFactory(name="Fiscalist", profiles=["fiscaliteit"], stage="interview")
    client = client_for(recruiter_user)

    plain = client.get(reverse("members:composition")).context["composition"]
    what_if = client.get(reverse("members:composition"), {"erbij": candidate.pk}).context["composition"]

    assert (plain.seats_used, plain.young_present) == (1, True)
    assert sorted(p.key for p in plain.uncovered) == [
        "ai-praktijk", "filosofie", "fiscaliteit", "hr", "ondernemer", "uitvoering", "werknemer"
    ]  # fmt: skip
    assert "fiscaliteit" not in [p.key for p in what_if.uncovered]
    assert [a.name for a in what_if.what_if] == ["Fiscalist"]
    assert plain.ages == [("< 35", 1), ("35–44", 0), ("45–54", 0), ("55–64", 0), ("65+", 0)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_selections_end_with_exactly_twelve(board_user):
    requires_postgresql()
    applicants = [ApplicationFactory() for _ in range(20)]
    queue = list(applicants)

    def select_next():
        return services.select_applicant(application=queue.pop(), by=board_user)

    results = run_concurrently(select_next, 20)

    assert sorted(kind for kind, _ in results) == ["error"] * 8 + ["ok"] * 12
    assert all(isinstance(error, SeatsFullError) for kind, error in results if kind == "error")
    assert Application.objects.filter(stage="selected").count() == 12
    assert User.objects.filter(groups__name="Deelnemer").count() == 12
