"""The board's updates to the Kamerleden: the facts, the preview, the mail through the outbox, the reminder."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from denktank import selectors, services
from denktank.exceptions import NoKamerlidToInform, UpdateAlreadySent, UpdateOutdated
from denktank.models import BEGINNING, AuditEntry, KamerlidUpdate, KamerlidUpdateReminder, OutgoingMail, Role
from documents import services as documents_services
from documents.models import Section
from sessions_app import services as sessions_services
from sessions_app.models import Meeting

from ..factories import UserFactory
from ..pages import payload_of, visible_text

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LAST_UPDATE_UNTIL = datetime(2026, 11, 1, 12, 0, tzinfo=AMSTERDAM)
FINALISED_AT = datetime(2026, 11, 10, 15, 0, tzinfo=AMSTERDAM)
UNTIL = datetime(2026, 11, 20, 12, 0, tzinfo=AMSTERDAM)


def utc(moment):
    return moment.astimezone(UTC).isoformat()


def make_final(section, board, at):
    documents_services.set_status(section=section, status="final", by=board)
    AuditEntry.objects.filter(action="section.status.final", target_id=str(section.pk)).update(created_at=at)


def publish_minutes(title, board, at):
    meeting = Meeting.objects.get(title=title)
    sessions_services.save_minutes(meeting=meeting, minutes="Besproken: de agenda.", publish=True, by=board)
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=at)
    return meeting


@pytest.fixture
def report(board_user):
    """A report with sections finished before and after the last update, recommendations and minutes."""
    intro = Section.objects.get(title="Inleiding")
    annex = Section.objects.get(title="Bijlagen")
    recs = Section.objects.get(title="Aanbevelingen")
    paths = Section.objects.get(title="Vijf richtingen")
    Section.objects.filter(pk__in=[intro.pk, recs.pk]).update(shared=True)
    make_final(annex, board_user, LAST_UPDATE_UNTIL - timedelta(days=3))  # before the last update
    make_final(intro, board_user, FINALISED_AT)
    make_final(recs, board_user, FINALISED_AT + timedelta(hours=1))
    make_final(paths, board_user, FINALISED_AT)
    documents_services.set_status(section=paths, status="draft", by=board_user)  # final, then back: not finished
    documents_services.add_recommendation(
        by=board_user,
        text="Maak  omscholing\nfiscaal aftrekbaar.",
        rationale="",
        questions=[],
        directions=[],
        section=recs,
    )
    documents_services.add_recommendation(
        by=board_user, text="Een concept dat binnen blijft.", rationale="", questions=[], directions=[], section=paths
    )
    publish_minutes("Kick-off", board_user, datetime(2026, 9, 2, 9, 0, tzinfo=AMSTERDAM))
    minutes = publish_minutes("Tussentijdse sessie", board_user, datetime(2026, 11, 4, 9, 0, tzinfo=AMSTERDAM))
    return {"intro": intro, "recs": recs, "annex": annex, "minutes": minutes}


@pytest.fixture
def last_update(board_user):
    return KamerlidUpdate.objects.create(
        title="September en oktober",
        text="Tekst",
        facts={},
        facts_since=BEGINNING,
        facts_until=LAST_UPDATE_UNTIL,
        sent_by=board_user,
        sent_at=LAST_UPDATE_UNTIL,
        recipient_count=1,
        token=uuid.uuid4(),
    )


@pytest.fixture
def kamerleden(mp_user):
    UserFactory(name="Oud Kamerlid", email="oud-kamerlid@example.nl", roles=[Role.KAMERLID], is_active=False)
    return [mp_user]


def section_url(section):
    return f"http://testserver/einddocument/{section.pk}/"


def meeting_url(meeting):
    return f"http://testserver/sessies/{meeting.pk}/"


# --- The facts ------------------------------------------------------------------------


def test_facts_are_what_changed_since_the_last_update_as_the_kamerlid_sees_it(
    board_user, kamerleden, report, last_update
):
    facts = selectors.kamerlid_update_facts(since=selectors.next_facts_since(), until=UNTIL)

    sessions = {title: Meeting.objects.get(title=title) for title in ["Sessie 5", "Sessie 6", "Sessie 7"]}
    assert facts == {
        "since": utc(LAST_UPDATE_UNTIL),
        "until": utc(UNTIL),
        # Inleiding and Aanbevelingen became final after the last update and are shared; Bijlagen
        # was final before it; Vijf richtingen went back to draft.
        "sections": [
            {"number": "1", "title": "Inleiding", "pk": report["intro"].pk, "readable": True},
            {"number": "5", "title": "Aanbevelingen", "pk": report["recs"].pk, "readable": True},
        ],
        "meetings": [
            {
                "pk": sessions[title].pk,
                "title": title,
                "starts_at": utc(sessions[title].starts_at),
                "place": "Online",
            }
            for title in ["Sessie 5", "Sessie 6", "Sessie 7"]
        ],
        # Only the recommendation of a shared section, on one line.
        "recommendations": [{"text": "Maak omscholing fiscaal aftrekbaar."}],
        "minutes": {
            "pk": report["minutes"].pk,
            "title": "Tussentijdse sessie",
            "starts_at": utc(report["minutes"].starts_at),
            "published_at": "2026-11-04T08:00:00+00:00",
        },
    }


def test_first_update_names_every_final_section_and_marks_unshared_ones_unreadable(board_user, kamerleden, report):
    facts = selectors.kamerlid_update_facts(since=selectors.next_facts_since(), until=UNTIL)

    assert facts["since"] is None
    assert [(s["title"], s["readable"]) for s in facts["sections"]] == [
        ("Inleiding", True),
        ("Aanbevelingen", True),
        ("Bijlagen", False),
    ]


def test_facts_without_any_kamerlid_show_no_more_than_a_kamerlid_would_see(board_user, report):
    facts = selectors.kamerlid_update_facts(since=BEGINNING, until=UNTIL)

    assert facts["recommendations"] == [{"text": "Maak omscholing fiscaal aftrekbaar."}]
    assert [s["readable"] for s in facts["sections"]] == [False, False, False]


# --- Sending -------------------------------------------------------------------------------


def send(board_user, *, title="Sessie 5 in aantocht", text="Beste allen, **goed nieuws**.", token=None):
    since = selectors.next_facts_since()
    facts = selectors.kamerlid_update_facts(since=since, until=UNTIL)
    return services.send_kamerlid_update(
        title=title,
        text=text,
        facts=facts,
        facts_since=since,
        facts_until=UNTIL,
        token=token or uuid.uuid4(),
        by=board_user,
    )


EXPECTED_TEXT = """Beste Karin,

Beste allen, **goed nieuws**.

Onderdelen afgerond sinds 1 november 2026:
- 1 Inleiding: {intro}
- 5 Aanbevelingen: {recs}

Volgende bijeenkomsten:
- Sessie 5: dinsdag 1 december 2026, 20:00, Online
- Sessie 6: dinsdag 15 december 2026, 20:00, Online
- Sessie 7: dinsdag 12 januari 2027, 20:00, Online

Aanbevelingen tot nu toe:
1. Maak omscholing fiscaal aftrekbaar.
Alle aanbevelingen met hun onderbouwing: http://testserver/einddocument/aanbevelingen/

Laatste verslag:
Tussentijdse sessie (3 november 2026): {minutes}

Eerdere updates staan op het platform. http://testserver/kamerlid-updates/"""


def test_update_mail_goes_to_every_active_kamerlid_with_the_facts(
    board_user, kamerleden, report, last_update, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update = send(board_user)

    assert [m.to for m in mail.outbox] == [["kamerlid@example.nl"]]
    sent = OutgoingMail.objects.get(to="kamerlid@example.nl")
    assert (sent.subject, sent.status, sent.idempotency_key) == (
        "[Denktank] Update van de denktank: Sessie 5 in aantocht",
        "sent",
        f"kamerlid-update:{update.pk}:{kamerleden[0].pk}",
    )
    assert sent.body_text == EXPECTED_TEXT.format(
        intro=section_url(report["intro"]), recs=section_url(report["recs"]), minutes=meeting_url(report["minutes"])
    )
    assert "<p>Beste allen, <strong>goed nieuws</strong>.</p>" in sent.body_html
    assert f'<a href="{section_url(report["intro"])}">Inleiding</a>' in sent.body_html
    assert (update.recipient_count, update.facts_since, update.facts_until, update.sent_by) == (
        1,
        LAST_UPDATE_UNTIL,
        UNTIL,
        board_user,
    )
    entry = AuditEntry.objects.get(action="kamerlid_update.sent")
    assert (entry.actor, entry.target_id, entry.data) == (board_user, str(update.pk), {"recipients": 1})


def test_board_text_is_sanitised_in_the_mail(board_user, kamerleden):
    send(board_user, text='Klik <script>alert(1)</script> [hier](javascript:alert(1)) <img src=x onerror="x()">')

    html = OutgoingMail.objects.get().body_html
    assert ("<script" in html, 'href="javascript' in html, "<img" in html) == (False, False, False)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_same_preview_sent_twice_sends_once(board_user, kamerleden):
    token = uuid.uuid4()
    send(board_user, token=token)

    with pytest.raises(UpdateAlreadySent):
        send(board_user, token=token)
    assert (KamerlidUpdate.objects.count(), OutgoingMail.objects.count()) == (1, 1)


def test_update_for_a_period_another_update_covers_is_refused(board_user, kamerleden, last_update):
    since = selectors.next_facts_since()
    facts = selectors.kamerlid_update_facts(since=since, until=UNTIL)
    send(board_user)  # someone else sent one after this preview was made

    with pytest.raises(UpdateOutdated):
        services.send_kamerlid_update(
            title="Te laat",
            text="T",
            facts=facts,
            facts_since=since,
            facts_until=UNTIL,
            token=uuid.uuid4(),
            by=board_user,
        )
    assert list(KamerlidUpdate.objects.values_list("title", flat=True)) == [
        "Sessie 5 in aantocht",
        "September en oktober",
    ]
    assert OutgoingMail.objects.count() == 1


def test_update_without_an_active_kamerlid_is_refused(board_user, db):
    UserFactory(roles=[Role.KAMERLID], is_active=False)

    with pytest.raises(NoKamerlidToInform):
        send(board_user)
    assert (KamerlidUpdate.objects.count(), OutgoingMail.objects.count()) == (0, 0)


# --- The pages ------------------------------------------------------------------------------


def preview(client, title="Sessie 5 in aantocht", text="Beste allen, **goed nieuws**."):
    return client.post(reverse("kamerlid_update_new"), {"action": "preview", "title": title, "text": text})


def test_board_previews_the_exact_mail_and_sends_it(client_for, board_user, kamerleden, report, last_update):
    client = client_for(board_user)

    response = preview(client)

    assert response.status_code == 200
    text = visible_text(response)
    assert "Deze mail gaat naar 1 Kamerlid: Karin Kamerlid." in text
    assert "[Denktank] Update van de denktank: Sessie 5 in aantocht" in text
    assert "Beste Karin, Beste allen, goed nieuws ." in text
    assert "Onderdelen afgerond sinds 1 november 2026 1 Inleiding 5 Aanbevelingen" in text
    assert OutgoingMail.objects.count() == 0  # a preview sends nothing
    body_text = response.context["body_text"]

    sent = client.post(reverse("kamerlid_update_new"), {"action": "send", "payload": payload_of(response)})

    update = KamerlidUpdate.objects.get(title="Sessie 5 in aantocht")
    assert sent.url == reverse("kamerlid_update", args=[update.pk])
    assert [str(m) for m in get_messages(sent.wsgi_request)] == ["De update is onderweg naar 1 Kamerlid."]
    # Exactly the previewed mail.
    assert OutgoingMail.objects.get().body_text == body_text
    assert update.text == "Beste allen, **goed nieuws**."


def test_second_click_on_send_sends_nothing_more(client_for, board_user, kamerleden):
    client = client_for(board_user)
    payload = payload_of(preview(client))

    client.post(reverse("kamerlid_update_new"), {"action": "send", "payload": payload})
    again = client.post(reverse("kamerlid_update_new"), {"action": "send", "payload": payload})

    update = KamerlidUpdate.objects.get()
    assert again.url == reverse("kamerlid_update", args=[update.pk])
    assert [str(m) for m in get_messages(again.wsgi_request)][-1] == "Deze update is al verstuurd."
    assert OutgoingMail.objects.count() == 1


def test_changed_preview_is_refused(client_for, board_user, kamerleden):
    client = client_for(board_user)
    payload = payload_of(preview(client))

    response = client.post(reverse("kamerlid_update_new"), {"action": "send", "payload": payload[:-2] + "xx"})

    assert response.status_code == 200
    assert "Dit voorbeeld is gewijzigd of beschadigd: schrijf de update opnieuw." in visible_text(response)
    assert (KamerlidUpdate.objects.count(), OutgoingMail.objects.count()) == (0, 0)


def test_edit_returns_the_text_to_the_form(client_for, board_user, kamerleden):
    client = client_for(board_user)
    payload = payload_of(preview(client, title="Concept", text="Eerste versie"))

    response = client.post(reverse("kamerlid_update_new"), {"action": "edit", "payload": payload})

    assert response.context["form"].initial == {"title": "Concept", "text": "Eerste versie"}
    assert KamerlidUpdate.objects.count() == 0


def test_too_long_update_gets_a_dutch_error(client_for, board_user, kamerleden):
    response = preview(client_for(board_user), text="x" * 5001)

    assert response.context["form"].errors == {
        "text": ["Zorg dat deze waarde niet meer dan 5000 tekens bevat (het zijn er nu 5001)."]
    }
    assert OutgoingMail.objects.count() == 0


def test_kamerlid_reads_updates_on_the_dashboard_and_the_list(client_for, board_user, kamerleden, last_update):
    update = send(board_user)
    client = client_for(kamerleden[0])

    dashboard = visible_text(client.get(reverse("home")))
    listing = client.get(reverse("kamerlid_updates"))
    detail = client.get(reverse("kamerlid_update", args=[update.pk]))

    assert "Updates van het bestuur Sessie 5 in aantocht" in dashboard
    assert [u.title for u in listing.context["updates"]] == ["Sessie 5 in aantocht", "September en oktober"]
    assert detail.status_code == 200
    assert "Beste allen, goed nieuws ." in visible_text(detail)
    assert "Verstuurd op" in visible_text(detail)


def test_update_page_of_a_missing_update_is_404(client_for, mp_user):
    assert client_for(mp_user).get(reverse("kamerlid_update", args=[999])).status_code == 404


# --- The reminder ------------------------------------------------------------------------------


def test_reminder_goes_to_the_board_exactly_once_per_four_weeks(board_user, kamerleden, last_update):
    second_board = UserFactory(name="Ben Bestuur", email="ben@example.nl", roles=[Role.BESTUUR])
    UserFactory(roles=[Role.BESTUUR], is_active=False)
    four_weeks = last_update.sent_at + timedelta(weeks=4)

    assert services.remind_board_of_kamerlid_update(now=four_weeks - timedelta(minutes=1)) == 0
    assert services.remind_board_of_kamerlid_update(now=four_weeks + timedelta(hours=1)) == 2
    assert services.remind_board_of_kamerlid_update(now=four_weeks + timedelta(hours=2)) == 0
    assert services.remind_board_of_kamerlid_update(now=four_weeks + timedelta(days=20)) == 0

    reminders = OutgoingMail.objects.filter(subject="[Denktank] Tijd voor een update aan de Kamerleden")
    assert sorted(reminders.values_list("to", flat=True)) == ["ben@example.nl", "bestuur@example.nl"]
    assert list(KamerlidUpdateReminder.objects.values_list("due_at", flat=True)) == [four_weeks]
    body = reminders.get(to=second_board.email).body_text
    assert (
        "De Kamerleden hebben al 4 weken geen update gehad: de laatste, “September en oktober”, ging op 1 november "
        "2026 de deur uit." in body
    )
    assert "http://testserver/kamerlid-updates/nieuw/" in body


def test_reminder_comes_again_after_eight_weeks_and_not_after_a_new_update(board_user, kamerleden, last_update):
    eight_weeks = last_update.sent_at + timedelta(weeks=8)

    assert services.remind_board_of_kamerlid_update(now=eight_weeks + timedelta(hours=1)) == 1
    assert services.remind_board_of_kamerlid_update(now=eight_weeks + timedelta(hours=1)) == 0
    assert list(KamerlidUpdateReminder.objects.values_list("due_at", flat=True)) == [eight_weeks]

    update = send(board_user)
    assert services.remind_board_of_kamerlid_update(now=update.sent_at + timedelta(weeks=3)) == 0


def test_no_reminder_without_a_kamerlid(board_user):
    assert services.remind_board_of_kamerlid_update(now=datetime(2030, 1, 1, tzinfo=AMSTERDAM)) == 0
    assert KamerlidUpdateReminder.objects.count() == 0


def test_reminder_before_any_update_counts_from_the_first_kamerlid(board_user, mp_user):
    joined = mp_user.date_joined

    assert services.remind_board_of_kamerlid_update(now=joined + timedelta(weeks=4, hours=1)) == 1
    assert "De Kamerleden zijn al 4 weken op het platform en hebben nog geen update gehad." in (
        OutgoingMail.objects.get().body_text
    )


def test_reminder_task_runs_the_sweep(board_user, kamerleden, last_update, monkeypatch):
    from denktank import tasks

    assert tasks.remind_kamerlid_update.delay().get() == 1  # the last update is long ago (real time)
    assert KamerlidUpdateReminder.objects.count() == 1
