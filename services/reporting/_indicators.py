"""Activity indicators of a period and a set of sites: the figures of the director dashboard and of
the funder space, computed in SQL (one grouped query per family, grouped by site).

Internal building block, WITHOUT a principal: callers decide the sites (dashboard: the principal's
sites; funder space: the grant's sites) and check the capability before calling.

Definitions (period = [start, end], both days included; a figure belongs to the site of its row):
- active_files: files open on `end`: intake on or before `end`, and closed after `end`, or not closed
  and still being accompanied (active or paused); an anonymised file without a closing date is out;
- new_intakes: files whose intake date falls in the period;
- outreach_rounds: rounds of the period; persons_met_street / persons_met_online: the persons met
  (contacts, nobody identified) recorded on the street / online rounds of the period;
- workshop_sessions: workshop sessions of the period whose roll was taken (≥ 1 mark recorded);
  workshop_attendance_rate: present / (present + excused + absent) over those rolls (as on the
  Ateliers page); None when no roll was taken;
- course_hours: learner-hours of French: for every "present" mark at a course session of the period,
  the session's duration (hours, two decimals);
- level_gains: learners with at least one assessment in the period ranked above their previous
  assessment of the same skill (CECRL order, any skill, previous = the one just before it);
- mainstream_transitions: moves to a droit commun course recorded in the period;
- referrals and referrals_<partner kind>: referrals to partners made in the period;
- outcomes_<category>: persons with an outcome of that category dated in the period;
- psp_in_progress: PSP episodes requested on or before `end`, not ended by `end` and not refused by
  a decision dated on or before `end`.
Each person belongs to one site, so per-site counts of distinct persons add up to the total. Persons who
refused statistics are in none of them (services.persons.consent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from i18n import N_, _
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseSession, CourseSiteDay, LanguageAssessment, MainstreamTransition
from models.labels import label
from models.outreach import OutreachMode, OutreachRound
from models.partners import Outcome, OutcomeCategory, Partner, PartnerKind, Referral
from models.pathway import PrefectDecision, PspEpisode
from models.persons import Person, PersonStatus
from models.workshops import WorkshopAttendance, WorkshopSession, WorkshopSiteDay
from services.activities.courses.progress import level_rank
from services.persons.consent import CONSENT_HISTORY, counted
from services.platform import data_version
from services.platform.errors import ValidationFailed

F = TypeVar("F", bound=Callable)

Period = tuple[date, date]
HOURS_QUANTUM = Decimal("0.01")
OPEN_STATUSES = (PersonStatus.ACTIVE, PersonStatus.PAUSED)


@dataclass(frozen=True)
class Indicator:
    key: str  # stable English key, e.g. "new_intakes"
    label: str  # in the language active when the set was built
    value: int | Decimal | None  # None = not computable (shown as "indisponible"), never invented
    unit: str  # "count" | "hours" | "rate" | "cents" | "fte"
    is_person_count: bool  # counts persons: subject to disclosure control for funders
    help: str = ""  # one sentence (language of the build): what the figure counts


@dataclass(frozen=True)
class IndicatorSet:
    start: date
    end: date
    site_ids: tuple[int, ...]
    indicators: tuple[Indicator, ...]

    def get(self, key: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.key == key:
                return indicator
        raise KeyError(key)


@dataclass(frozen=True)
class _Spec:
    """What an indicator is. `name` and `explanation` are French message ids (N_), translated when
    read through `label` and `help`; `subject` is the partner kind or outcome category a breakdown
    indicator is about (its label names it)."""

    name: str
    unit: str
    is_person_count: bool
    explanation: str
    subject: PartnerKind | OutcomeCategory | None = None

    @property
    def label(self) -> str:
        """The label in the active language."""
        name, subject = self.name, self.subject
        if isinstance(subject, OutcomeCategory):
            return label(subject)
        if isinstance(subject, PartnerKind):
            return _(name).format(kind=label(subject))
        return _(name)

    @property
    def help(self) -> str:
        """One sentence in the active language: what the figure counts."""
        explanation, subject = self.explanation, self.subject
        if isinstance(subject, OutcomeCategory):
            return _(explanation).format(category=label(subject).lower())
        if isinstance(subject, PartnerKind):
            return _(explanation).format(kind=label(subject))
        return _(explanation)


SPECS: dict[str, _Spec] = {
    "active_files": _Spec(
        N_("Dossiers en file active"),
        "count",
        True,
        N_("Dossiers ouverts au dernier jour de la période (accompagnement en cours ou en pause)."),
    ),
    "new_intakes": _Spec(
        N_("Nouveaux accueils"), "count", True, N_("Dossiers dont la date d'accueil tombe dans la période.")
    ),
    "outreach_rounds": _Spec(
        N_("Maraudes"), "count", False, N_("Maraudes présentielles et dématérialisées de la période.")
    ),
    "persons_met_street": _Spec(
        N_("Rencontres en présentiel"),
        "count",
        True,
        N_("Personnes rencontrées lors des maraudes présentielles (comptages, sans identification)."),
    ),
    "persons_met_online": _Spec(
        N_("Contacts en ligne"),
        "count",
        True,
        N_("Personnes contactées lors des maraudes dématérialisées (comptages, sans identification)."),
    ),
    "workshop_sessions": _Spec(
        N_("Séances d'atelier"), "count", False, N_("Séances d'atelier de la période dont l'émargement a été saisi.")
    ),
    "workshop_attendance_rate": _Spec(
        N_("Présence aux ateliers"),
        "rate",
        False,
        N_("Présent·es ÷ (présent·es + excusé·es + absent·es) sur les émargements de la période."),
    ),
    "course_hours": _Spec(
        N_("Heures de français"),
        "hours",
        False,
        N_("Heures-apprenant : durée des séances de cours de français, pour chaque présence."),
    ),
    "level_gains": _Spec(
        N_("Apprenant·es en progrès"),
        "count",
        True,
        N_(
            "Apprenant·es dont une évaluation de la période est supérieure à la précédente "
            "dans la même compétence (échelle CECRL)."
        ),
    ),
    "mainstream_transitions": _Spec(
        N_("Passages en droit commun"),
        "count",
        True,
        N_("Passages vers un cours de français de droit commun enregistrés dans la période."),
    ),
    "referrals": _Spec(
        N_("Orientations partenaires"), "count", True, N_("Orientations vers un partenaire faites dans la période.")
    ),
    "psp_in_progress": _Spec(
        N_("PSP en cours"),
        "count",
        True,
        N_("Parcours de sortie de la prostitution demandés, ni terminés ni refusés au dernier jour de la période."),
    ),
}
for _kind in PartnerKind:
    SPECS[f"referrals_{_kind.value}"] = _Spec(
        N_("Orientations : {kind}"), "count", True, N_("Orientations vers un partenaire de type « {kind} »."), _kind
    )
for _category in OutcomeCategory:
    SPECS[f"outcomes_{_category.value}"] = _Spec(
        _category.value,
        "count",
        True,
        N_("Personnes ayant une sortie « {category} » datée dans la période."),
        _category,
    )

REFERRAL_KEYS: tuple[str, ...] = tuple(f"referrals_{kind.value}" for kind in PartnerKind)
OUTCOME_KEYS: tuple[str, ...] = tuple(f"outcomes_{category.value}" for category in OutcomeCategory)
MAIN_KEYS: tuple[str, ...] = (
    "active_files",
    "new_intakes",
    "outreach_rounds",
    "persons_met_street",
    "persons_met_online",
    "workshop_sessions",
    "workshop_attendance_rate",
    "course_hours",
    "level_gains",
    "mainstream_transitions",
    "referrals",
    "psp_in_progress",
)
ACTIVITY_KEYS: tuple[str, ...] = MAIN_KEYS + OUTCOME_KEYS + REFERRAL_KEYS

# Raw, additive sums read from the database (per site and period) from which indicators are built.
Raw = Counter


class Sums:
    """What the family queries add up: per site, per period and (when a series window is given) per month.
    Families on a (site_id, date) index group their rows by site and day and are bucketed here (a few
    thousand small rows); the others use one CASE per bucket."""

    def __init__(self, sites: list[int], periods: Sequence[Period], series: Period | None) -> None:
        self.site_list = sites
        self.periods = list(periods)
        self.series = series
        self.sites: dict[int, list[Raw]] = {site: [Raw() for _ in periods] for site in sites}
        self.month_starts = _month_starts(series) if series is not None else []
        self.site_months: dict[int, dict[date, Raw]] = {
            site: {month: Raw() for month in self.month_starts} for site in sites
        }
        windows = self.periods + ([series] if series else [])
        self.span: Period = (min(w[0] for w in windows), max(w[1] for w in windows))
        self._buckets: dict[date, tuple[tuple[int, ...], date | None]] = {}  # per day: its periods and month

    @property
    def months(self) -> dict[date, Raw]:
        """Per month of the series, every site together."""
        summed = {month: Raw() for month in self.month_starts}
        for per_month in self.site_months.values():
            for month, raw in per_month.items():
                summed[month].update(raw)
        return summed

    def add_day(self, site: int, day: date, **values: object) -> None:
        """Add the values of one site and day (key=value) to the periods and the month of the series holding it.
        The buckets of a day are found once per day: a dashboard adds tens of thousands of (site, day) rows."""
        found = self._buckets.get(day)
        if found is None:
            indexes = tuple(index for index, (start, end) in enumerate(self.periods) if start <= day <= end)
            in_series = self.series is not None and self.series[0] <= day <= self.series[1]
            found = self._buckets[day] = (indexes, day.replace(day=1) if in_series else None)
        indexes, month = found
        per_period = self.sites[int(site)]
        targets = [per_period[index] for index in indexes]
        if month is not None:
            targets.append(self.site_months[int(site)][month])
        for key, value in values.items():
            value = int(value or 0)
            for raw in targets:
                raw[key] += value

    def add_period(self, site: int, index: int, key: str, value: object) -> None:
        self.sites[int(site)][index][key] += int(value or 0)

    def total(self, index: int) -> Raw:
        return total(self.sites, index)

    def of_site(self, site: int) -> Sums:
        """The sums of one of the sites, alone."""
        alone = Sums([site], self.periods, self.series)
        alone.sites[site] = self.sites[site]
        alone.site_months[site] = self.site_months[site]
        return alone

    def add(self, other: Sums) -> None:
        """Add the sums of another family gathered for some of the same sites, periods and series."""
        for site, per_period in other.sites.items():
            for mine, theirs in zip(self.sites[site], per_period, strict=True):
                mine.update(theirs)
        for site, per_month in other.site_months.items():
            for month, raw in per_month.items():
                self.site_months[site][month].update(raw)


def _month_starts(window: Period) -> list[date]:
    months, month = [], window[0].replace(day=1)
    while month <= window[1]:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


# --- SQL helpers ----------------------------------------------------------------------------------


def within(column: sa.ColumnElement, period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period[0], column <= period[1])


def sum_if(condition: sa.ColumnElement[bool], value: sa.ColumnElement | int = 1) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def span_of(periods: Sequence[Period]) -> Period:
    """From the first period's start to the last one's end."""
    return min(p[0] for p in periods), max(p[1] for p in periods)


def reads_by_site(*tables: str) -> Callable[[F], F]:
    """Declare the tables a family's query filters on their own `site_id` (to the sums' sites): its sums are
    then cached per site, and a save at one site recomputes that site's only (data_version.cached_by_site).
    Every other table it reads (the partners, say) counts as a whole. The consent history may be declared
    when the facts are filtered on their site (services.persons.consent.CONSENT_HISTORY)."""

    def declare(family: F) -> F:
        family.reads_by_site = frozenset(tables)  # type: ignore[attr-defined]
        return family

    return declare


# --- one grouped query per family -------------------------------------------------------------------


@reads_by_site("person", CONSENT_HISTORY)
def _persons(session: Session, sums: Sums) -> None:
    """Active files at each period's end (one scan, by site) and intakes by site and day (the (site_id,
    intake_on) index), bucketed into periods and months here. One CASE per month over every file of the
    sites took twice as long (the dashboard's 24 months, 12 sites, large dataset: 180 ms, now 75 ms)."""
    open_at = [
        sum_if(
            sa.and_(
                Person.intake_on <= end,
                sa.or_(Person.closed_on > end, sa.and_(Person.closed_on.is_(None), Person.status.in_(OPEN_STATUSES))),
                counted(Person.id, end),  # a stock: counted as its consent stood on the period's last day
            )
        )
        for _start, end in sums.periods
    ]
    first_end = min(end for _start, end in sums.periods)
    rows = session.exec(
        select(Person.site_id, *open_at)
        .where(
            Person.site_id.in_(sums.site_list),
            Person.intake_on <= sums.span[1],
            # Closed by the first period's end: open at none of them (and their consent is not read).
            sa.or_(Person.closed_on.is_(None), Person.closed_on > first_end),
        )
        .group_by(Person.site_id)
    ).all()
    for site, *values in rows:
        for index, value in enumerate(values):
            sums.add_period(site, index, "active_files", value)
    intakes = session.exec(
        select(Person.site_id, Person.intake_on, sa.func.count())
        .where(
            Person.site_id.in_(sums.site_list),
            within(Person.intake_on, sums.span),
            counted(Person.id, Person.intake_on),
        )
        .group_by(Person.site_id, Person.intake_on)
    ).all()
    for site, day, count in intakes:
        sums.add_day(site, day, new_intakes=count)


@reads_by_site("outreach_round")
def _outreach(session: Session, sums: Sums) -> None:
    rows = session.exec(
        select(
            OutreachRound.site_id,
            OutreachRound.round_on,
            sa.func.count(),
            sum_if(OutreachRound.mode == OutreachMode.STREET, OutreachRound.persons_met),
            sum_if(OutreachRound.mode == OutreachMode.ONLINE, OutreachRound.persons_met),
        )
        .where(OutreachRound.site_id.in_(sums.site_list), within(OutreachRound.round_on, sums.span))
        .group_by(OutreachRound.site_id, OutreachRound.round_on)
    ).all()
    for site, day, rounds, street, online in rows:
        sums.add_day(site, day, outreach_rounds=rounds, persons_met_street=street, persons_met_online=online)


@reads_by_site("workshop_site_day", "workshop_session", "workshop_attendance", CONSENT_HISTORY)
def _workshops(session: Session, sums: Sums) -> None:
    """From the rolls per site and day the database keeps (models.workshops.WorkshopSiteDay: the marks that count
    in statistics, by the session's site): a few thousand rows instead of every mark of the span and its
    person's consent (large dataset, every site, 13 months: 42–48 -> 14–17 ms on SQLite, 92–97 -> 12–16 ms on
    PostgreSQL)."""
    kept = WorkshopSiteDay
    rows = session.exec(
        select(kept.site_id, kept.day, kept.sessions, kept.present, kept.recorded).where(
            kept.site_id.in_(sums.site_list), within(kept.day, sums.span), kept.recorded > 0
        )
    ).all()
    for site, day, held, present, recorded in rows:
        sums.add_day(site, day, workshop_sessions=held, workshop_present=present, workshop_recorded=recorded)


@reads_by_site("course_site_day", "course_session", "course_attendance", CONSENT_HISTORY)
def _courses(session: Session, sums: Sums) -> None:
    """From the minutes per site and day the database keeps (models.courses.CourseSiteDay), as `_workshops`."""
    rows = session.exec(
        select(CourseSiteDay.site_id, CourseSiteDay.day, CourseSiteDay.minutes).where(
            CourseSiteDay.site_id.in_(sums.site_list), within(CourseSiteDay.day, sums.span), CourseSiteDay.minutes > 0
        )
    ).all()
    for site, day, minutes in rows:
        sums.add_day(site, day, course_minutes=minutes)


def ranked_assessments(site_ids: Sequence[int], span: Period) -> sa.Subquery:
    """(site_id, person_id, day, rnk, previous) of the assessments up to the span's end of the learners assessed
    at these sites in the span: `previous` is the rank of the same learner's assessment before it in the same
    skill, at whatever site (a learner whose file moved keeps her history). So a site's level gains depend on
    its learners only, never on which other sites are asked for with it."""
    rank = level_rank(LanguageAssessment.level)
    in_span = aliased(LanguageAssessment)
    assessed = select(in_span.person_id).where(
        in_span.site_id.in_(list(site_ids)),
        within(in_span.assessed_on, span),
        counted(in_span.person_id, in_span.assessed_on),
    )
    return (
        select(
            LanguageAssessment.site_id.label("site_id"),
            LanguageAssessment.person_id.label("person_id"),
            LanguageAssessment.assessed_on.label("day"),
            rank.label("rnk"),
            sa.func.lag(rank)
            .over(
                partition_by=(LanguageAssessment.person_id, LanguageAssessment.skill),
                order_by=(LanguageAssessment.assessed_on, LanguageAssessment.id),
            )
            .label("previous"),
        )
        .where(LanguageAssessment.assessed_on <= span[1], LanguageAssessment.person_id.in_(assessed))
        .subquery()
    )


# language_assessment is read as a whole: an assessment at another site can be the one a gain is measured from.
@reads_by_site()
def _level_gains(session: Session, sums: Sums) -> None:
    periods = sums.periods
    ranked = ranked_assessments(sums.site_list, span_of(periods))
    columns = [
        sa.func.count(sa.distinct(sa.case((within(ranked.c.day, period), ranked.c.person_id), else_=None)))
        for period in periods
    ]
    rows = session.exec(
        select(ranked.c.site_id, *columns)
        .where(
            ranked.c.site_id.in_(sums.site_list),
            ranked.c.rnk > ranked.c.previous,
            ranked.c.day >= span_of(periods)[0],
            counted(ranked.c.person_id, ranked.c.day),  # a gain counts as the consent stood on its day
        )
        .group_by(ranked.c.site_id)
    ).all()
    for site, *values in rows:
        for index in range(len(periods)):
            sums.add_period(site, index, "level_gains", values[index])


@reads_by_site("mainstream_transition", CONSENT_HISTORY)
def _transitions(session: Session, sums: Sums) -> None:
    periods = sums.periods
    columns = [sum_if(within(MainstreamTransition.moved_on, period)) for period in periods]
    rows = session.exec(
        select(MainstreamTransition.site_id, *columns)
        .where(
            MainstreamTransition.site_id.in_(sums.site_list),
            within(MainstreamTransition.moved_on, span_of(periods)),
            counted(MainstreamTransition.person_id, MainstreamTransition.moved_on),
        )
        .group_by(MainstreamTransition.site_id)
    ).all()
    for site, *values in rows:
        for index in range(len(periods)):
            sums.add_period(site, index, "mainstream_transitions", values[index])


@reads_by_site("referral", CONSENT_HISTORY)
def _referrals(session: Session, sums: Sums) -> None:
    periods = sums.periods
    columns = [sum_if(within(Referral.referred_on, period)) for period in periods]
    rows = session.exec(
        select(Referral.site_id, Partner.kind, *columns)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(
            Referral.site_id.in_(sums.site_list),
            within(Referral.referred_on, span_of(periods)),
            counted(Referral.person_id, Referral.referred_on),
        )
        .group_by(Referral.site_id, Partner.kind)
    ).all()
    for site, kind, *values in rows:
        for index in range(len(periods)):
            sums.add_period(site, index, f"referrals_{PartnerKind(kind).value}", values[index])
            sums.add_period(site, index, "referrals", values[index])


@reads_by_site("outcome", CONSENT_HISTORY)
def _outcomes(session: Session, sums: Sums) -> None:
    periods = sums.periods
    columns = [
        sa.func.count(sa.distinct(sa.case((within(Outcome.outcome_on, period), Outcome.person_id), else_=None)))
        for period in periods
    ]
    rows = session.exec(
        select(Outcome.site_id, Outcome.category, *columns)
        .where(
            Outcome.site_id.in_(sums.site_list),
            within(Outcome.outcome_on, span_of(periods)),
            counted(Outcome.person_id, Outcome.outcome_on),
        )
        .group_by(Outcome.site_id, Outcome.category)
    ).all()
    for site, category, *values in rows:
        for index in range(len(periods)):
            sums.add_period(site, index, f"outcomes_{OutcomeCategory(category).value}", values[index])


@reads_by_site("psp_episode", CONSENT_HISTORY)
def _psp(session: Session, sums: Sums) -> None:
    periods = sums.periods
    columns = []
    for _start, end in periods:
        refused = sa.and_(
            PspEpisode.prefect_decision == PrefectDecision.REFUSED,
            sa.or_(PspEpisode.decided_on.is_(None), PspEpisode.decided_on <= end),
        )
        columns.append(
            sum_if(
                sa.and_(
                    PspEpisode.requested_on <= end,
                    sa.or_(PspEpisode.ended_on.is_(None), PspEpisode.ended_on > end),
                    sa.not_(refused),
                    counted(PspEpisode.person_id, end),  # a stock: as the consent stood on the period's last day
                )
            )
        )
    rows = session.exec(
        select(PspEpisode.site_id, *columns)
        .where(
            PspEpisode.site_id.in_(sums.site_list),
            PspEpisode.requested_on <= span_of(periods)[1],
        )
        .group_by(PspEpisode.site_id)
    ).all()
    for site, *values in rows:
        for index in range(len(periods)):
            sums.add_period(site, index, "psp_in_progress", values[index])


def _month_cells(periods: Sequence[Period]) -> dict[tuple[int, int], list[int]] | None:
    """For periods that are unions of whole months (clipped to their overall span, as the publication grid's
    are): which periods each (year, month) belongs to; None otherwise."""
    first, last = span_of(periods)
    cells: dict[tuple[int, int], list[int]] = {}
    for index, (start, end) in enumerate(periods):
        if not (start == first or start.day == 1) or not (end == last or (end + timedelta(days=1)).day == 1):
            return None
        for month in _month_starts((start, end)):
            cells.setdefault((month.year, month.month), []).append(index)
    return cells


def _distinct_persons(
    session: Session, sums: Sums, key: str, *, day: sa.ColumnElement, person: sa.ColumnElement, base
) -> None:
    """Distinct persons per site and period (head-counts behind hours and rates). `base(columns)` selects the
    site and `columns` from the family's rows in the span. On grid periods (whole months), one row per
    person and month, counted here (cost independent of the number of periods); else one COUNT(DISTINCT)
    per period."""
    cells = _month_cells(sums.periods)
    if cells is None:
        columns = [sa.func.count(sa.distinct(sa.case((within(day, p), person)))) for p in sums.periods]
        for site, *values in session.exec(base(columns).group_by(sa.literal_column("1"))).all():
            for index in range(len(sums.periods)):
                sums.add_period(site, index, key, values[index])
        return
    months: dict[tuple[int, int], set[int]] = {}
    rows = session.exec(base([person, sa.extract("year", day), sa.extract("month", day)]).distinct()).all()
    for site, who, year, month in rows:
        months.setdefault((int(site), int(who)), set()).add((int(year), int(month)))
    for (site, _who), seen in months.items():
        indexes = {index for cell in seen for index in cells.get(cell, ())}
        for index in indexes:
            sums.add_period(site, index, key, 1)


@reads_by_site("course_session", "course_attendance", CONSENT_HISTORY)
def _course_learners(session: Session, sums: Sums) -> None:
    def base(columns):
        return (
            select(CourseSession.site_id, *columns)
            .select_from(CourseAttendance)
            .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
            .where(
                CourseSession.site_id.in_(sums.site_list),
                CourseAttendance.site_id.in_(sums.site_list),
                within(CourseSession.session_on, span_of(sums.periods)),
                CourseAttendance.status == AttendanceStatus.PRESENT,
                counted(CourseAttendance.person_id, CourseSession.session_on),
            )
        )

    _distinct_persons(
        session, sums, "course_learners", day=CourseSession.session_on, person=CourseAttendance.person_id, base=base
    )


@reads_by_site("workshop_session", "workshop_attendance", CONSENT_HISTORY)
def _workshop_persons(session: Session, sums: Sums) -> None:
    def base(columns):
        return (
            select(WorkshopSession.site_id, *columns)
            .select_from(WorkshopSession)
            .join(WorkshopAttendance, WorkshopAttendance.session_id == WorkshopSession.id)
            .where(
                WorkshopSession.site_id.in_(sums.site_list),
                WorkshopAttendance.site_id.in_(sums.site_list),
                within(WorkshopSession.session_on, span_of(sums.periods)),
                counted(WorkshopAttendance.person_id, WorkshopSession.session_on),
            )
        )

    _distinct_persons(
        session,
        sums,
        "workshop_persons",
        day=WorkshopSession.session_on,
        person=WorkshopAttendance.person_id,
        base=base,
    )


# Head-counts behind hours and rates: only outputs leaving the association protect them (families_for).
HEADCOUNT_KEYS = {"course_hours": "course_learners", "workshop_attendance_rate": "workshop_persons"}

FAMILIES = (_persons, _outreach, _workshops, _courses, _level_gains, _transitions, _referrals, _outcomes, _psp)


def families_for(keys: Collection[str]) -> tuple:
    """The family queries needed for these indicator keys (head-counts included for hours and rates)."""
    needed = {
        "active_files": (_persons,),
        "new_intakes": (_persons,),
        "outreach_rounds": (_outreach,),
        "persons_met_street": (_outreach,),
        "persons_met_online": (_outreach,),
        "workshop_sessions": (_workshops,),
        "workshop_attendance_rate": (_workshops, _workshop_persons),
        "course_hours": (_courses, _course_learners),
        "level_gains": (_level_gains,),
        "mainstream_transitions": (_transitions,),
        "psp_in_progress": (_psp,),
    }
    chosen: list = []
    for key in keys:
        if key.startswith("referrals"):
            families = (_referrals,)
        elif key.startswith("outcomes_"):
            families = (_outcomes,)
        else:
            families = needed[key]
        chosen += [f for f in families if f not in chosen]
    return tuple(chosen)


def gather(
    session: Session,
    *,
    site_ids: Sequence[int],
    periods: Sequence[Period],
    series: Period | None = None,
    keys: Collection[str] | None = None,
) -> Sums:
    """Additive sums per site and per period (same order as `periods`), and per month of `series` for
    all the sites together (intakes, persons met, workshop and course figures), one query per family for
    all sites, periods and months together. Every requested site is present, with zeros when it has no
    row. `keys`: only the queries these indicators need, with the distinct persons behind hours and rates
    (HEADCOUNT_KEYS), which only outputs leaving the association ask for."""
    if not periods:
        raise ValueError("at least one period")
    for start, end in list(periods) + ([series] if series else []):
        if end < start:
            raise ValidationFailed({"period": _("La fin de la période doit suivre son début.")})
    sums = Sums(sorted({int(s) for s in site_ids}), periods, series)
    if sums.site_list:
        for family in FAMILIES if keys is None else families_for(keys):
            sums.add(_family_sums(session, family, sums))
    return sums


def _family_sums(session: Session, family, like: Sums) -> Sums:
    """One family's sums, cached on their own and per site (services.platform.data_version): a roll call at
    Lyon recomputes Lyon's attendance families, and the figures made of them take the other families, and
    the other sites, as they were. Sites whose sums are not cached are computed together, in one query."""
    key = (tuple(like.periods), like.series)

    def compute(sites: list[int]) -> dict[int, Sums]:
        together = Sums(sites, like.periods, like.series)
        family(session, together)
        return {site: together.of_site(site) for site in sites}

    parts = data_version.cached_by_site(
        session, f"indicators.{family.__name__}", key, like.site_list, compute, scoped=family.reads_by_site
    )
    sums = Sums(like.site_list, like.periods, like.series)
    for part in parts.values():
        sums.add(part)
    return sums


def raw_by_site(
    session: Session,
    *,
    site_ids: Sequence[int],
    periods: Sequence[Period],
    keys: Collection[str] | None = None,
) -> dict[int, list[Raw]]:
    """`gather` without a series: per site, the raw sums of each period."""
    return gather(session, site_ids=site_ids, periods=periods, keys=keys).sites


# --- from raw sums to indicators ---------------------------------------------------------------------


def _value(key: str, raw: Raw) -> int | Decimal | None:
    if key == "workshop_attendance_rate":
        recorded = raw["workshop_recorded"]
        return Decimal(raw["workshop_present"]) / Decimal(recorded) if recorded else None
    if key == "course_hours":
        return (Decimal(raw["course_minutes"]) / Decimal(60)).quantize(HOURS_QUANTUM)
    return int(raw[key])


def build_set(raw: Raw, *, site_ids: Sequence[int], period: Period) -> IndicatorSet:
    """Indicators from raw sums (pure): every key of ACTIVITY_KEYS, in that order (labels and help in the
    active language)."""
    indicators = tuple(
        Indicator(key, SPECS[key].label, _value(key, raw), SPECS[key].unit, SPECS[key].is_person_count, SPECS[key].help)
        for key in ACTIVITY_KEYS
    )
    return IndicatorSet(period[0], period[1], tuple(sorted({int(s) for s in site_ids})), indicators)


def total(raw: dict[int, list[Raw]], index: int) -> Raw:
    summed = Raw()
    for per_period in raw.values():
        summed.update(per_period[index])
    return summed


def compute_indicators(session: Session, *, site_ids: Sequence[int], start: date, end: date) -> IndicatorSet:
    """Indicators of the period for the given sites together (callers check scope first)."""
    raw = raw_by_site(session, site_ids=site_ids, periods=[(start, end)])
    return build_set(total(raw, 0), site_ids=site_ids, period=(start, end))


def indicators_by_site(session: Session, *, site_ids: Sequence[int], start: date, end: date) -> dict[int, IndicatorSet]:
    """The same indicators per site (same grouped queries, not one per site)."""
    raw = raw_by_site(session, site_ids=site_ids, periods=[(start, end)])
    return {site: build_set(per_period[0], site_ids=[site], period=(start, end)) for site, per_period in raw.items()}


def referrals_by_partner_kind(indicators: IndicatorSet) -> list[tuple[PartnerKind, Indicator]]:
    """The referral breakdown of a set, one entry per partner kind (in the enum's order)."""
    return [(kind, indicators.get(f"referrals_{kind.value}")) for kind in PartnerKind]
