"""Reads for screening and the composition board."""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import Avg, Case, Exists, F, FloatField, OuterRef, Prefetch, Q, Subquery, Value, When

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
    # The average as a subquery, not Avg() over a join: the list query then
    # needs no GROUP BY (which on SQLite lists every column, the motivation too).
    average = (
        ProfileScore.objects.filter(scorecard__application=OuterRef("pk"))
        .order_by()
        .values("scorecard__application")
        .annotate(average=Avg("score"))
        .values("average")
    )
    queryset = (
        Application.objects.prefetch_related(Prefetch("profiles", queryset=ExpertiseProfile.objects.order_by("order")))
        .annotate(scored_by_me=Exists(Scorecard.objects.filter(application=OuterRef("pk"), recruiter=viewer)))
        .annotate(
            avg_score=Case(
                When(scored_by_me=True, then=Subquery(average, output_field=FloatField())),
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


def with_labels(applications) -> list[Application]:
    """The rows of a page with ``stage_label``, ``province_label`` and ``profile_list`` set once.

    ``get_FOO_display()`` flattens the field's choices on every call, and
    each ``profiles.all()`` makes a new queryset: a long table calls them
    hundreds of times.
    """
    stages = dict(Application.Stage.choices)
    provinces = dict(Application._meta.get_field("province").choices)
    rows = list(applications)
    for application in rows:
        application.stage_label = stages.get(application.stage, application.stage)
        application.province_label = provinces.get(application.province, application.province)
        application.profile_list = list(application.profiles.all())
    return rows


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

    # Sets for the page's checkboxes and headings: a membership test per person, not a list scan.
    @cached_property
    def what_if_ids(self) -> set[int]:
        return {application.pk for application in self.what_if}

    @cached_property
    def without_ids(self) -> set[int]:
        return {application.pk for application in self.without}

    @cached_property
    def uncovered_ids(self) -> set[int]:
        return {profile.pk for profile in self.uncovered}


AGE_BANDS = [(0, 35, "< 35"), (35, 45, "35–44"), (45, 55, "45–54"), (55, 65, "55–64"), (65, 200, "65+")]


def _age_band(age: int) -> str:
    return next(label for low, high, label in AGE_BANDS if low <= age < high)


def composition(*, what_if_ids=(), without_ids=()) -> Composition:
    """Seats, profile coverage and spread of the selected group.

    A what-if adds candidates from the shortlist (``what_if_ids``) and leaves
    selected members out (``without_ids``), for a swap; unknown ids are ignored.
    One pass over the group with sets of profile ids: the cost grows with
    the people on the board, not with people times profiles.
    """
    profiles = list(ExpertiseProfile.objects.order_by("order"))
    people = list(
        Application.objects.filter(
            stage__in=[Application.Stage.SELECTED, Application.Stage.INTERVIEW, Application.Stage.WAITLIST]
        )
        .only("name", "stage", "date_of_birth", "channel", "province", "gender")
        .order_by("name")
    )
    # get_stage_display() flattens the choices on every call: once for the whole shortlist instead.
    stage_labels = dict(Application.Stage.choices)
    for person in people:
        person.stage_label = stage_labels[person.stage]
    # The chosen profiles as ids, straight from the link table: no profile objects per person.
    chosen: dict[int, set[int]] = {}
    links = Application.profiles.through.objects.filter(application__in=[person.pk for person in people])
    for application_id, profile_id in links.values_list("application_id", "expertiseprofile_id"):
        chosen.setdefault(application_id, set()).add(profile_id)
    adding, leaving = set(what_if_ids), set(without_ids)
    selected = [a for a in people if a.stage == Application.Stage.SELECTED]
    shortlist = [a for a in people if a.stage != Application.Stage.SELECTED]
    what_if = [a for a in shortlist if a.pk in adding]
    without = [a for a in selected if a.pk in leaving]
    group = [a for a in selected if a.pk not in leaving] + what_if

    rows = []
    coverage = dict.fromkeys((p.pk for p in profiles), 0)
    ages, young_present = Counter(), False
    for person in group:
        age = person.age_at_kickoff
        young = age < YOUNG_AGE_LIMIT
        young_present = young_present or young
        ages[_age_band(age)] += 1
        mine = chosen.get(person.pk, set())
        cells = [young if p.is_age_rule else p.pk in mine for p in profiles]
        for profile, covered in zip(profiles, cells, strict=True):
            coverage[profile.pk] += covered
        rows.append((person, cells, person.pk in adding))
    return Composition(
        seats_used=len(group),
        seats=SEATS,
        profiles=profiles,
        rows=rows,
        coverage=coverage,
        uncovered=[p for p in profiles if coverage[p.pk] == 0],
        young_present=young_present,
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
