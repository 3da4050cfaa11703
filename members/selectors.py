"""Reads for screening and the composition board."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Exists, OuterRef, Prefetch, Q

from denktank.models import User

from .models import (
    KICKOFF_DATE,
    SEATS,
    YOUNG_AGE_LIMIT,
    Application,
    ConflictOfInterest,
    ExpertiseProfile,
    ProfileScore,
    Scorecard,
)


def born_before_for_young() -> date:
    """People born after this day are under 35 on the kick-off date."""
    return KICKOFF_DATE.replace(year=KICKOFF_DATE.year - YOUNG_AGE_LIMIT)


def applications(*, viewer: User, filters: dict | None = None):
    """The screening list: profiles prefetched, average score and whether the viewer scored."""
    filters = filters or {}
    queryset = (
        Application.objects.prefetch_related(Prefetch("profiles", queryset=ExpertiseProfile.objects.order_by("order")))
        .annotate(
            avg_score=Avg("scorecards__scores__score"),
            scored_by_me=Exists(Scorecard.objects.filter(application=OuterRef("pk"), recruiter=viewer)),
        )
        .order_by(filters.get("sort") or "-created_at", "pk")
    )
    if filters.get("q"):
        term = filters["q"]
        queryset = queryset.filter(Q(name__icontains=term) | Q(city__icontains=term) | Q(occupation__icontains=term))
    if filters.get("profile"):
        profile = filters["profile"]
        if profile.is_age_rule:
            queryset = queryset.filter(date_of_birth__gt=born_before_for_young())
        else:
            queryset = queryset.filter(profiles=profile)
    for field in ("stage", "channel", "province"):
        if filters.get(field):
            queryset = queryset.filter(**{field: filters[field]})
    if filters.get("age") == "young":
        queryset = queryset.filter(date_of_birth__gt=born_before_for_young())
    elif filters.get("age") == "older":
        queryset = queryset.filter(date_of_birth__lte=born_before_for_young())
    if filters.get("min_score"):
        queryset = queryset.filter(avg_score__gte=filters["min_score"])
    return queryset


@dataclass
class ScoreSummary:
    visible: bool
    my_scorecard: Scorecard | None
    conflict: bool
    per_profile: list  # (profile, average or None)
    overall: float | None
    scorecards: list


def score_summary(*, application: Application, viewer: User) -> ScoreSummary:
    """Averages per profile and overall; hidden from a recruiter until they scored (blind review)."""
    cards = list(
        application.scorecards.select_related("recruiter").prefetch_related(
            Prefetch("scores", queryset=ProfileScore.objects.select_related("profile"))
        )
    )
    mine = next((card for card in cards if card.recruiter_id == viewer.pk), None)
    conflict = ConflictOfInterest.objects.filter(application=application, recruiter=viewer).exists()
    profiles = list(application.profiles.order_by("order"))
    per_profile = []
    all_scores = []
    for profile in profiles:
        values = [s.score for card in cards for s in card.scores.all() if s.profile_id == profile.pk]
        all_scores += values
        per_profile.append((profile, round(sum(values) / len(values), 1) if values else None))
    return ScoreSummary(
        visible=mine is not None,
        my_scorecard=mine,
        conflict=conflict,
        per_profile=per_profile,
        overall=round(sum(all_scores) / len(all_scores), 1) if all_scores else None,
        scorecards=cards,
    )


# --- The composition board -----------------------------------------------------


@dataclass
class Composition:
    seats_used: int
    seats: int
    profiles: list
    rows: list  # one per person: (application, [covered per profile], is_candidate)
    coverage: dict  # profile pk -> number of selected (plus what-if) people covering it
    uncovered: list
    young_present: bool
    ages: list  # (label, count)
    channels: list
    provinces: list
    genders: list
    shortlist: list
    what_if: list

    @property
    def coverage_counts(self) -> list[int]:
        return [self.coverage[profile.pk] for profile in self.profiles]

    @property
    def seat_states(self) -> list[bool]:
        return [number < self.seats_used for number in range(self.seats)]


def covers(application: Application, profile: ExpertiseProfile) -> bool:
    if profile.is_age_rule:
        return application.is_young
    return any(p.pk == profile.pk for p in application.profiles.all())


AGE_BANDS = [(0, 35, "< 35"), (35, 45, "35–44"), (45, 55, "45–54"), (55, 65, "55–64"), (65, 200, "65+")]


def composition(*, what_if_ids=()) -> Composition:
    """Seats, profile coverage and spread of the selected group, optionally with candidates added."""
    profiles = list(ExpertiseProfile.objects.order_by("order"))
    people = list(
        Application.objects.filter(
            Q(stage=Application.Stage.SELECTED) | Q(stage__in=[Application.Stage.INTERVIEW, Application.Stage.WAITLIST])
        )
        .prefetch_related("profiles")
        .order_by("name")
    )
    selected = [a for a in people if a.stage == Application.Stage.SELECTED]
    shortlist = [a for a in people if a.stage != Application.Stage.SELECTED]
    what_if = [a for a in shortlist if a.pk in set(what_if_ids)]
    group = selected + what_if
    rows = [(a, [covers(a, p) for p in profiles], a in what_if) for a in group]
    coverage = {p.pk: sum(1 for a in group if covers(a, p)) for p in profiles}
    ages = Counter()
    for person in selected:
        age = person.age_at_kickoff
        ages[next(label for low, high, label in AGE_BANDS if low <= age < high)] += 1
    return Composition(
        seats_used=len(selected),
        seats=SEATS,
        profiles=profiles,
        rows=rows,
        coverage=coverage,
        uncovered=[p for p in profiles if coverage[p.pk] == 0],
        young_present=any(a.is_young for a in group),
        ages=[(label, ages[label]) for _, _, label in AGE_BANDS],
        channels=_spread(selected, "channel", Application._meta.get_field("channel").choices),
        provinces=_spread(selected, "province", Application._meta.get_field("province").choices),
        genders=_spread(selected, "gender", [*Application._meta.get_field("gender").choices, ("", "—")]),
        shortlist=shortlist,
        what_if=what_if,
    )


def _spread(people, field: str, choices) -> list[tuple[str, int]]:
    counts = Counter(getattr(person, field) for person in people)
    return [(str(label), counts[value]) for value, label in choices if counts[value]]
