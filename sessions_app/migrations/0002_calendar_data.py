"""The think tank's trajectory as the founding note plans it (dates "onder voorbehoud").

Times are wall-clock times in Amsterdam, made aware here, so the change to
winter time on 25 October 2026 does not move any meeting.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import migrations

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

PHASES = [
    (
        "opstart",
        "Opstart",
        "Startnotitie afstemmen en betrokkenheid van de Kamerleden vastleggen.",
        date(2026, 5, 1),
        date(2026, 6, 30),
    ),
    (
        "werving",
        "Werving",
        "Deelnemers werven en selecteren via netwerken, experts en open kanalen.",
        date(2026, 5, 1),
        date(2026, 6, 30),
    ),
    ("zomerreces", "Zomerreces", "Geen bijeenkomsten.", date(2026, 7, 1), date(2026, 8, 31)),
    (
        "kick-off",
        "Kick-off",
        "Kennismaking, werkwijze, taakverdeling en de keuze van deelonderwerpen.",
        date(2026, 9, 1),
        date(2026, 9, 1),
    ),
    (
        "voortgang",
        "Voortgang",
        "Tweewekelijkse online sessies en halverwege een fysieke werksessie.",
        date(2026, 9, 2),
        date(2027, 2, 28),
    ),
    (
        "oplevering",
        "Oplevering",
        "Presentatie van het einddocument, daarna afronding en publicatie.",
        date(2027, 3, 1),
        date(2027, 3, 31),
    ),
]

ONLINE_DATES = [
    date(2026, 9, 15),
    date(2026, 9, 29),
    date(2026, 10, 20),
    date(2026, 11, 17),
    date(2026, 12, 1),
    date(2026, 12, 15),
    date(2027, 1, 12),
    date(2027, 1, 26),
    date(2027, 2, 9),
]


def at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def meetings():
    yield {
        "kind": "kickoff",
        "title": "Kick-off",
        "is_physical": True,
        "city": "Den Haag",
        "duration_minutes": 150,
        "starts_at": at(date(2026, 9, 1), 19, 30),
        "summary": "Eerste bijeenkomst: de startnotitie bespreken, taken verdelen en van start gaan.",
    }
    for number, day in enumerate(ONLINE_DATES[:3], start=1):
        yield online(number, day)
    yield {
        "kind": "interim",
        "title": "Tussentijdse sessie",
        "is_physical": True,
        "city": "Den Haag",
        "duration_minutes": 150,
        "starts_at": at(date(2026, 11, 3), 19, 30),
        "summary": "Werksessie halverwege, samen met het betrokken Kamerlid.",
    }
    for number, day in enumerate(ONLINE_DATES[3:], start=4):
        yield online(number, day)
    yield {
        "kind": "final",
        "title": "Eindpresentatie",
        "is_physical": True,
        "city": "Den Haag",
        "duration_minutes": 150,
        "starts_at": at(date(2027, 3, 2), 19, 30),
        "summary": "Presentatie van het einddocument aan Kamerleden, het EZI-bestuur en andere EZI-leden.",
    }


def online(number: int, day: date) -> dict:
    return {
        "kind": "online",
        "number": number,
        "title": f"Sessie {number}",
        "is_physical": False,
        "city": "",
        "duration_minutes": 90,
        "starts_at": at(day, 20, 0),
        "summary": "",
    }


def load(apps, schema_editor):
    Phase = apps.get_model("sessions_app", "Phase")
    Meeting = apps.get_model("sessions_app", "Meeting")
    for key, name, description, starts_on, ends_on in PHASES:
        Phase.objects.update_or_create(
            key=key, defaults={"name": name, "description": description, "starts_on": starts_on, "ends_on": ends_on}
        )
    for fields in meetings():
        if not Meeting.objects.filter(kind=fields["kind"], number=fields.get("number"), title=fields["title"]).exists():
            Meeting.objects.create(**fields)


def unload(apps, schema_editor):
    apps.get_model("sessions_app", "Meeting").objects.all().delete()
    apps.get_model("sessions_app", "Phase").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
