"""Demo calendar: answers and attendance for the meetings held, answers for
the next one, agendas and minutes; the final presentation open for guests,
with a few of them and reactions to the recommendations. Idempotent."""

import random
from datetime import timedelta

from django.utils import timezone

from denktank.demo import DEMO_ACCOUNTS
from denktank.models import Role, User
from documents.demo import load_recommendations

from . import selectors
from .models import Attendance, Guest, Meeting, Presentation, Reaction, Rsvp

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
    _load_presentation(now, members, stdout)


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


# Three places, so the demo shows a full house and a waiting list.
GUEST_CAPACITY = 3
# (name, e-mail, VVD member, organisation, status)
GUESTS = [
    ("Anouk de Vries", "anouk.devries@voorbeeld.test", True, "Gemeente Utrecht", Guest.Status.CONFIRMED),
    ("Bram Jansen", "bram.jansen@voorbeeld.test", False, "Universiteit Leiden", Guest.Status.CONFIRMED),
    ("Charlotte Bakker", "charlotte.bakker@voorbeeld.test", True, "", Guest.Status.CONFIRMED),
    ("Daan Visser", "daan.visser@voorbeeld.test", True, "MKB-Nederland", Guest.Status.WAITING),
    ("Eva Smit", "eva.smit@voorbeeld.test", False, "", Guest.Status.UNCONFIRMED),
    ("Floris Mulder", "floris.mulder@voorbeeld.test", True, "VVD Rotterdam", Guest.Status.CANCELLED),
]
# (guest e-mail or member index, recommendation position, stance, comment)
REACTIONS = [
    (
        "anouk.devries@voorbeeld.test",
        1,
        "reservation",
        "Goed idee, maar regel eerst hoe gemeenten de overgang uitvoeren.",
    ),
    ("anouk.devries@voorbeeld.test", 3, "support", ""),
    ("bram.jansen@voorbeeld.test", 1, "oppose", "Een verzilverbare heffingskorting is duur; wat levert het op?"),
    ("bram.jansen@voorbeeld.test", 2, "support", "Een inkomensbrug maakt omscholen voor veel meer mensen haalbaar."),
    ("daan.visser@voorbeeld.test", 2, "reservation", "Betrek werkgevers bij de keuze van de opleidingen."),
    (0, 1, "support", ""),
    (0, 2, "support", "Sluit aan bij wat we in sessie 3 bespraken."),
    (1, 3, "reservation", "Pilots alleen als er vooraf een meetplan ligt."),
    (2, 3, "support", ""),
]


def _load_presentation(now, members, stdout) -> None:
    """The final presentation open for guests: some with a place, one waiting, one unconfirmed, one cancelled."""
    meeting = Meeting.objects.filter(kind=Meeting.Kind.FINAL).first()
    if meeting is None or meeting.starts_at <= now:
        return
    presentation, _ = Presentation.objects.get_or_create(
        meeting=meeting,
        defaults={"registration_open": True, "capacity": GUEST_CAPACITY, "reactions_open": True},
    )
    if presentation.guests.exists():
        stdout.write("Demo guests already present.")
        return
    guests = {}
    for minutes, (name, email, party_member, organisation, status) in enumerate(GUESTS):
        registered = now - timedelta(days=2, minutes=-minutes)
        confirmed = status != Guest.Status.UNCONFIRMED
        guests[email] = Guest.objects.create(
            presentation=presentation,
            name=name,
            email=email,
            is_party_member=party_member,
            organisation=organisation,
            status=status,
            registered_at=registered,
            confirmed_at=registered + timedelta(minutes=5) if confirmed else None,
            waiting_since=registered + timedelta(minutes=5) if status == Guest.Status.WAITING else None,
            cancelled_at=now - timedelta(days=1) if status == Guest.Status.CANCELLED else None,
        )
    recommendations = _recommendations()
    for who, position, stance, comment in REACTIONS:
        if position > len(recommendations) or (isinstance(who, int) and who >= len(members)):
            continue
        person = {"guest": guests[who]} if isinstance(who, str) else {"user": members[who]}
        Reaction.objects.create(
            recommendation=recommendations[position - 1],
            respondent=Reaction.Respondent.GUEST if "guest" in person else Reaction.Respondent.MEMBER,
            stance=stance,
            comment=comment,
            **person,
        )
    stdout.write("Demo final presentation ready: registration open, guests and reactions.")


def _recommendations() -> list:
    # The report's demo runs after this one, and its recommendations are needed here already:
    # loading them is idempotent, so the report's demo finds them and goes on.
    load_recommendations()
    return selectors.reactable_recommendations()
