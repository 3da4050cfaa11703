import threading
import time
from unittest import mock

import pytest
from django.core import mail
from django.db import connections
from django.urls import reverse

from denktank import outbox
from denktank.exceptions import AccountAlreadyActive
from denktank.models import Invitation, OutgoingMail, Role, User
from members import services, tasks
from members.exceptions import SeatsFullError
from members.models import Application, MailTemplate, PendingDecisionMail, StageChange

from ..concurrency import requires_postgresql, run_concurrently
from ..factories import UserFactory
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_selection_does_not_wait_for_another_selections_account_and_mail(board_user, monkeypatch):
    requires_postgresql()
    first = ApplicationFactory(name="Eerste Kandidaat", email="eerste@example.nl")
    second = ApplicationFactory(name="Tweede Kandidaat", email="tweede@example.nl")
    rendering_first, release_first = threading.Event(), threading.Event()
    first_done, second_done = threading.Event(), threading.Event()
    render_mail = outbox.render_mail

    def slow_render(template, context, *args, **kwargs):
        # The first selection's invitation takes as long as the test wants.
        if context.get("name") == "Eerste Kandidaat":
            rendering_first.set()
            release_first.wait(timeout=30)
        return render_mail(template, context, *args, **kwargs)

    monkeypatch.setattr(outbox, "render_mail", slow_render)

    def select(applicant, done):
        try:
            services.select_applicant(application=applicant, by=board_user)
        finally:
            connections.close_all()
            done.set()

    first_thread = threading.Thread(target=select, args=(first, first_done))
    second_thread = threading.Thread(target=select, args=(second, second_done))
    first_thread.start()
    try:
        assert rendering_first.wait(timeout=10)
        started = time.monotonic()
        second_thread.start()
        second_finished = second_done.wait(timeout=10)
        seconds = time.monotonic() - started
        first_still_rendering = not first_done.is_set()
    finally:
        release_first.set()
        first_thread.join(timeout=30)
        if second_thread.ident is not None:
            second_thread.join(timeout=30)

    assert (second_finished, first_still_rendering) == (True, True)
    assert seconds < 10
    assert sorted(Application.objects.filter(stage="selected").values_list("name", "user__email")) == [
        ("Eerste Kandidaat", "eerste@example.nl"),
        ("Tweede Kandidaat", "tweede@example.nl"),
    ]
    assert sorted(OutgoingMail.objects.filter(sensitive=True).values_list("to", flat=True)) == [
        "eerste@example.nl",
        "tweede@example.nl",
    ]


def selected_without_account(applicant, board_user):
    """The seat is decided, the account step fails (it is left to the sweep)."""
    with mock.patch.object(services, "complete_selection", side_effect=RuntimeError("mail server away")):
        services.select_applicant(application=applicant, by=board_user)
    applicant.refresh_from_db()
    assert (applicant.stage, applicant.user) == (Application.Stage.SELECTED, None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_and_sweeps_create_one_account_and_one_invitation(board_user, caplog):
    requires_postgresql()
    applicant = ApplicationFactory(email="race@example.nl")
    selected_without_account(applicant, board_user)
    caplog.clear()
    callers = [services.complete_selections, lambda: services.select_applicant(application=applicant, by=board_user)]
    queue = callers * 5

    results = run_concurrently(lambda: queue.pop()(), 10)

    applicant.refresh_from_db()
    assert sorted(kind for kind, _ in results) == ["ok"] * 10
    # Nobody fell over a duplicate account and left it to the sweep: they waited their turn.
    assert [record.getMessage() for record in caplog.records if record.name == "members.services"] == []
    assert applicant.user == User.objects.get(email="race@example.nl")
    assert Invitation.objects.filter(user=applicant.user).count() == 1
    assert OutgoingMail.objects.filter(to="race@example.nl", sensitive=True).count() == 1


def test_a_failed_account_step_is_finished_once_by_the_sweep(
    board_user, db, monkeypatch, django_capture_on_commit_callbacks
):
    applicant = ApplicationFactory(name="Anna de Vries", email="anna@example.nl")
    invite_person = services.invite_person

    def crash(**kwargs):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(services, "invite_person", crash)
    with django_capture_on_commit_callbacks(execute=True):
        returned = services.select_applicant(application=applicant, by=board_user)

    applicant.refresh_from_db()
    assert (returned.stage, returned.user, applicant.stage, applicant.user) == ("selected", None, "selected", None)
    assert (User.objects.filter(email="anna@example.nl").count(), OutgoingMail.objects.count()) == (0, 0)
    assert services.seats_used() == 1

    monkeypatch.setattr(services, "invite_person", invite_person)
    with django_capture_on_commit_callbacks(execute=True):
        completed = tasks.complete_selections()
    with django_capture_on_commit_callbacks(execute=True):
        again = (tasks.complete_selections(), services.select_applicant(application=applicant, by=board_user))

    applicant.refresh_from_db()
    user = User.objects.get(email="anna@example.nl")
    assert (completed, again[0], again[1].user) == (1, 0, user)
    assert (applicant.user, sorted(user.roles)) == (user, ["Deelnemer"])
    assert Invitation.objects.filter(user=user).count() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["anna@example.nl"], "[Denktank] Je uitnodiging voor de denktank Vrijheid, Werk en AI")
    ]
    # Invited in the name of whoever selected her, also when the sweep does it.
    assert Invitation.objects.get(user=user).invited_by == board_user
    assert StageChange.objects.filter(application=applicant, to_stage="selected").count() == 1


def test_selecting_again_after_a_failed_account_step_finishes_it(board_user, db, monkeypatch):
    applicant = ApplicationFactory(email="bert@example.nl")
    invite_person = services.invite_person

    def crash(**kwargs):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(services, "invite_person", crash)
    services.select_applicant(application=applicant, by=board_user)
    monkeypatch.setattr(services, "invite_person", invite_person)

    services.select_applicant(application=applicant, by=board_user)
    services.select_applicant(application=applicant, by=board_user)

    applicant.refresh_from_db()
    assert applicant.user == User.objects.get(email="bert@example.nl")
    assert OutgoingMail.objects.filter(to="bert@example.nl", sensitive=True).count() == 1


def test_selecting_someone_who_already_logs_in_is_refused_and_takes_no_seat(board_user, db):
    UserFactory(email="actief@example.nl", roles=[Role.KAMERLID])
    applicant = ApplicationFactory(email="actief@example.nl")

    with pytest.raises(AccountAlreadyActive):
        services.select_applicant(application=applicant, by=board_user)

    applicant.refresh_from_db()
    assert (applicant.stage, services.seats_used(), OutgoingMail.objects.count()) == ("new", 0, 0)


def test_an_account_that_became_active_after_the_decision_gets_the_role_without_an_invitation(board_user, db):
    applicant = ApplicationFactory(email="laat@example.nl")
    selected_without_account(applicant, board_user)
    user = UserFactory(email="laat@example.nl", roles=[Role.KAMERLID])

    services.complete_selection(application=applicant)

    applicant.refresh_from_db()
    assert (applicant.user, sorted(user.roles)) == (user, ["Deelnemer", "Kamerlid"])
    assert OutgoingMail.objects.count() == 0


def test_the_sweep_does_not_recreate_a_deleted_member_account(board_user, db):
    applicant = ApplicationFactory(email="weg@example.nl")
    services.select_applicant(application=applicant, by=board_user)
    User.objects.get(email="weg@example.nl").delete()

    assert services.complete_selections() == 0
    assert (User.objects.filter(email="weg@example.nl").count(), OutgoingMail.objects.count()) == (0, 1)
