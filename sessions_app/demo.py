"""Demo calendar: answers and attendance for the meetings held, answers for
the next one, agendas and minutes. Idempotent."""

import random

from django.utils import timezone

from denktank.demo import DEMO_ACCOUNTS
from denktank.models import Role, User

from . import selectors
from .models import Attendance, Meeting, Rsvp

ONLINE_LINK = "https://vergaderen.example.org/denktank-vwai"

AGENDAS = {
    "kickoff": "1. Welkom en kennismaking\n2. De startnotitie in vijf vragen\n3. Werkwijze en taakverdeling\n4. Keuze van de deelonderwerpen\n5. Afspraken tot de eerste online sessie",
    1: "1. Terugblik op de kick-off\n2. De empirische vraag: welke cijfers hebben we nodig?\n3. Verdeling van de eerste leesopdrachten",
    2: "1. Bespreking gelezen studies\n2. Eerste schets van de stelselvraag\n3. Planning van de tussentijdse sessie",
    3: "1. De verdelingsvraag: loon en kapitaal\n2. Voorbereiding van de tussentijdse sessie met het Kamerlid",
    "interim": "1. Presentatie tussenstand aan het Kamerlid\n2. Politieke toets van de vijf richtingen\n3. Wat nemen we mee naar het einddocument?",
    4: "1. Verwerking van de tussentijdse sessie\n2. Indeling van het einddocument en de eigenaren per hoofdstuk",
    5: "1. Stand van de hoofdstukken\n2. De instrumentvraag: de vijf richtingen naast elkaar\n3. Afspraken voor de kerstperiode",
}

MINUTES = {
    "kickoff": "**Aanwezig:** de voltallige groep en twee bestuursleden.\n\nDe groep besprak de startnotitie en koos vier deelonderwerpen. Er zijn drie schrijfduo's gevormd. Afgesproken is dat iedereen voor sessie 1 twee studies leest uit de bronnenlijst.",
    1: "De groep wil Nederlandse cijfers naast de internationale studies leggen. Twee leden verkennen de data van CBS en CPB. Actie: een overzicht van bruikbare indicatoren voor sessie 2.",
    2: "De bijstandsexperimenten en het Finse experiment zijn besproken. Er is nog geen overeenstemming over hoe zwaar de prikkelwerking moet wegen. Het bestuur regelt de zaal voor de tussentijdse sessie.",
    3: "Verkenning van de verschuiving van loon naar kapitaalinkomen. Besloten om de verdelingsvraag te koppelen aan richting 3 en 4. Voorbereiding van de presentatie voor het Kamerlid is verdeeld.",
    "interim": "Het Kamerlid gaf een politieke toets op de vijf richtingen. Richting 1 en 2 kregen de meeste steun; bij richting 5 zijn vragen over uitvoerbaarheid. De groep neemt de opmerkingen mee in het einddocument.",
    4: "De indeling van het einddocument is vastgesteld. Elk hoofdstuk heeft een eigenaar; de eerste versies worden voor sessie 6 verwacht.",
}

SUBTOPICS = "Snelheid en diepte van de verandering\nHet sociale stelsel onder druk\nVerdeling van de opbrengsten\nLiberale instrumenten"

REASONS = ["Werkverplichting in het buitenland", "Ziek", "Familieomstandigheden", "Overlap met een andere vergadering"]


def _key(meeting: Meeting):
    return meeting.number if meeting.kind == Meeting.Kind.ONLINE else meeting.kind


def load(stdout) -> None:
    rng = random.Random(2026)
    now = timezone.now()
    board = User.objects.get(email=DEMO_ACCOUNTS[0].email)
    members = list(selectors.members())
    mps = list(User.objects.filter(groups__name=Role.KAMERLID))
    next_meeting = selectors.next_meeting(now)
    for meeting in Meeting.objects.all():
        key = _key(meeting)
        changed = False
        if key in AGENDAS and not meeting.agenda:
            meeting.agenda, changed = AGENDAS[key], True
        if meeting.kind == Meeting.Kind.KICKOFF and not meeting.subtopics:
            meeting.subtopics, changed = SUBTOPICS, True
        if not meeting.is_physical and not meeting.online_url:
            meeting.online_url, changed = ONLINE_LINK, True
        if meeting.starts_at < now and key in MINUTES and not meeting.minutes:
            meeting.minutes, meeting.minutes_published_at, changed = MINUTES[key], meeting.ends_at, True
        if changed:
            meeting.save()
        people = members + (mps if meeting.is_physical else [])
        if meeting.starts_at < now:
            for person in people:
                answer = rng.choices(["yes", "maybe", "no"], weights=[8, 1, 1])[0]
                _answer(meeting, person, answer, rng)
                status = {"yes": "present", "maybe": rng.choice(["present", "absent"]), "no": "excused"}[answer]
                Attendance.objects.get_or_create(
                    meeting=meeting, user=person, defaults={"status": status, "recorded_by": board}
                )
        elif next_meeting and meeting.pk == next_meeting.pk:
            # Most have answered for the next meeting; three have not yet.
            for person in people[:-3]:
                _answer(meeting, person, rng.choices(["yes", "maybe", "no"], weights=[7, 2, 1])[0], rng)
    stdout.write("Demo calendar ready: answers, attendance, agendas and minutes.")


def _answer(meeting: Meeting, person: User, answer: str, rng: random.Random) -> None:
    Rsvp.objects.get_or_create(
        meeting=meeting,
        user=person,
        defaults={
            "answer": answer,
            "reason": rng.choice(REASONS) if answer == "no" else "",
            "for_starts_at": meeting.starts_at,
        },
    )
