"""Inviting many people at once from a CSV file: the parser, the preview and the confirmation."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from denktank.models import AuditEntry, Invitation, OutgoingMail, Role, User
from denktank.people_import import ImportFileError, parse_people_csv

from ..factories import UserFactory
from ..pages import payload_of, visible_text

DUTCH_EXCEL = (
    "\ufeffE-mail;Naam;Rol;Profielen\r\n"
    "anna@example.nl;Anna de Vries;Deelnemer;Ondernemer|Jurist\r\n"
    "\r\n"
    "PIET@example.nl;Piet Jansen;kamerlid;\r\n"
).encode()


def rows(parsed):
    return [(row.line, row.email, row.name, row.role, row.errors) for row in parsed.rows]


# --- The parser ----------------------------------------------------------------------------------


def test_dutch_excel_file_with_bom_and_semicolons(db):
    parsed = parse_people_csv(DUTCH_EXCEL)

    assert rows(parsed) == [
        (2, "anna@example.nl", "Anna de Vries", "Deelnemer", []),
        (4, "piet@example.nl", "Piet Jansen", "Kamerlid", []),
    ]
    assert parsed.has_profiles is True


def test_english_headers_commas_quotes_and_role_labels(db):
    data = (
        b'name,email,role\n"Vries, Anna de",anna@example.nl,Member of parliament\nBram,bram@example.nl,BOARD\n'
        b"Ria,ria@example.nl,Werving\n"
    )

    parsed = parse_people_csv(data)

    assert rows(parsed) == [
        (2, "anna@example.nl", "Vries, Anna de", "Kamerlid", []),
        (3, "bram@example.nl", "Bram", "Bestuur", []),
        (4, "ria@example.nl", "Ria", "Werving", []),
    ]
    assert parsed.has_profiles is False


def test_row_errors_are_reported_per_line(db):
    data = (
        "e-mail;naam;rol\n"
        "geen-adres;Anna;Deelnemer\n"
        "bram@example.nl;Bram;Voorzitter\n"
        "cees@example.nl;Cees;Deelnemer\n"
        "Cees@Example.nl;Cees twee;Deelnemer\n"
        ";;\n"
        "dirk@example.nl;;\n"
        f"eva@example.nl;{'E' * 151};Deelnemer\n"
    ).encode()

    parsed = parse_people_csv(data)

    assert rows(parsed) == [
        (2, "geen-adres", "Anna", "Deelnemer", ["“geen-adres” is geen geldig e-mailadres."]),
        (3, "bram@example.nl", "Bram", "Voorzitter", [
            "Onbekende rol “Voorzitter”: schrijf Bestuur, Werving, Deelnemer of Kamerlid."
        ]),
        (4, "cees@example.nl", "Cees", "Deelnemer", []),
        (5, "cees@example.nl", "Cees twee", "Deelnemer", ["Dit adres staat al op regel 4."]),
        (7, "dirk@example.nl", "", "", ["Geen naam.", "Geen rol."]),
        (8, "eva@example.nl", "E" * 151, "Deelnemer", ["De naam is langer dan 150 tekens."]),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "e-mail;naam;rol\nanna@example.nl;Ren\u00e9;Deelnemer\n".encode("cp1252"),
            "Het bestand is geen UTF-8-tekst. Kies in Excel “Opslaan als” en dan “CSV UTF-8 (door komma's "
            "gescheiden)”.",
        ),
        (b"  \n\n", "Het bestand is leeg."),
        (b"e-mail;naam;rol\n\n", "Het bestand noemt de kolommen, maar er staan geen mensen onder."),
        (
            b"adres;naam;functie\nanna@example.nl;Anna;Deelnemer\n",
            "De eerste regel moet de kolommen noemen: e-mail, naam en rol (in het Engels: email, name, role), "
            "eventueel profielen. De eerste regel van dit bestand is: “adres | naam | functie”.",
        ),
        (
            ("email,name,role\n" + "".join(f"p{n}@example.nl,P {n},Deelnemer\n" for n in range(501))).encode(),
            "Het bestand bevat meer dan 500 mensen. Verdeel het over meerdere bestanden.",
        ),
        (b"email,name,role\n" + b"x" * (200 * 1024), "Het bestand is groter dan 200 KB."),
    ],
    ids=["not-utf8", "empty", "header-only", "no-columns", "too-many-rows", "too-large"],
)
def test_unreadable_files_are_refused_as_a_whole(db, data, message):
    with pytest.raises(ImportFileError) as error:
        parse_people_csv(data)

    assert str(error.value) == message


def test_five_hundred_rows_are_allowed(db):
    data = ("email,name,role\n" + "".join(f"p{n}@example.nl,P {n},Deelnemer\n" for n in range(500))).encode()

    assert len(parse_people_csv(data).rows) == 500


# --- Preview and confirmation ----------------------------------------------------------------------


def upload(client, data, name="mensen.csv"):
    return client.post(reverse("people_import"), {"file": SimpleUploadedFile(name, data, "text/csv")})


@pytest.fixture
def existing(db):
    return UserFactory(name="Anna Bestaand", email="anna@example.nl", roles=[Role.WERVING])


MIXED = (
    b"e-mail;naam;rol;profielen\n"
    b"anna@example.nl;Anna de Vries;Deelnemer;Jurist\n"
    b"bram@example.nl;Bram Bos;Deelnemer;\n"
    b"cees@example.nl;Cees Kok;Kamerlid;\n"
    b"fout;Fout Adres;Deelnemer;\n"
)


def test_preview_shows_what_would_happen_and_writes_nothing(client_for, board_user, existing):
    response = upload(client_for(board_user), MIXED)

    assert response.status_code == 200
    assert [(row.email, account) for row, account in response.context["rows"]] == [
        ("anna@example.nl", existing),
        ("bram@example.nl", None),
        ("cees@example.nl", None),
        ("fout", None),
    ]
    text = visible_text(response)
    assert "2 mensen krijgen een uitnodiging 1 heeft al een account en blijft zoals het is" in text
    assert "1 regel heeft een fout en wordt overgeslagen" in text
    assert "Heeft al een account: blijft zoals het is (Werving)" in text
    assert "“fout” is geen geldig e-mailadres." in text
    assert "Die worden niet opgeslagen: het platform bewaart expertiseprofielen alleen bij aanmeldingen" in text
    assert "2 mensen uitnodigen" in text
    assert (User.objects.count(), Invitation.objects.count(), OutgoingMail.objects.count()) == (2, 0, 0)


def test_confirmation_invites_the_new_people_once_each(client_for, board_user, existing):
    client = client_for(board_user)
    payload = payload_of(upload(client, MIXED))

    response = client.post(reverse("people_import"), {"payload": payload})

    assert response.url == reverse("people")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Er zijn 2 uitnodigingen onderweg."]
    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == ["bram@example.nl", "cees@example.nl"]
    assert sorted((i.user.email, i.role) for i in Invitation.objects.select_related("user")) == [
        ("bram@example.nl", "Deelnemer"),
        ("cees@example.nl", "Kamerlid"),
    ]
    existing.refresh_from_db()
    assert (existing.name, sorted(existing.roles), existing.has_usable_password()) == (
        "Anna Bestaand",
        ["Werving"],
        True,
    )
    entry = AuditEntry.objects.get(action="people.imported")
    assert (entry.actor, entry.data) == (board_user, {"invited": 2, "left_untouched": 0})


def test_someone_who_got_an_account_meanwhile_is_left_untouched(client_for, board_user):
    client = client_for(board_user)
    payload = payload_of(upload(client, MIXED))
    UserFactory(name="Bram Eerder", email="Bram@example.nl", roles=[Role.DEELNEMER])

    response = client.post(reverse("people_import"), {"payload": payload})

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Er zijn 2 uitnodigingen onderweg.",
        "Deze adressen hebben intussen een account gekregen en zijn gelaten zoals ze zijn: bram@example.nl",
    ]
    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == ["anna@example.nl", "cees@example.nl"]


def test_confirming_twice_invites_nobody_twice(client_for, board_user):
    client = client_for(board_user)
    payload = payload_of(upload(client, MIXED))

    client.post(reverse("people_import"), {"payload": payload})
    client.post(reverse("people_import"), {"payload": payload})

    assert OutgoingMail.objects.count() == 3
    assert Invitation.objects.count() == 3


def test_changed_payload_is_refused_and_writes_nothing(client_for, board_user):
    client = client_for(board_user)
    payload = payload_of(upload(client, MIXED))

    response = client.post(reverse("people_import"), {"payload": payload[:-3] + "abc"})

    assert response.url == reverse("people_import")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Dit voorbeeld is te oud of is gewijzigd. Upload het bestand opnieuw."
    ]
    assert (User.objects.count(), OutgoingMail.objects.count()) == (1, 0)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        (
            "mensen.xlsx",
            b"PK\x03\x04",
            "Bestandsextensie ‘xlsx’ is niet toegestaan. Toegestane extensies zijn: ‘csv, txt’.",
        ),
        ("mensen.csv", b"e-mail;naam;rol\n" + b"x" * (200 * 1024), "Het bestand is groter dan 200 KB."),
        ("mensen.csv", b"", "Het verstuurde bestand is leeg."),
    ],
)
def test_bad_uploads_get_a_dutch_form_error(client_for, board_user, name, data, error):
    response = upload(client_for(board_user), data, name=name)

    assert response.context["form"].errors == {"file": [error]}
    assert (User.objects.count(), OutgoingMail.objects.count()) == (1, 0)


def test_file_with_only_errors_offers_no_confirmation(client_for, board_user):
    response = upload(client_for(board_user), b"e-mail;naam;rol\nfout;Fout;Deelnemer\n")

    assert response.context["confirm_form"] is None
    assert "Niemand in dit bestand kan worden uitgenodigd." in visible_text(response)
