"""A realistic partial draft: owners, texts with several revisions, comments and an open proposal. Idempotent."""

from django.db import transaction

from denktank.demo import DEMO_ACCOUNTS
from denktank.models import User

from . import services
from .models import Direction, Question, Recommendation, Revision, Section

TEXTS = {
    "Inleiding": [
        "AI en robotisering veranderen werk sneller dan eerdere technologie. Deze denktank onderzoekt wat dat betekent "
        "voor vrijheid, verantwoordelijkheid en kansen.",
        "AI en robotisering veranderen werk sneller dan eerdere technologie. Deze denktank onderzoekt wat dat betekent "
        "voor vrijheid, verantwoordelijkheid en kansen.\n\nWe beginnen bij de waarden, toetsen die aan de cijfers en "
        "eindigen met aanbevelingen voor de fractie. De bijstandsexperimenten lieten zien dat mensen ook zonder "
        "dwang blijven meedoen [@bijstandsexperimenten].",
    ],
    "Vraag 2 — De empirische vraag": [
        "## Wat we weten\n\nInternationale studies wijzen in dezelfde richting: AI raakt vooral cognitief werk.",
        "## Wat we weten\n\nInternationale studies wijzen in dezelfde richting: AI raakt vooral cognitief werk.\n\n"
        "## Vroege signalen\n\nWe volgen vacatures, instroom in de WW en het aantal zzp'ers in kennisberoepen.\n\n"
        "Omscholing naar AI-intensieve beroepen levert minder op dan gedacht [@hyman2025], en juist kwetsbare "
        "werknemers kunnen de overgang het slechtst betalen [@brookings2025].",
    ],
    "Richting 3 — Negatieve inkomstenbelasting": [
        "Een verzilverbare heffingskorting maakt werken altijd lonend en vervangt een deel van de toeslagen. Het idee "
        "gaat terug op Friedman [@friedman1962]; recent onderzoek laat zien dat een goed ontworpen variant dezelfde "
        "bescherming biedt voor minder geld dan een basisinkomen [@chang2024]. Friedman zelf zag het als vervanging "
        "van een groot deel van de regelingen [@friedman1962].",
    ],
}
OWNERS = {
    "Inleiding": ["deelnemer@denktank.test", "lid05@denktank.test"],
    "Vraag 2 — De empirische vraag": ["lid01@denktank.test", "lid09@denktank.test"],
    "Richting 3 — Negatieve inkomstenbelasting": ["lid04@denktank.test"],
    "Vraag 3 — De stelselvraag": ["lid11@denktank.test", "lid07@denktank.test"],
}


RECOMMENDATIONS = [
    (
        "Vervang de toeslagen stapsgewijs door een verzilverbare heffingskorting.",
        "Werken moet altijd lonen en de uitvoering moet eenvoudiger.",
        [3, 4],
        [3],
    ),
    (
        "Maak omscholing een recht met een inkomensbrug tijdens de overstap.",
        "Wie moet omscholen, kan de overgangsperiode nu vaak niet betalen.",
        [2, 3],
        [1],
    ),
    (
        "Start een experimenteeragenda met gemeenten en meet wat werkt.",
        "Nederlandse cijfers ontbreken nog; pilots leveren ze.",
        [2],
        [1, 5],
    ),
]


def load_recommendations() -> None:
    if Recommendation.objects.exists():
        return
    section = Section.objects.get(title="Aanbevelingen")
    for position, (text, rationale, questions, directions) in enumerate(RECOMMENDATIONS, start=1):
        item = Recommendation.objects.create(section=section, position=position, text=text, rationale=rationale)
        item.questions.set(Question.objects.filter(number__in=questions))
        item.directions.set(Direction.objects.filter(number__in=directions))


def load(stdout) -> None:
    load_recommendations()
    if Revision.objects.exists():
        stdout.write("Demo report already present.")
        return
    board = User.objects.get(email=DEMO_ACCOUNTS[0].email)
    with transaction.atomic():
        for title, emails in OWNERS.items():
            section = Section.objects.get(title=title)
            section.owners.set(User.objects.filter(email__in=emails))
        for title, versions in TEXTS.items():
            section = Section.objects.get(title=title)
            writers = list(section.owners.order_by("email"))
            for index, text in enumerate(versions):
                services.save_revision(
                    section=section,
                    author=writers[index % len(writers)],
                    text=text,
                    base_id=section.head_id,
                    check_permission=False,
                )
                section.refresh_from_db()
        intro = Section.objects.get(title="Inleiding")
        intro.shared = True
        intro.status = Section.Status.REVIEW
        intro.save(update_fields=["shared", "status"])
        empirical = Section.objects.get(title="Vraag 2 — De empirische vraag")
        member = User.objects.get(email="lid03@denktank.test")
        services.add_comment(section=empirical, author=member, text="Kunnen we ook cijfers van het UWV opnemen?")
        services.add_comment(section=intro, author=board, text="Mooi begin. Noem ook de rol van het Kamerlid.")
        services.propose_amendment(
            section=empirical,
            proposer=User.objects.get(email="lid08@denktank.test"),
            text=empirical.head.text + "\n\nBedrijven melden nu al dat instapfuncties verdwijnen.",
            reason="Een signaal uit de praktijk dat de cijfers aanvult.",
        )
    stdout.write("Demo report ready: owners, revisions, comments and an open proposal.")
