"""Every page of the final presentation as every role and through guest links; bad input gets a clear Dutch answer."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from denktank.models import AuditEntry, OutgoingMail
from documents.models import ReportVersion
from sessions_app import services
from sessions_app.links import CONFIRM_SALT, make_confirm_token, make_guest_token
from sessions_app.models import Guest, Reaction
from sessions_app.views import REGISTER_LIMIT

from .conftest import SignedLongAgo, confirmed, register

# --- The public page and registering ----------------------------------------------------


VALID = {
    "name": "Gerda Gast",
    "email": "gerda@example.org",
    "is_party_member": "no",
    "organisation": "Gemeente Delft",
    "consent": "on",
}


def test_the_public_page_links_to_the_registration_only_while_it_is_open(client, presentation):
    html = client.get("/").content.decode()
    assert 'href="/sessies/eindpresentatie/"' in html
    assert "Kom naar de eindpresentatie" in html

    presentation.registration_open = False
    presentation.save()
    html = client.get("/").content.decode()
    assert "/sessies/eindpresentatie/" not in html


def test_the_registration_page_says_how_guest_data_is_kept(client, presentation):
    html = client.get(reverse("sessions_app:register")).content.decode()

    assert "Vier weken na de presentatie verwijderen we je gegevens." in html
    assert "blijft bewaard, zonder je naam" in html
    assert "Alleen het EZI-bestuur ziet dit" in html
    assert 'name="website"' in html
    with translation.override("nl"):
        when = date_format(timezone.localtime(presentation.meeting.starts_at), "l j F Y")
    assert f"{when}, 19:30–22:00" in html


def test_a_closed_registration_says_so_and_stores_nothing(client, presentation):
    presentation.registration_open = False
    presentation.save()

    get = client.get(reverse("sessions_app:register"))
    post = client.post(reverse("sessions_app:register"), VALID)

    assert "De aanmelding voor gasten is niet open." in get.content.decode()
    assert post.status_code == 200
    assert Guest.objects.count() == 0


def test_registering_shows_check_your_mail_and_sends_the_confirmation(client, presentation):
    response = client.post(reverse("sessions_app:register"), VALID)

    assert response.status_code == 302
    assert response["Location"] == reverse("sessions_app:registered")
    guest = Guest.objects.get()
    assert (guest.name, guest.email, guest.is_party_member, guest.organisation, guest.status) == (
        "Gerda Gast",
        "gerda@example.org",
        False,
        "Gemeente Delft",
        "unconfirmed",
    )
    page = client.get(response["Location"]).content.decode()
    assert "Bevestig je aanmelding binnen 7 dagen met de link daarin" in page


def test_a_duplicate_registration_shows_the_same_page_and_mails_the_owner(client, presentation):
    confirmed(presentation)
    before = OutgoingMail.objects.count()

    response = client.post(reverse("sessions_app:register"), {**VALID, "name": "Indringer"})

    assert (response.status_code, response["Location"]) == (302, reverse("sessions_app:registered"))
    assert Guest.objects.get().name == "Gerda Gast"
    [notice] = OutgoingMail.objects.order_by("pk")[before:]
    assert (notice.to, notice.subject) == ("gerda@example.org", "[Denktank] Je bent al aangemeld: Eindpresentatie")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "x" * 101}, "name", "Zorg dat deze waarde niet meer dan 100 tekens bevat (het zijn er nu 101)."),
        ({"organisation": "o" * 151}, "organisation", None),
        ({"email": "geen-adres"}, "email", "Voer een geldig e-mailadres in."),
        ({"email": "a" * 250 + "@x.nl"}, "email", None),
        ({"is_party_member": ""}, "is_party_member", "Geef aan of je lid bent van de VVD."),
        ({"is_party_member": "misschien"}, "is_party_member", None),
        ({"consent": ""}, "consent", "We kunnen je alleen aanmelden met je toestemming."),
        ({"name": ""}, "name", "Dit veld is verplicht."),
    ],
)
def test_bad_input_gets_a_dutch_error_and_stores_nothing(client, presentation, change, field, message):
    response = client.post(reverse("sessions_app:register"), {**VALID, **change})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert Guest.objects.count() == 0
    assert OutgoingMail.objects.count() == 0


def test_the_honeypot_stops_bots(client, presentation):
    response = client.post(reverse("sessions_app:register"), {**VALID, "website": "http://spam.example"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"website": ["Laat dit veld leeg."]}
    assert Guest.objects.count() == 0


def test_the_rate_limit_counts_per_client_behind_the_proxy(client, presentation, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def post(number, address):
        data = {**VALID, "email": f"g{number}@example.org"}
        return client.post(reverse("sessions_app:register"), data, HTTP_X_FORWARDED_FOR=address)

    statuses = [post(n, "203.0.113.7").status_code for n in range(REGISTER_LIMIT + 1)]
    other = post(99, "198.51.100.2")

    assert statuses == [302] * REGISTER_LIMIT + [429]
    assert other.status_code == 302
    assert Guest.objects.count() == REGISTER_LIMIT + 1


# --- Guest links ------------------------------------------------------------------------


def test_opening_the_confirmation_link_confirms_nothing_until_the_button(client, presentation):
    guest = register(presentation)
    url = reverse("sessions_app:guest_confirm", args=[make_confirm_token(guest)])

    page = client.get(url)
    assert page.status_code == 200
    assert "Mijn aanmelding bevestigen" in page.content.decode()
    assert Guest.objects.get().status == "unconfirmed"

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("sessions_app:guest", args=[make_guest_token(guest)])
    assert Guest.objects.get().status == "confirmed"
    own_page = client.get(response["Location"]).content.decode()
    assert "Je aanmelding is bevestigd: je hebt een plek." in own_page
    assert "Je hebt een plek" in own_page
    assert reverse("sessions_app:guest_ics", args=[make_guest_token(guest)]) in own_page
    # A confirmed guest opening the old link lands on their own page.
    assert client.get(url)["Location"] == response["Location"]


def test_a_waiting_guest_sees_their_place_on_the_list_and_gets_no_calendar_file(client, presentation):
    presentation.capacity = 1
    presentation.save()
    confirmed(presentation, email="eerste@example.org")
    waiting = confirmed(presentation, email="tweede@example.org")
    token = make_guest_token(waiting)

    html = client.get(reverse("sessions_app:guest", args=[token])).content.decode()

    assert "Wachtlijst: nummer 1" in html
    assert reverse("sessions_app:guest_ics", args=[token]) not in html
    assert client.get(reverse("sessions_app:guest_ics", args=[token])).status_code == 404


def test_the_calendar_file_of_a_guest_with_a_place(client, guest):
    response = client.get(reverse("sessions_app:guest_ics", args=[make_guest_token(guest)]))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "SUMMARY:Denktank: Eindpresentatie" in body
    assert "LOCATION:Den Haag\\, adres volgt" in body


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("garbage", "Deze link is niet (meer) geldig."),
        ("expired", "Deze bevestigingslink is verlopen. Meld je opnieuw aan: je krijgt een nieuwe link per mail."),
        ("purged", "Deze link is niet (meer) geldig."),
    ],
)
def test_bad_or_expired_links_get_a_clear_dutch_page(client, presentation, kind, message):
    guest = register(presentation)
    tokens = {
        "garbage": "kapot:link",
        "expired": SignedLongAgo(salt=CONFIRM_SALT).sign_object({"g": guest.pk, "k": guest.key}),
        "purged": make_confirm_token(guest),
    }
    if kind == "purged":
        guest.delete()

    for name in ["guest_confirm", "guest", "guest_cancel", "guest_reactions", "guest_ics"]:
        token = tokens[kind] if name == "guest_confirm" or kind != "expired" else tokens["garbage"]
        for method in ("get", "post"):
            response = getattr(client, method)(reverse(f"sessions_app:{name}", args=[token]))
            assert response.status_code == 410, (name, method)
            html = response.content.decode()
            assert "Deze link werkt niet" in html
            if name == "guest_confirm":
                assert message in html
    assert Guest.objects.filter(status="confirmed").count() == 0


def test_cancelling_through_the_link_asks_first_and_moves_the_waiting_list_up(client, presentation):
    presentation.capacity = 1
    presentation.save()
    first = confirmed(presentation, email="eerste@example.org")
    confirmed(presentation, email="tweede@example.org")
    url = reverse("sessions_app:guest_cancel", args=[make_guest_token(first)])

    assert "Ja, meld mij af" in client.get(url).content.decode()
    assert Guest.objects.get(pk=first.pk).status == "confirmed"
    response = client.post(url)

    assert response.status_code == 302
    assert dict(Guest.objects.values_list("email", "status")) == {
        "eerste@example.org": "cancelled",
        "tweede@example.org": "confirmed",
    }
    assert "Je hebt je afgemeld." in client.get(response["Location"]).content.decode()


# --- Reacting -----------------------------------------------------------------------------


def test_a_guest_reacts_through_their_link_and_can_change_it(client, guest, recommendations):
    url = reverse("sessions_app:guest_reactions", args=[make_guest_token(guest)])
    second = recommendations[1]

    page = client.get(url).content.decode()
    assert "Maak omscholing een recht met een inkomensbrug." in page
    assert f'id="r{second.pk}_stance_0"' in page
    response = client.post(url, {"recommendation": second.pk, "stance": "reservation", "comment": "Ja, maar"})
    client.post(url, {"recommendation": second.pk, "stance": "oppose", "comment": ""})

    assert response["Location"] == f"{url}#aanbeveling-{second.pk}"
    assert list(Reaction.objects.values_list("guest_id", "recommendation_id", "stance", "comment")) == [
        (guest.pk, second.pk, "oppose", "")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"stance": "support", "comment": "x" * 1001},
            "Zorg dat deze waarde niet meer dan 1000 tekens bevat (het zijn er nu 1001).",
        ),
        ({"stance": "misschien"}, "Selecteer een geldige keuze."),
        ({"stance": ""}, "Kies steun, steun met voorbehoud of tegen."),
    ],
)
def test_bad_reactions_get_a_dutch_error_and_save_nothing(client, guest, recommendations, data, message):
    url = reverse("sessions_app:guest_reactions", args=[make_guest_token(guest)])

    response = client.post(url, {"recommendation": recommendations[0].pk, **data})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Reaction.objects.count() == 0


@pytest.mark.parametrize("recommendation", ["99999999999999999999999", "abc", "", "-1"])
def test_a_reaction_to_an_unknown_recommendation_is_refused_above_the_list(
    client, guest, recommendations, recommendation
):
    url = reverse("sessions_app:guest_reactions", args=[make_guest_token(guest)])

    response = client.post(url, {"recommendation": recommendation, "stance": "support"})

    assert response.status_code == 200
    assert "Deze aanbeveling is niet gevonden. Laad de pagina opnieuw." in response.content.decode()
    assert Reaction.objects.count() == 0


def test_reactions_are_closed_once_the_report_is_published(client, guest, recommendations, member_user, board_user):
    ReportVersion.objects.create(number=1, published_by=board_user)
    url = reverse("sessions_app:guest_reactions", args=[make_guest_token(guest)])

    page = client.get(url).content.decode()
    response = client.post(url, {"recommendation": recommendations[0].pk, "stance": "support"})

    assert "Reageren op de aanbevelingen is gesloten." in page
    assert '<form method="post" novalidate>' not in page
    assert "Reageren op de aanbevelingen is gesloten." in response.content.decode()
    assert Reaction.objects.count() == 0


def test_a_member_reacts_when_logged_in(client_for, presentation, recommendations, member_user):
    client = client_for(member_user)
    url = reverse("sessions_app:member_reactions")

    client.post(url, {"recommendation": recommendations[0].pk, "stance": "support", "comment": "Eens"})

    assert list(Reaction.objects.values_list("respondent", "user_id", "stance", "comment")) == [
        ("member", member_user.pk, "support", "Eens")
    ]
    assert "Reageer op de aanbevelingen" in client.get("/").content.decode()


# --- The board -----------------------------------------------------------------------------


def test_the_board_opens_the_registration_and_sets_the_places(client_for, presentation, board_user):
    presentation.registration_open, presentation.capacity = False, 0
    presentation.save()
    client = client_for(board_user)
    url = reverse("sessions_app:presentation_manage")

    refused = client.post(url, {"registration_open": "on", "capacity": "0"})
    negative = client.post(url, {"capacity": "-5"})
    saved = client.post(url, {"registration_open": "on", "capacity": "40", "reactions_open": "on"})

    assert refused.context["settings_form"].errors == {
        "capacity": ["Stel het aantal plaatsen voor gasten in voordat je de aanmelding opent."]
    }
    assert negative.context["settings_form"].errors == {"capacity": ["Zorg ervoor dat deze waarde minstens 0 is."]}
    assert saved.status_code == 302
    presentation.refresh_from_db()
    assert (presentation.registration_open, presentation.capacity, presentation.reactions_open) == (True, 40, True)


def test_the_board_sees_every_registration_by_status(client_for, presentation, board_user):
    presentation.capacity = 1
    presentation.save()
    confirmed(presentation, email="plek@example.org", name="Piet Plek")
    confirmed(presentation, email="wacht@example.org", name="Wim Wacht")
    register(presentation, email="nog@example.org", name="Nina Nog")
    client = client_for(board_user)

    everyone = client.get(reverse("sessions_app:presentation_manage")).content.decode()
    waiting = client.get(reverse("sessions_app:presentation_manage") + "?status=waiting")
    bad = client.get(reverse("sessions_app:presentation_manage") + "?status=<script>")

    assert all(name in everyone for name in ["Piet Plek", "Wim Wacht", "Nina Nog", "plek@example.org"])
    assert [g.name for g in waiting.context["guests"]] == ["Wim Wacht"]
    assert len(bad.context["guests"]) == 3
    assert "Onbekende status: iedereen wordt getoond." in bad.content.decode()
    assert waiting["Cache-Control"] == "private, no-store"


def test_the_guest_list_takes_the_same_queries_for_one_or_three_guests(client_for, presentation, board_user):
    client = client_for(board_user)
    url = reverse("sessions_app:presentation_manage")
    client.get(url)  # the session and permissions warm up

    def queries_with(count):
        for number in range(count - presentation.guests.count()):
            confirmed(presentation, email=f"g{count}-{number}@example.org")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert len(response.context["guests"]) == count
        return len(captured)

    assert queries_with(1) == queries_with(3)


def test_the_door_list_has_only_guests_with_a_place_and_only_what_the_door_needs(client_for, presentation, board_user):
    presentation.capacity = 2
    presentation.save()
    confirmed(presentation, email="a@example.org", name='=HYPERLINK("http://x")')
    confirmed(presentation, email="b@example.org", name="Bert Bezoeker")
    confirmed(presentation, email="c@example.org", name="Carla Wachtlijst")

    response = client_for(board_user).get(reverse("sessions_app:presentation_export"))

    assert response["Content-Disposition"] == 'attachment; filename="eindpresentatie-deurlijst.csv"'
    assert response["Cache-Control"] == "private, no-store"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows == [
        ["Naam", "Organisatie", "VVD-lid", "Aanwezig"],
        ['\'=HYPERLINK("http://x")', "Gemeente Delft", "ja", ""],
        ["Bert Bezoeker", "Gemeente Delft", "ja", ""],
    ]
    [entry] = AuditEntry.objects.filter(action="presentation.door_list_exported")
    assert (entry.actor, entry.data) == (board_user, {"count": 2})


def test_the_board_marks_attendance_from_the_day_and_not_before(client_for, presentation, final_meeting, board_user):
    here = confirmed(presentation, email="hier@example.org")
    client = client_for(board_user)
    url = reverse("sessions_app:presentation_attendance")

    early = client.post(url, {"present": [here.pk]}, follow=True)
    assert "Je kunt de aanwezigheid vanaf de dag van de presentatie bijhouden." in early.content.decode()
    assert Guest.objects.get(pk=here.pk).attended is False
    bogus = client.post(url, {"present": ["999999999999999999999"]}, follow=True)
    assert "Kies gasten uit de lijst." in bogus.content.decode()

    final_meeting.starts_at = timezone.now() + timedelta(minutes=10)
    final_meeting.save()
    if timezone.localdate(final_meeting.starts_at) != timezone.localdate():
        pytest.skip("run just before midnight")
    client.post(url, {"present": [here.pk]})
    assert Guest.objects.get(pk=here.pk).attended is True


def test_the_board_sees_counts_chart_and_comments_and_marks_one_taken_on(
    client_for, presentation, recommendations, guest, member_user, board_user
):
    first = recommendations[0]
    services.save_reaction(recommendation=first, stance="support", comment="Helder voorstel", guest=guest)
    services.save_reaction(recommendation=first, stance="oppose", comment="Te duur", user=member_user)
    client = client_for(board_user)
    url = reverse("sessions_app:presentation_reactions")

    html = client.get(url).content.decode()
    reaction = Reaction.objects.get(user=member_user)
    client.post(reverse("sessions_app:reaction_taken_on", args=[reaction.pk]), {"taken_on": "1"})
    after = client.get(url)

    assert "2 reacties" in html
    assert re.findall(r'<div class="progress" style="width: (\d+)%">', html) == ["50", "50"]
    assert "Gast: Gerda Gast (Gemeente Delft)" in html
    assert f"Deelnemer: {member_user.name}" in html
    assert Reaction.objects.get(pk=reaction.pk).taken_on_by == board_user
    summary = after.context["summary_markdown"]
    assert "### Aanbeveling 1" in summary
    assert "- Steun: 1\n- Steun met voorbehoud: 0\n- Tegen: 1" in summary
    assert "> Te duur (overgenomen)" in summary
    assert "Gerda" not in summary and member_user.name not in summary


def test_guest_data_is_for_the_board_only(client_for, presentation, guest, member_user, mp_user):
    for user in [member_user, mp_user]:
        client = client_for(user)
        for name in ["presentation_manage", "presentation_export", "presentation_reactions"]:
            response = client.get(reverse(f"sessions_app:{name}"))
            assert response.status_code == 403
            assert guest.email not in response.content.decode()


def test_mails_to_guests_are_dutch_and_name_the_presentation(presentation):
    register(presentation)

    body = OutgoingMail.objects.get().body_text
    with translation.override("nl"):
        when = date_format(timezone.localtime(presentation.meeting.starts_at), "l j F Y")
    assert body.startswith("Beste Gerda Gast,\n\nDank je wel voor je aanmelding voor de eindpresentatie")
    assert f"Eindpresentatie\n{when}, 19:30–22:00\nDen Haag, adres volgt" in body
