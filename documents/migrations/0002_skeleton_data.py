"""The five questions, the five directions and the starting skeleton of the report."""

from django.db import migrations

QUESTIONS = [
    (
        1,
        "Vraag 1 — De waardenvraag",
        "De ankervraag: wat betekenen vrijheid, verantwoordelijkheid en gelijke kansen als werk voor een grote groep mensen structureel minder inkomen en zingeving biedt?",
    ),
    (
        2,
        "Vraag 2 — De empirische vraag",
        "Hoe snel en hoe diep verandert AI de Nederlandse arbeidsmarkt, welke signalen laten dat vroeg zien en wanneer moet de politiek ingrijpen?",
    ),
    (
        3,
        "Vraag 3 — De stelselvraag",
        "Kunnen toeslagen, WW, bijstand, omscholing en de positie van zzp'ers een AI-transitie dragen, of is een grondige herziening nodig?",
    ),
    (
        4,
        "Vraag 4 — De verdelingsvraag",
        "Hoe worden de opbrengsten van AI breed gedeeld, hoe blijven voorzieningen betaalbaar als inkomen verschuift van loon naar kapitaal, en hoeveel ongelijkheid is liberaal te verdedigen?",
    ),
    (
        5,
        "Vraag 5 — De instrumentvraag",
        "Welke richting of combinatie van richtingen past bij liberale waarden en is politiek haalbaar, en welke ontwerpkeuzes zijn daarbij beslissend?",
    ),
]

DIRECTIONS = [
    (
        1,
        "Richting 1 — Werk blijft centraal",
        "Scholing, omscholing, leven lang leren en een WW die de overstap naar nieuw werk ondersteunt.",
    ),
    (
        2,
        "Richting 2 — Zinvol werk waar de markt tekortschiet",
        "Werk stimuleren in zorg, onderwijs en de wijk, waar de behoefte groot is maar de markt het niet vanzelf organiseert.",
    ),
    (
        3,
        "Richting 3 — Negatieve inkomstenbelasting",
        "Toeslagen en bijstand vervangen door een verzilverbare heffingskorting, zodat werken altijd loont.",
    ),
    (4, "Richting 4 — Arbeidstijdverkorting", "De productiviteitswinst van AI delen via een kortere werkweek."),
    (
        5,
        "Richting 5 — Participatie-inkomen",
        "Inkomenssteun koppelen aan een bijdrage aan de samenleving, van betaald werk tot mantelzorg.",
    ),
]


def load(apps, schema_editor):
    Question = apps.get_model("documents", "Question")
    Direction = apps.get_model("documents", "Direction")
    Section = apps.get_model("documents", "Section")
    questions = {}
    for number, title, description in QUESTIONS:
        questions[number], _ = Question.objects.update_or_create(
            number=number, defaults={"title": title, "description": description}
        )
    directions = {}
    for number, title, description in DIRECTIONS:
        directions[number], _ = Direction.objects.update_or_create(
            number=number, defaults={"title": title, "description": description}
        )
    if Section.objects.exists():
        return
    Section.objects.create(position=1, title="Inleiding")
    Section.objects.create(position=2, title="Ankervraag: " + questions[1].title, question=questions[1])
    supporting = Section.objects.create(position=3, title="Ondersteunende vragen")
    for position, number in enumerate(range(2, 6), start=1):
        Section.objects.create(
            parent=supporting, position=position, title=questions[number].title, question=questions[number]
        )
    paths = Section.objects.create(position=4, title="Vijf richtingen")
    for number, direction in directions.items():
        Section.objects.create(parent=paths, position=number, title=direction.title, direction=direction)
    Section.objects.create(position=5, title="Aanbevelingen")
    Section.objects.create(position=6, title="Bijlagen")


def unload(apps, schema_editor):
    for model in ("Section", "Question", "Direction"):
        apps.get_model("documents", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
