"""Reads for screening and the composition board."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Case, Exists, F, FloatField, OuterRef, Prefetch, Q, Value, When

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


# Sorting by score puts the applications whose score the viewer may not see
# (and those nobody scored) last, in a fixed order that says nothing about them.
ORDERINGS = {
    "-created_at": F("created_at").desc(),
    "name": F("name").asc(),
    "-avg_score": F("avg_score").desc(nulls_last=True),
}


def applications(*, viewer: User, filters: dict | None = None):
    """The screening list: profiles prefetched, average score and whether the viewer scored.

    Blind review: ``avg_score`` is the average only on applications the
    viewer has scored, and None on the others, so neither the score filter
    nor the sort can tell the viewer what the others gave (the same rule as
    ``score_summary``).
    """
    filters = filters or {}
    queryset = (
        Application.objects.prefetch_related(Prefetch("profiles", queryset=ExpertiseProfile.objects.order_by("order")))
        .annotate(scored_by_me=Exists(Scorecard.objects.filter(application=OuterRef("pk"), recruiter=viewer)))
        .annotate(
            avg_score=Case(
                When(scored_by_me=True, then=Avg("scorecards__scores__score")),
                default=Value(None),
                output_field=FloatField(),
            )
        )
        .order_by(ORDERINGS[filters.get("sort") or "-created_at"], "pk")
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
    if filters.get("min_score") is not None:
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
    """The selected group, or the hypothetical group of a what-if (members left out, candidates added).

    Every figure (seats, coverage, spread) describes ``group``: with two
    candidates added to twelve members the seats read 14/12.
    """

    seats_used: int
    seats: int
    profiles: list
    rows: list  # one per person in the group: (application, [covered per profile], is_candidate)
    coverage: dict  # profile pk -> number of people in the group covering it
    uncovered: list
    young_present: bool
    ages: list  # (label, count)
    channels: list
    provinces: list
    genders: list
    selected: list  # the members who hold a seat now
    shortlist: list
    what_if: list  # candidates added in the what-if
    without: list  # members left out in the what-if

    @property
    def is_what_if(self) -> bool:
        return bool(self.what_if or self.without)

    @property
    def over_cap(self) -> int:
        return max(self.seats_used - self.seats, 0)

    @property
    def chart_total(self) -> int:
        """The scale of the spread bars: the twelve seats, or the larger hypothetical group."""
        return max(self.seats, self.seats_used)

    @property
    def coverage_counts(self) -> list[int]:
        return [self.coverage[profile.pk] for profile in self.profiles]

    @property
    def seat_states(self) -> list[str]:
        """One per circle: "taken", "free", or "over" for each person beyond the cap."""
        return [
            "over" if number >= self.seats else "taken" if number < self.seats_used else "free"
            for number in range(self.chart_total)
        ]


def covers(application: Application, profile: ExpertiseProfile) -> bool:
    if profile.is_age_rule:
        return application.is_young
    return any(p.pk == profile.pk for p in application.profiles.all())


AGE_BANDS = [(0, 35, "< 35"), (35, 45, "35–44"), (45, 55, "45–54"), (55, 65, "55–64"), (65, 200, "65+")]


def composition(*, what_if_ids=(), without_ids=()) -> Composition:
    """Seats, profile coverage and spread of the selected group.

    A what-if adds candidates from the shortlist (``what_if_ids``) and leaves
    selected members out (``without_ids``), for a swap; unknown ids are ignored.
    """
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
    without = [a for a in selected if a.pk in set(without_ids)]
    group = [a for a in selected if a not in without] + what_if
    rows = [(a, [covers(a, p) for p in profiles], a in what_if) for a in group]
    coverage = {p.pk: sum(1 for a in group if covers(a, p)) for p in profiles}
    ages = Counter()
    for person in group:
        age = person.age_at_kickoff
        ages[next(label for low, high, label in AGE_BANDS if low <= age < high)] += 1
    return Composition(
        seats_used=len(group),
        seats=SEATS,
        profiles=profiles,
        rows=rows,
        coverage=coverage,
        uncovered=[p for p in profiles if coverage[p.pk] == 0],
        young_present=any(a.is_young for a in group),
        ages=[(label, ages[label]) for _, _, label in AGE_BANDS],
        channels=_spread(group, "channel", Application._meta.get_field("channel").choices),
        provinces=_spread(group, "province", Application._meta.get_field("province").choices),
        genders=_spread(group, "gender", [*Application._meta.get_field("gender").choices, ("", "—")]),
        selected=selected,
        shortlist=shortlist,
        what_if=what_if,
        without=without,
    )


def _spread(people, field: str, choices) -> list[tuple[str, int]]:
    counts = Counter(getattr(person, field) for person in people)
    return [(str(label), counts[value]) for value, label in choices if counts[value]]
