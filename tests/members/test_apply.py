import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from denktank.models import OutgoingMail
from members import services
from members.models import Application, ExpertiseProfile

from .conftest import ApplicationFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
TOO_LONG = "Zorg dat deze waarde niet meer dan {limit} tekens bevat (het zijn er nu {length})."


@pytest.fixture
def valid(db):
    return {
        "name": "Anna de Vries",
        "email": "anna@example.nl",
        "phone": "06 12345678",
        "date_of_birth": "1994-03-15",
        "city": "Utrecht",
        "province": "UT",
        "membership_number": "123 456",
        "profiles": [ExpertiseProfile.objects.get(key="fiscaliteit").pk, ExpertiseProfile.objects.get(key="hr").pk],
        "occupation": "Belastingadviseur",
        "motivation": "Ik wil meedenken over werk en AI.",
        "channel": "open",
        "gender": "woman",
        "commit_six_months": "on",
        "commit_hours": "on",
        "commit_physical": "on",
        "consent_political_data": "on",
        "consent_privacy": "on",
    }


def test_application_is_stored_and_confirmed(client, valid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:apply"), {**valid, "cv": SimpleUploadedFile("cv.pdf", PDF)})

    assert response.url == reverse("members:applied")
    application = Application.objects.get()
    assert (application.name, application.membership_number, application.stage, application.is_young) == (
        "Anna de Vries",
        "123456",
        "new",
        True,
    )
    assert sorted(application.profiles.values_list("key", flat=True)) == ["fiscaliteit", "hr"]
    assert application.cv.name.startswith("cv/") and not application.cv.name.endswith("cv.pdf.pdf")
    assert application.cv.read() == PDF
    mail = OutgoingMail.objects.get()
    assert (mail.to, mail.subject) == ("anna@example.nl", "[Denktank] We hebben je aanmelding ontvangen")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date_of_birth": "2099-01-01"}, "date_of_birth", "Een geboortedatum kan niet in de toekomst liggen."),
        ({"date_of_birth": "2015-01-01"}, "date_of_birth", "Je moet minstens 18 jaar zijn om mee te doen."),
        ({"email": "anna@"}, "email", None),
        ({"membership_number": "12ab"}, "membership_number", "Een lidmaatschapsnummer heeft 4 tot 12 cijfers."),
        ({"profiles": []}, "profiles", "Kies minstens één expertiseprofiel."),
        ({"motivation": "x" * 3001}, "motivation", TOO_LONG.format(limit=3000, length=3001)),
        ({"occupation": "x" * 201}, "occupation", TOO_LONG.format(limit=200, length=201)),
        ({"city": "x" * 81}, "city", TOO_LONG.format(limit=80, length=81)),
        ({"consent_political_data": ""}, "consent_political_data", None),
        ({"commit_physical": ""}, "commit_physical", None),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(client, valid, change, field, message):
    response = client.post(reverse("members:apply"), {**valid, **change})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert response.context["form"]["name"].value() == "Anna de Vries"
    assert Application.objects.count() == 0
    assert OutgoingMail.objects.count() == 0


def test_cv_that_is_not_a_pdf_by_content_is_refused(client, valid):
    fake = SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    response = client.post(reverse("members:apply"), {**valid, "cv": fake})

    assert response.context["form"].errors == {"cv": ["Het cv moet een pdf-bestand zijn."]}
    assert Application.objects.count() == 0


def test_cv_over_five_megabytes_is_refused(client, valid):
    big = SimpleUploadedFile("cv.pdf", PDF + b"0" * (5 * 1024 * 1024), content_type="application/pdf")

    response = client.post(reverse("members:apply"), {**valid, "cv": big})

    assert response.context["form"].errors == {"cv": ["Het cv is groter dan 5 MB."]}


def test_honeypot_stops_bots(client, valid):
    response = client.post(reverse("members:apply"), {**valid, "website": "http://spam.example"})

    assert response.status_code == 200
    assert Application.objects.count() == 0


def test_rate_limit_stops_a_flood(client, valid):
    for number in range(5):
        client.post(reverse("members:apply"), {**valid, "email": f"a{number}@example.nl"})

    response = client.post(reverse("members:apply"), {**valid, "email": "a9@example.nl"})

    assert response.status_code == 429
    assert Application.objects.count() == 5


def test_rate_limit_counts_per_client_behind_the_proxy(client, valid, settings):
    # Behind the reverse proxy every request comes from the proxy's address;
    # the client is the one the proxy names in X-Forwarded-For.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def apply(email, address):
        return client.post(reverse("members:apply"), {**valid, "email": email}, HTTP_X_FORWARDED_FOR=address)

    for number in range(5):
        apply(f"a{number}@example.nl", "203.0.113.7")
    blocked = apply("a8@example.nl", "203.0.113.7")
    other = apply("b@example.nl", "198.51.100.2")

    assert blocked.status_code == 429
    assert (other.status_code, other.url) == (302, reverse("members:applied"))
    assert sorted(Application.objects.values_list("email", flat=True)) == [
        "a0@example.nl", "a1@example.nl", "a2@example.nl", "a3@example.nl", "a4@example.nl", "b@example.nl"
    ]  # fmt: skip


@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775808", "abc", "-1", "0", "1.5", "²"])
def test_profile_ids_that_cannot_exist_get_a_form_error(client, valid, value):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("members:apply"), {**valid, "profiles": [valid["profiles"][0], value]})

    assert response.status_code == 200
    assert response.context["form"].errors == {"profiles": ["Kies de expertiseprofielen uit de lijst."]}
    assert Application.objects.count() == 0
    # An id beyond the bigint range never reaches the database (SQLite raises OverflowError on it).
    huge = ("99999999999999999999999", "9223372036854775808")
    assert [q["sql"] for q in queries if any(number in q["sql"] for number in huge)] == []


def test_privacy_statement_gives_the_contact_address(client, settings, db):
    settings.CONTACT_EMAIL = "privacy@tn-ezi.example"

    html = client.get(reverse("members:privacy")).content.decode()

    assert (
        'Schrijf naar het bestuur van TN EZI via <a href="mailto:privacy@tn-ezi.example">privacy@tn-ezi.example</a>'
    ) in html


def test_second_application_reveals_nothing_and_mails_the_owner(client, valid, django_capture_on_commit_callbacks):
    ApplicationFactory(email="anna@example.nl")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:apply"), {**valid, "email": "Anna@Example.nl"})

    assert response.url == reverse("members:applied")
    assert Application.objects.count() == 1
    mail = OutgoingMail.objects.get()
    assert (mail.to, mail.subject) == ("anna@example.nl", "[Denktank] Je aanmelding is al bij ons binnen")


def test_closed_form_says_so_and_stores_nothing(client, valid, board_user):
    services.set_applications_open(is_open=False, by=board_user)

    page = client.get(reverse("members:apply"))
    response = client.post(reverse("members:apply"), valid)

    assert "De aanmeldingen zijn gesloten." in page.content.decode()
    assert "form" not in response.context or not response.context.get("applications_open")
    assert Application.objects.count() == 0


def test_young_member_profile_is_never_offered(client, db):
    form = client.get(reverse("members:apply")).context["form"]

    assert [p.key for p in form.fields["profiles"].queryset] == [
        "arbeidsmarkteconomie", "ai-praktijk", "ondernemer", "werknemer", "fiscaliteit", "filosofie", "hr", "uitvoering"
    ]  # fmt: skip
