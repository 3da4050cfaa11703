"""Demo recruitment: about forty applicants, twelve selected (the demo members),
a waitlist, scorecards. The procedure closed on 1 August 2026; all applicants
not selected agreed to be kept for a year except three, which the first purge
removes. Idempotent."""

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from denktank.demo import DEMO_ACCOUNTS
from denktank.models import User

from .models import Application, ExpertiseProfile, Procedure, ProfileScore, Scorecard, StageChange

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# The twelve members: e-mail, profiles, date of birth, province, channel, gender, occupation.
SELECTED = [
    (
        "deelnemer@denktank.test",
        ["ai-praktijk"],
        date(1996, 4, 12),
        "UT",
        "open",
        "woman",
        "Productleider bij een AI-startup",
    ),
    (
        "lid01@denktank.test",
        ["arbeidsmarkteconomie"],
        date(1984, 2, 3),
        "ZH",
        "network",
        "woman",
        "Econoom bij een onderzoeksinstituut",
    ),
    (
        "lid02@denktank.test",
        ["ondernemer"],
        date(1971, 9, 21),
        "NB",
        "network",
        "man",
        "Eigenaar van een administratiekantoor",
    ),
    (
        "lid03@denktank.test",
        ["werknemer"],
        date(1990, 6, 30),
        "GE",
        "open",
        "woman",
        "Beleidsmedewerker en OR-lid bij een verzekeraar",
    ),
    (
        "lid04@denktank.test",
        ["fiscaliteit"],
        date(1966, 11, 8),
        "NH",
        "expert",
        "man",
        "Fiscalist bij een adviesbureau",
    ),
    (
        "lid05@denktank.test",
        ["filosofie"],
        date(1979, 1, 17),
        "ZH",
        "network",
        "woman",
        "Universitair docent politieke filosofie",
    ),
    ("lid06@denktank.test", ["hr"], date(1975, 5, 25), "OV", "expert", "man", "HR-directeur in de logistiek"),
    (
        "lid07@denktank.test",
        ["uitvoering"],
        date(1987, 8, 14),
        "GR",
        "open",
        "woman",
        "Teamleider werk en inkomen bij een gemeente",
    ),
    (
        "lid08@denktank.test",
        ["ai-praktijk", "ondernemer"],
        date(1982, 3, 2),
        "NH",
        "network",
        "man",
        "CTO van een scale-up",
    ),
    (
        "lid09@denktank.test",
        ["arbeidsmarkteconomie", "uitvoering"],
        date(1993, 12, 5),
        "LI",
        "expert",
        "woman",
        "Analist bij een uitvoeringsorganisatie",
    ),
    (
        "lid10@denktank.test",
        ["werknemer", "hr"],
        date(1969, 7, 19),
        "FL",
        "other",
        "man",
        "Zelfstandig arbeidsmarktadviseur",
    ),
    (
        "lid11@denktank.test",
        ["fiscaliteit", "filosofie"],
        date(1988, 10, 27),
        "FR",
        "network",
        "unsaid",
        "Jurist sociale zekerheid",
    ),
]

FIRST = ["Jan", "Marieke", "Kees", "Sophie", "Ahmed", "Linda", "Tom", "Yara", "Gijs", "Esther", "Sven", "Naomi", "Koen",
         "Femke", "Hasan", "Julia", "Martijn", "Lisa", "Wouter", "Sara", "Joris", "Ilse", "Niels", "Hanna", "Rik", "Amira",
         "Erik", "Fleur"]  # fmt: skip
LAST = ["Bos", "Meijer", "de Boer", "Vos", "Dekker", "Brouwer", "Kok", "Jacobs", "de Haan", "Schouten", "van Leeuwen",
        "Kuipers", "Verhoeven", "Postma"]  # fmt: skip
OCCUPATIONS = ["Econoom", "Consultant", "Ondernemer in de zorg", "Docent", "Softwareontwikkelaar", "Beleidsadviseur",
               "Accountant", "HR-adviseur", "Journalist", "Gemeenteambtenaar"]  # fmt: skip
PROVINCES = ["GR", "FR", "DR", "OV", "FL", "GE", "UT", "NH", "ZH", "ZE", "NB", "LI"]
CHANNELS = ["network", "expert", "open", "other"]
GENDERS = ["woman", "man", "other", "unsaid", ""]
NOT_KEPT = 3  # applicants without consent to be kept a year


def load(stdout) -> None:
    if Application.objects.exists():
        stdout.write("Demo applications already present.")
        return
    rng = random.Random(35)
    profiles = {profile.key: profile for profile in ExpertiseProfile.objects.all()}
    claimable = [p for p in profiles.values() if not p.is_age_rule]
    recruiters = list(User.objects.filter(email__in=[DEMO_ACCOUNTS[0].email, DEMO_ACCOUNTS[1].email]))
    applied = datetime(2026, 6, 1, 10, 0, tzinfo=AMSTERDAM)
    with transaction.atomic():
        for email, keys, born, province, channel, gender, occupation in SELECTED:
            user = User.objects.get(email=email)
            application = _create(
                rng,
                name=user.name,
                email=email,
                born=born,
                province=province,
                channel=channel,
                gender=gender,
                occupation=occupation,
                stage=Application.Stage.SELECTED,
                applied=applied,
                keep=True,
            )
            application.user = user
            application.save(update_fields=["user"])
            application.profiles.set([profiles[key] for key in keys])
            _score(rng, application, recruiters, low=3)
        for number in range(28):
            stage = Application.Stage.WAITLIST if number < 5 else Application.Stage.REJECTED
            application = _create(
                rng,
                name=f"{FIRST[number]} {rng.choice(LAST)}",
                email=f"kandidaat{number + 1:02d}@example.nl",
                born=date(rng.randint(1958, 2003), rng.randint(1, 12), rng.randint(1, 28)),
                province=rng.choice(PROVINCES),
                channel=rng.choice(CHANNELS),
                gender=rng.choice(GENDERS),
                occupation=rng.choice(OCCUPATIONS),
                stage=stage,
                applied=applied,
                keep=number < 28 - NOT_KEPT,
            )
            application.profiles.set(rng.sample(claimable, rng.choice([1, 1, 2])))
            _score(rng, application, recruiters, low=1 if stage == Application.Stage.REJECTED else 2)
        Procedure.objects.update_or_create(
            pk=1, defaults={"applications_open": False, "closed_at": datetime(2026, 8, 1, 12, 0, tzinfo=AMSTERDAM)}
        )
    stdout.write("Demo recruitment ready: 40 applications, 12 selected, a waitlist of 5.")


def _create(rng, *, name, email, born, province, channel, gender, occupation, stage, applied, keep) -> Application:
    application = Application.objects.create(
        name=name,
        email=email,
        phone=f"06 {rng.randint(10000000, 99999999)}",
        date_of_birth=born,
        city={
            "GR": "Groningen",
            "FR": "Leeuwarden",
            "DR": "Assen",
            "OV": "Zwolle",
            "FL": "Almere",
            "GE": "Arnhem",
            "UT": "Utrecht",
            "NH": "Haarlem",
            "ZH": "Den Haag",
            "ZE": "Middelburg",
            "NB": "Eindhoven",
            "LI": "Maastricht",
        }[province],
        province=province,
        membership_number=str(rng.randint(100000, 999999)),
        membership_checked=stage == Application.Stage.SELECTED,
        occupation=occupation,
        motivation="Ik wil bijdragen aan een liberaal antwoord op de vraag wat AI betekent voor werk en bestaanszekerheid.",
        channel=channel,
        gender=gender,
        consent_political_data=True,
        consent_privacy=True,
        consent_keep_one_year=keep,
        stage=stage,
        created_at=applied,
    )
    StageChange.objects.create(
        application=application, from_stage=Application.Stage.NEW, to_stage=stage, changed_at=applied
    )
    return application


def _score(rng, application, recruiters, *, low) -> None:
    for recruiter in recruiters:
        card = Scorecard.objects.create(
            application=application,
            recruiter=recruiter,
            recommendation={1: "no", 2: "doubt", 3: "yes"}.get(low, "yes"),
            note="",
        )
        for profile in application.profiles.all():
            ProfileScore.objects.create(scorecard=card, profile=profile, score=rng.randint(low, 5))
