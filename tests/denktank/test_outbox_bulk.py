"""The board's bulk resend of mails whose fate is unknown (a dropped SMTP connection cut off a batch)."""

import smtplib
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from denktank import outbox, selectors
from denktank.models import AuditEntry, OutgoingMail

from ..concurrency import requires_postgresql, run_concurrently
from ..demo_fixtures import DEMO_EMAILS, PASSWORD, load_demo_data
from ..pages import visible_text
from ..walk import log_in, walk

BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DROPPED = "SMTPServerDisconnected: Connection unexpectedly closed"
RECIPIENTS = ["anna@example.nl", "bram@example.nl", "cor@example.nl"]
# 1 December 2026, 14:03 and 14:04 in Amsterdam (UTC+1): one ten-minute window (14:00–14:10).
BATCH_STARTED = datetime(2026, 12, 1, 13, 3, 20, tzinfo=UTC)


def send_cut_off(recipients, *, django_capture_on_commit_callbacks, sensitive=(), subject="Agenda sessie 5"):
    """Queue mails and send them through the real outbox while the SMTP connection drops mid-send."""
    dropped = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    with (
        mock.patch(f"{BACKEND}.send_messages", side_effect=dropped),
        django_capture_on_commit_callbacks(execute=True),
    ):
        rows = [
            outbox.queue_mail(to=to, subject=subject, body_text=f"Beste {to}", sensitive=to in sensitive)
            for to in recipients
        ]
    ids = [row.pk for row in rows]
    OutgoingMail.objects.filter(pk__in=ids).update(sending_started_at=BATCH_STARTED)
    assert set(OutgoingMail.objects.filter(pk__in=ids).values_list("status", "last_error")) == {
        (OutgoingMail.Status.UNKNOWN, DROPPED)
    }
    assert mail.outbox == []
    return ids


@pytest.fixture
def batch(db, django_capture_on_commit_callbacks):
    return send_cut_off(RECIPIENTS, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)


def confirm_url(ids):
    return reverse("outbox_unknown_resend") + "?" + "&".join(f"mail={pk}" for pk in ids)


def post_confirmation(client, ids, django_capture_on_commit_callbacks):
    # The sends run on commit, eagerly, through the outbox into the locmem backend.
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("outbox_unknown_resend"), {"mail": ids, "confirmed": "1"}, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- Review -----------------------------------------------------------------


def test_unknown_mails_are_grouped_by_time_window_and_reason(
    client_for, board_user, django_capture_on_commit_callbacks
):
    batch = send_cut_off(RECIPIENTS, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    later = send_cut_off(["dirk@example.nl"], django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    OutgoingMail.objects.filter(pk__in=later).update(sending_started_at=datetime(2026, 12, 1, 13, 12, tzinfo=UTC))
    # Found stuck in "sending" by the sweep: no error recorded.
    swept = OutgoingMail.objects.create(
        to="eva@example.nl",
        subject="Notulen",
        body_text="Tekst",
        idempotency_key="swept",
        status=OutgoingMail.Status.UNKNOWN,
        sending_started_at=datetime(2026, 12, 1, 13, 5, tzinfo=UTC),
    )
    # Not in the review: sent, and unknown but already resent.
    OutgoingMail.objects.create(to="x@example.nl", subject="S", body_text="T", idempotency_key="sent", status="sent")
    resent = OutgoingMail.objects.create(
        to="y@example.nl", subject="S", body_text="T", idempotency_key="resent", status="unknown"
    )
    outbox.resend_mail(mail=resent, actor=board_user)

    response = client_for(board_user).get(reverse("outbox_unknown"))

    assert response.status_code == 200
    groups = [
        (group.window_start, group.window_end, group.reason, [m.pk for m in group.mails])
        for group in response.context["groups"]
    ]
    assert groups == [
        (datetime(2026, 12, 1, 13, 10, tzinfo=UTC), datetime(2026, 12, 1, 13, 20, tzinfo=UTC), DROPPED, later),
        (datetime(2026, 12, 1, 13, 0, tzinfo=UTC), datetime(2026, 12, 1, 13, 10, tzinfo=UTC), "", [swept.pk]),
        (datetime(2026, 12, 1, 13, 0, tzinfo=UTC), datetime(2026, 12, 1, 13, 10, tzinfo=UTC), DROPPED, batch),
    ]
    text = visible_text(response)
    assert "Versturen begonnen tussen 1 december 2026, 14:00 en 14:10 3 mails" in text
    assert "Versturen begonnen tussen 1 december 2026, 14:10 en 14:20 1 mail" in text
    assert "Er is geen uitkomst vastgelegd: het versturen werd afgebroken" in text
    assert "anna@example.nl · Agenda sessie 5" in text
    # Each group posts its ticked mails to the confirmation.
    page = response.content.decode()
    assert page.count(f'<form method="post" action="{reverse("outbox_unknown_resend")}">') == 3
    assert all(f'name="mail" value="{pk}"' in page for pk in [*batch, *later, swept.pk])


def test_outbox_links_to_the_review_with_the_mails_still_to_decide(client_for, board_user, batch):
    outbox.resend_mail(mail=OutgoingMail.objects.get(pk=batch[0]), actor=board_user)

    response = client_for(board_user).get(reverse("outbox"))

    assert (
        "Bekijk 2 mails waarvan onbekend is of ze zijn aangekomen, per tijd en reden, en verstuur ze opnieuw"
        in visible_text(response)
    )


def test_review_page_query_count_does_not_grow_with_the_mails(
    client_for, board_user, django_capture_on_commit_callbacks
):
    send_cut_off(RECIPIENTS[:1], django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    client = client_for(board_user)
    client.get(reverse("outbox_unknown"))  # the session's first write is not counted

    def queries_for_the_page(count):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("outbox_unknown"))
        assert [len(group.mails) for group in response.context["groups"]] == [count]
        return len(queries)

    one = queries_for_the_page(1)
    send_cut_off(RECIPIENTS[1:], django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    three = queries_for_the_page(3)

    assert one == three


# --- Confirmation -------------------------------------------------------------


def test_confirmation_says_in_dutch_that_recipients_may_get_the_mail_twice(
    client_for, board_user, batch, django_capture_on_commit_callbacks
):
    # The review page posts the ticked mails of a group; that alone sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(board_user).post(reverse("outbox_unknown_resend"), {"mail": batch})

    assert response.status_code == 200
    text = visible_text(response)
    assert (
        "Ontvangers kunnen deze mails twee keer krijgen: niemand weet of de eerste exemplaren zijn aangekomen." in text
    )
    assert "Van elk van deze 3 mails gaat een nieuw exemplaar uit:" in text
    assert "Ja, verstuur 3 nieuwe exemplaren" in text
    assert 'name="confirmed"' in response.content.decode()
    assert OutgoingMail.objects.count() == 3
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(action="mail.resent").exists()


def test_confirmation_of_one_mail_speaks_of_one_recipient(client_for, board_user, batch):
    text = visible_text(client_for(board_user).get(confirm_url(batch[:1])))

    assert "De ontvanger kan deze mail twee keer krijgen: niemand weet of het eerste exemplaar is aangekomen." in text
    assert "Er gaat een nieuw exemplaar van 1 mail uit:" in text


def test_sensitive_mails_are_listed_as_skipped_and_not_sent(
    client_for, board_user, db, django_capture_on_commit_callbacks
):
    ids = send_cut_off(
        ["anna@example.nl", "bram@example.nl"],
        sensitive={"bram@example.nl"},
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    client = client_for(board_user)

    confirmation = visible_text(client.get(confirm_url(ids)))
    response = post_confirmation(client, ids, django_capture_on_commit_callbacks)

    assert (
        "1 mail wordt overgeslagen bram@example.nl · Agenda sessie 5: Deze mail bevatte een persoonlijke inloglink "
        "en kan niet opnieuw worden verstuurd. Nodig de persoon in plaats daarvan opnieuw uit." in confirmation
    )
    assert "Er gaat een nieuw exemplaar van 1 mail uit: anna@example.nl · Agenda sessie 5" in confirmation
    assert [m.to for m in mail.outbox] == [["anna@example.nl"]]
    assert OutgoingMail.objects.filter(resent_from=ids[1]).exists() is False
    assert messages_of(response) == [
        "Van 1 mail staat een nieuw exemplaar klaar om te versturen.",
        "1 mail is niet opnieuw verstuurd: Deze mail bevatte een persoonlijke inloglink en kan niet opnieuw worden "
        "verstuurd. Nodig de persoon in plaats daarvan opnieuw uit.",
    ]


def test_only_sensitive_mails_selected_offers_no_button(client_for, board_user, db, django_capture_on_commit_callbacks):
    ids = send_cut_off(
        ["bram@example.nl"],
        sensitive={"bram@example.nl"},
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    response = client_for(board_user).get(confirm_url(ids))

    text = visible_text(response)
    assert "Geen van de gekozen mails kan opnieuw worden verstuurd." in text
    assert "Ja, verstuur" not in text
    assert f'action="{reverse("outbox_unknown_resend")}"' not in response.content.decode()


# --- Sending ----------------------------------------------------------------


def test_batch_resent_in_one_action_reaches_each_recipient_exactly_once_more(
    client_for, board_user, batch, django_capture_on_commit_callbacks
):
    response = post_confirmation(client_for(board_user), batch, django_capture_on_commit_callbacks)

    assert response.redirect_chain == [(reverse("outbox_unknown"), 302)]
    assert messages_of(response) == ["Van 3 mails staat een nieuw exemplaar klaar om te versturen."]
    assert sorted(m.to[0] for m in mail.outbox) == RECIPIENTS
    assert sorted(m.body for m in mail.outbox) == [f"Beste {to}" for to in RECIPIENTS]
    copies = OutgoingMail.objects.filter(resent_from__in=batch)
    assert sorted(copies.values_list("resent_from_id", "to", "status")) == [
        (pk, to, OutgoingMail.Status.SENT) for pk, to in zip(batch, RECIPIENTS, strict=True)
    ]
    # The originals keep their unknown fate; the review no longer shows them.
    assert set(OutgoingMail.objects.filter(pk__in=batch).values_list("status", flat=True)) == {"unknown"}
    assert response.context["groups"] == []
    # One audit entry per resent mail, as for a single resend.
    assert sorted(AuditEntry.objects.filter(action="mail.resent").values_list("actor", "target_id")) == [
        (board_user.pk, str(pk)) for pk in batch
    ]


def test_second_post_of_the_same_confirmation_sends_nothing_more(
    client_for, board_user, batch, django_capture_on_commit_callbacks
):
    client = client_for(board_user)
    post_confirmation(client, batch, django_capture_on_commit_callbacks)

    response = post_confirmation(client, batch, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 3
    assert OutgoingMail.objects.count() == 6
    assert AuditEntry.objects.filter(action="mail.resent").count() == 3
    assert messages_of(response) == [
        "3 mails zijn niet opnieuw verstuurd: Van deze mail is al een nieuw exemplaar gemaakt."
    ]


def test_mail_no_longer_unknown_is_skipped(client_for, board_user, batch, django_capture_on_commit_callbacks):
    OutgoingMail.objects.filter(pk=batch[0]).update(status=OutgoingMail.Status.SENT)

    response = post_confirmation(client_for(board_user), batch, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == RECIPIENTS[1:]
    assert messages_of(response) == [
        "Van 2 mails staat een nieuw exemplaar klaar om te versturen.",
        "1 mail is niet opnieuw verstuurd: De status is nu “Verzonden”: hier worden alleen mails opnieuw verstuurd "
        "waarvan onbekend is of ze zijn aangekomen.",
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Kies minstens één mail."),
        ({"mail": ["abc"]}, "“abc” is geen nummer van een mail."),
        ({"mail": ["999999"]}, "Mail 999999 staat niet in de outbox."),
    ],
)
def test_bad_selection_is_a_dutch_error_and_changes_nothing(client_for, board_user, batch, data, error):
    response = client_for(board_user).post(reverse("outbox_unknown_resend"), {**data, "confirmed": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"mail": [error]}
    assert error in visible_text(response)
    assert OutgoingMail.objects.count() == 3
    assert mail.outbox == []


@pytest.mark.parametrize("fixture", ["recruiter_user", "member_user", "mp_user"])
def test_other_roles_may_not_review_or_resend(client_for, request, batch, fixture, django_capture_on_commit_callbacks):
    client = client_for(request.getfixturevalue(fixture))

    review = client.get(reverse("outbox_unknown"))
    confirmation = client.get(confirm_url(batch))
    with django_capture_on_commit_callbacks(execute=True):
        post = client.post(reverse("outbox_unknown_resend"), {"mail": batch, "confirmed": "1"})

    assert (review.status_code, confirmation.status_code, post.status_code) == (403, 403, 403)
    assert OutgoingMail.objects.count() == 3
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(action="mail.resent").exists()


def test_plan_and_service_agree(board_user, batch):
    plan = selectors.bulk_resend_plan(mails=OutgoingMail.objects.filter(pk__in=batch))

    result = outbox.resend_unknown_mails(mail_ids=batch, actor=board_user)

    assert [m.pk for m in plan.send] == [c.resent_from_id for c in result.copies] == batch
    assert plan.skipped == result.skipped == []


# --- Concurrency (PostgreSQL) -----------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_bulk_resends_of_one_group_send_each_mail_once(board_user):
    requires_postgresql()
    # Written straight to the table, as a dropped connection leaves them:
    # the capture fixture does not apply outside a test transaction.
    ids = [
        OutgoingMail.objects.create(
            to=to,
            subject="Agenda sessie 5",
            body_text=f"Beste {to}",
            idempotency_key=f"batch:{to}",
            status=OutgoingMail.Status.UNKNOWN,
            last_error=DROPPED,
            attempts=1,
            sending_started_at=BATCH_STARTED,
        ).pk
        for to in RECIPIENTS
    ]
    mail.outbox = []

    results = run_concurrently(lambda: outbox.resend_unknown_mails(mail_ids=ids, actor=board_user), 2)

    assert [kind for kind, _ in results] == ["ok", "ok"]
    assert sorted(len(result.copies) for _, result in results) == [0, 3]
    assert sorted(len(result.skipped) for _, result in results) == [0, 3]
    assert sorted(m.to[0] for m in mail.outbox) == RECIPIENTS
    assert OutgoingMail.objects.filter(resent_from__in=ids, status=OutgoingMail.Status.SENT).count() == 3
    assert AuditEntry.objects.filter(action="mail.resent").count() == 3


# --- In the browser -----------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_review_and_confirmation_pass_the_walk_checks(_reference_data, live_server, browser):
    """No console error, CSP violation, serious axe finding or sideways scrolling on either page."""
    load_demo_data()
    ids = [
        OutgoingMail.objects.create(
            to=to,
            subject="Agenda sessie 5",
            body_text="Tekst",
            idempotency_key=f"walk:{to}",
            status=OutgoingMail.Status.UNKNOWN,
            last_error=DROPPED,
            sending_started_at=BATCH_STARTED,
            sensitive=to == RECIPIENTS[0],
        ).pk
        for to in RECIPIENTS
    ]

    def login(page):
        log_in(page, live_server.url, DEMO_EMAILS["bestuur"], PASSWORD, two_factor=True)

    start = (reverse("outbox_unknown"), confirm_url(ids))
    result = walk(browser, live_server.url, "bestuur", login=login, start=start, max_pages=2)

    assert result.visited == list(start)
    if result.problems:
        pytest.fail(result.summary(), pytrace=False)
