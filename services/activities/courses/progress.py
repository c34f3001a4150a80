"""Progress in French, computed in SQL: per learner, per group, per site.

Scope: the learners of the groups `visible_groups` lets the principal see (formateur: its groups;
chef_service: its sites; direction: every site). Hours attended are the durations of the sessions,
of those groups, where the learner was marked present (excused and absent count nothing), summed in
minutes (exact). CECRL levels are compared by their rank through a SQL CASE (`level_rank`), never by
their stored string ('a1_1' < 'a1' as text, not as a level).

Definitions the pages print in their captions:
- level at entry of a group: the first assessment of each skill recorded in that group; latest: the
  last one (by date, then by order of entry);
- hours to gain one level, for a learner and a skill with a later assessment above the first one:
  minutes attended from the day of the first assessment (included) to the day of the first higher
  assessment (excluded), divided by the number of levels gained; the site figure is the median of
  those per-learner-and-skill numbers (computed per pair in SQL; only the median is taken in Python);
- a learner reaches A1 (A2) when the latest assessment of every skill assessed is A1 (A2) or above.
The per-site figures of a scope of every site read each learner's first level, first gain and latest level
per skill from `LanguageLevelSummary` (kept by the database from the counted assessments: migration 0028)
instead of ordering every assessment again, and, when it sees every group, the minutes between two assessments
from `CoursePresenceDay` (minutes present per day, kept from the marks and classes: migration 0029); a scope of
some sites reads the assessments made at its sites and its groups' marks.
Who may call: roles that see groups (formateur, chef_service, direction). First names: VIEW_LEARNERS.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select

from i18n import N_
from models.attendance import AttendanceStatus
from models.courses import (
    CefrLevel,
    CourseAttendance,
    CourseEnrolment,
    CourseGroup,
    CoursePresenceDay,
    CourseSession,
    LanguageAssessment,
    LanguageLevelSummary,
    LanguageSkill,
)
from models.organisation import Site
from models.persons import Person
from services.activities.courses.access import sees_every_group, visible_groups
from services.activities.courses.groups import _visible_learner, names_visible, visible_group, visible_learner_ids
from services.persons import roster
from services.persons.consent import CONSENT_HISTORY, counted
from services.platform.crypto import FieldCipher
from services.platform.errors import PermissionDenied
from services.platform.principal import Capability, Principal

T = TypeVar("T")
A1_RANK = CefrLevel.A1.rank
A2_RANK = CefrLevel.A2.rank


class Moment(StrEnum):
    ENTRY = "entry"
    LATEST = "latest"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.ENTRY: N_("À l'entrée"),
            cls.LATEST: N_("Dernière évaluation"),
        }


def level_rank(column: sa.ColumnElement) -> sa.ColumnElement[int]:
    """CASE level WHEN 'pre_a1' THEN 0 WHEN 'a1_1' THEN 1 … END — the CECRL order, in SQL."""
    return sa.case({level.value: level.rank for level in CefrLevel}, value=sa.cast(column, sa.String))


def _require_reader(principal: Principal) -> None:
    if not (principal.can(Capability.VIEW_LEARNERS) or principal.can(Capability.VIEW_PERSON_FILES)):
        raise PermissionDenied()


def visible_group_ids(principal: Principal) -> sa.Select:
    return select(CourseGroup.id).where(visible_groups(principal))


def _present_attendance(principal: Principal) -> sa.Select:
    """(person_id, session_on, duration_minutes) of every 'present' mark at a session of a visible group."""
    return (
        select(
            CourseAttendance.person_id.label("person_id"),
            CourseSession.session_on.label("session_on"),
            CourseSession.duration_minutes.label("minutes"),
        )
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(
            CourseAttendance.status == AttendanceStatus.PRESENT,
            CourseSession.group_id.in_(visible_group_ids(principal)),
        )
    )


# --- learners -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerChoice:
    person_id: int
    code: str
    first_name: str | None  # only for VIEW_LEARNERS (never direction)
    safety_flag: bool = False  # the file's team only (services.persons.safety), never in an export


def learner_choices(
    session: Session, principal: Principal, *, group_id: int, cipher: FieldCipher | None = None
) -> list[LearnerChoice]:
    """The learners (present or past) of one visible group, by code."""
    _require_reader(principal)
    group = visible_group(session, principal, group_id)
    decrypt = names_visible(principal) and cipher is not None
    columns = [Person.id, Person.code, roster.listed_flag(principal, group.site_id)]
    columns += [Person.alias_encrypted] if decrypt else []
    rows = session.exec(
        select(*columns)
        .where(
            Person.id.in_(visible_learner_ids(principal, group.id)),
            # A learner whose file moved to another site is no longer followed here (services.persons.roster).
            ~roster.moved_away(group.site_id),
        )
        .order_by(Person.code)
    ).all()
    return [LearnerChoice(row[0], row[1], cipher.decrypt(row[3]) if decrypt else None, bool(row[2])) for row in rows]


@dataclass(frozen=True)
class LevelStep:
    skill: LanguageSkill
    assessed_on: date
    level: CefrLevel
    rank: int
    is_positioning: bool


@dataclass(frozen=True)
class MonthHours:
    month: date  # first day of the month
    minutes: int
    sessions: int


@dataclass(frozen=True)
class LearnerProgress:
    person_id: int
    code: str
    first_name: str | None
    steps: list[LevelStep]  # by date then order of entry: rows of the step chart
    monthly: list[MonthHours]  # hours attended per month, oldest first
    attended_minutes: int
    attended_sessions: int

    def first(self) -> dict[LanguageSkill, LevelStep]:
        found: dict[LanguageSkill, LevelStep] = {}
        for step in self.steps:
            found.setdefault(step.skill, step)
        return found

    def latest(self) -> dict[LanguageSkill, LevelStep]:
        return {step.skill: step for step in self.steps}


def learner_progress(
    session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher | None = None
) -> LearnerProgress:
    """Levels of a visible learner over time, and hours attended (total and per month). Two queries."""
    _require_reader(principal)
    person = _visible_learner(session, principal, person_id)
    rank = level_rank(LanguageAssessment.level)
    steps = [
        LevelStep(LanguageSkill(row.skill), row.assessed_on, CefrLevel(row.level), int(row.rank), row.is_positioning)
        for row in session.exec(
            select(
                LanguageAssessment.skill,
                LanguageAssessment.assessed_on,
                LanguageAssessment.level,
                rank.label("rank"),
                LanguageAssessment.is_positioning,
            )
            .where(LanguageAssessment.person_id == person.id, principal.site_filter(LanguageAssessment.site_id))
            .order_by(LanguageAssessment.assessed_on, LanguageAssessment.id)
        ).all()
    ]
    attended = _present_attendance(principal).where(CourseAttendance.person_id == person.id).subquery()
    year, month = sa.extract("year", attended.c.session_on), sa.extract("month", attended.c.session_on)
    monthly = [
        MonthHours(date(int(y), int(m), 1), int(minutes), int(count))
        for y, m, minutes, count in session.exec(
            select(year, month, sa.func.sum(attended.c.minutes), sa.func.count())
            .group_by(year, month)
            .order_by(year, month)
        ).all()
    ]
    first_name = None
    if names_visible(principal) and cipher is not None:
        first_name = cipher.decrypt(person.alias_encrypted)
    return LearnerProgress(
        person.id,
        person.code,
        first_name,
        steps,
        monthly,
        sum(m.minutes for m in monthly),
        sum(m.sessions for m in monthly),
    )


@dataclass(frozen=True)
class Attendance:
    minutes: int  # present, exact
    sessions: int  # sessions attended


def group_attendance(session: Session, principal: Principal, group_id: int) -> dict[int, Attendance]:
    """Per learner of a visible group: minutes and sessions attended at this group's sessions. One query."""
    _require_reader(principal)
    group = visible_group(session, principal, group_id)
    rows = session.exec(
        select(CourseAttendance.person_id, sa.func.sum(CourseSession.duration_minutes), sa.func.count())
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(CourseSession.group_id == group.id, CourseAttendance.status == AttendanceStatus.PRESENT)
        .group_by(CourseAttendance.person_id)
    ).all()
    return {int(person): Attendance(int(minutes), int(count)) for person, minutes, count in rows}


# --- groups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelCount:
    skill: LanguageSkill
    level: CefrLevel
    moment: Moment
    learners: int


@dataclass(frozen=True)
class GroupDistribution:
    group_id: int
    group_name: str
    learners: int  # learners with at least one assessment in this group
    counts: list[LevelCount] = field(default_factory=list)  # non-zero cells only


def group_distribution(session: Session, principal: Principal, group_id: int) -> GroupDistribution:
    """Per skill, how many learners were at each level at entry (first assessment in the group) and now
    (latest one). One query (window functions), plus the group lookup."""
    _require_reader(principal)
    group = visible_group(session, principal, group_id)
    order = (LanguageAssessment.assessed_on, LanguageAssessment.id)
    partition = (LanguageAssessment.person_id, LanguageAssessment.skill)
    ranked = (
        select(
            LanguageAssessment.person_id,
            LanguageAssessment.skill,
            LanguageAssessment.level,
            sa.func.row_number().over(partition_by=partition, order_by=order).label("first_rn"),
            sa.func.row_number().over(partition_by=partition, order_by=[c.desc() for c in order]).label("last_rn"),
        )
        .where(LanguageAssessment.group_id == group.id, principal.site_filter(LanguageAssessment.site_id))
        .subquery()
    )
    entry = sa.func.sum(sa.case((ranked.c.first_rn == 1, 1), else_=0))
    latest = sa.func.sum(sa.case((ranked.c.last_rn == 1, 1), else_=0))
    rows = session.exec(
        select(ranked.c.skill, ranked.c.level, entry, latest)
        .where(sa.or_(ranked.c.first_rn == 1, ranked.c.last_rn == 1))
        .group_by(ranked.c.skill, ranked.c.level)
    ).all()
    counts: list[LevelCount] = []
    for skill, level, at_entry, now in rows:
        if at_entry:
            counts.append(LevelCount(LanguageSkill(skill), CefrLevel(level), Moment.ENTRY, int(at_entry)))
        if now:
            counts.append(LevelCount(LanguageSkill(skill), CefrLevel(level), Moment.LATEST, int(now)))
    counts.sort(key=lambda c: (list(LanguageSkill).index(c.skill), c.moment != Moment.ENTRY, c.level.rank))
    learners = session.exec(
        select(sa.func.count(sa.distinct(LanguageAssessment.person_id))).where(
            LanguageAssessment.group_id == group.id, principal.site_filter(LanguageAssessment.site_id)
        )
    ).one()
    return GroupDistribution(group.id, group.name, int(learners), counts)


# --- sites --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelGain:
    person_id: int
    site_id: int
    skill: LanguageSkill
    levels: int  # levels gained from the first assessment to the first higher one
    minutes: int  # attended in between (first day included, day of the higher one excluded)

    @property
    def minutes_per_level(self) -> float:
        return self.minutes / self.levels


def _scoped_learners(principal: Principal, site_id: int | None, file_sites: Sequence[int] | None = None) -> sa.Select:
    """The learners of the scope's groups (of `site_id`'s, when given); whose file is at one of `file_sites`
    only, when given."""
    learners = (
        select(CourseEnrolment.person_id)
        .join(CourseGroup, CourseGroup.id == CourseEnrolment.group_id)
        .where(visible_groups(principal))
    )
    if site_id is not None:
        learners = learners.where(CourseGroup.site_id == site_id)
    if file_sites is not None:
        learners = learners.where(
            CourseEnrolment.person_id.in_(select(Person.id).where(Person.site_id.in_(list(file_sites))))
        )
    return learners


def _scoped_assessments(
    principal: Principal, site_id: int | None, file_sites: Sequence[int] | None = None
) -> sa.Select:
    """The assessments of the scope's learners (`_scoped_learners`) made at the scope's sites and counted in
    statistics."""
    return select(LanguageAssessment).where(
        LanguageAssessment.person_id.in_(_scoped_learners(principal, site_id, file_sites)),
        principal.site_filter(LanguageAssessment.site_id),
        # figures of the sites: without who refused statistics on the day of the assessment
        counted(LanguageAssessment.person_id, LanguageAssessment.assessed_on),
    )


def _summarised(principal: Principal) -> bool:
    """Whether the scope's learners' levels may be read from LanguageLevelSummary: it holds their levels over
    every site's counted assessments, which is what a scope of every site reads; a scope of some sites reads
    the assessments made at its own sites only."""
    return principal.all_sites


def _first_gains(scoped: sa.Subquery) -> sa.Subquery:
    """Per learner × skill of `scoped` (assessments), the first assessment (d0, r0) and the first one above
    its level after its day (d1, r1); `nth` numbers the pairs sharing one interval (same learner, d0, d1)."""
    rank = level_rank(scoped.c.level)
    window = {"partition_by": (scoped.c.person_id, scoped.c.skill), "order_by": (scoped.c.assessed_on, scoped.c.id)}
    ranked = select(
        scoped.c.id,
        scoped.c.person_id,
        scoped.c.skill,
        scoped.c.assessed_on,
        rank.label("rnk"),
        sa.func.first_value(scoped.c.assessed_on).over(**window).label("d0"),
        sa.func.first_value(rank).over(**window).label("r0"),
    ).subquery("ranked")
    # The rows above the first level, after its day; the earliest of them is the first gain.
    higher = (
        select(
            ranked.c.person_id,
            ranked.c.skill,
            ranked.c.d0,
            ranked.c.r0,
            ranked.c.assessed_on.label("d1"),
            ranked.c.rnk.label("r1"),
            sa.func.row_number()
            .over(partition_by=(ranked.c.person_id, ranked.c.skill), order_by=(ranked.c.assessed_on, ranked.c.id))
            .label("rn"),
        )
        .where(ranked.c.rnk > ranked.c.r0, ranked.c.assessed_on > ranked.c.d0)
        .subquery("higher")
    )
    return (
        select(
            higher.c.person_id,
            higher.c.skill,
            higher.c.d0,
            higher.c.r0,
            higher.c.d1,
            higher.c.r1,
            # Skills assessed on the same days share one interval: its minutes are summed once.
            sa.func.row_number()
            .over(partition_by=(higher.c.person_id, higher.c.d0, higher.c.d1), order_by=higher.c.skill)
            .label("nth"),
        )
        .where(higher.c.rn == 1)
        .subquery("pairs")
    )


def _summarised_gains(learners: sa.Select) -> sa.Subquery:
    """`_first_gains` of `learners`, read from LanguageLevelSummary (a scope of every site: `_summarised`)."""
    levels = LanguageLevelSummary
    return (
        select(
            levels.person_id,
            levels.skill,
            levels.first_on.label("d0"),
            levels.first_rank.label("r0"),
            levels.gain_on.label("d1"),
            levels.gain_rank.label("r1"),
            sa.func.row_number()
            .over(partition_by=(levels.person_id, levels.first_on, levels.gain_on), order_by=levels.skill)
            .label("nth"),
        )
        .where(levels.person_id.in_(learners), levels.gain_on.is_not(None))
        .subquery("pairs")
    )


def _minutes_between(pairs: sa.Subquery, group_ids: list[int], *, every_group: bool = False) -> sa.ScalarSelect:
    """Minutes the learner of a pair attended in `group_ids` from d0 (included) to d1 (excluded): their marks
    through the course_attendance person index, then their session by primary key; when `group_ids` are every
    group, the learner's days of CoursePresenceDay between the two (a few rows by its primary key)."""
    if every_group:
        days = CoursePresenceDay
        return (
            select(sa.func.coalesce(sa.func.sum(days.minutes), 0))
            .where(days.person_id == pairs.c.person_id, days.day >= pairs.c.d0, days.day < pairs.c.d1)
            .scalar_subquery()
        )
    return (
        select(sa.func.coalesce(sa.func.sum(CourseSession.duration_minutes), 0))
        .select_from(CourseAttendance)
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(
            CourseAttendance.person_id == pairs.c.person_id,
            CourseAttendance.status == AttendanceStatus.PRESENT,
            CourseSession.session_on >= pairs.c.d0,
            CourseSession.session_on < pairs.c.d1,
            CourseSession.group_id.in_(group_ids),
        )
        .scalar_subquery()
    )


def level_gains(
    session: Session, principal: Principal, *, site_id: int | None = None, file_sites: Sequence[int] | None = None
) -> list[LevelGain]:
    """Every learner × skill of the scope whose level rose after the first assessment, with the minutes
    attended until the first higher assessment (of learners whose file is at one of `file_sites`, when
    given). One query (plus the list of visible group ids); the minutes are summed in SQL once per distinct
    interval (skills assessed the same days share one), through the course_attendance person index."""
    _require_reader(principal)
    if _summarised(principal):
        pairs = _summarised_gains(_scoped_learners(principal, site_id, file_sites))
    else:
        pairs = _first_gains(_scoped_assessments(principal, site_id, file_sites).subquery())
    group_ids = sorted(session.exec(visible_group_ids(principal)).all())  # a short list, fixed for the query
    minutes = _minutes_between(pairs, group_ids, every_group=sees_every_group(principal))
    rows = session.exec(
        select(
            pairs.c.person_id,
            Person.site_id,
            pairs.c.skill,
            (pairs.c.r1 - pairs.c.r0).label("levels"),
            pairs.c.d0,
            pairs.c.d1,
            sa.case((pairs.c.nth == 1, minutes), else_=None).label("minutes"),
        )
        .select_from(pairs)
        .join(Person, Person.id == pairs.c.person_id)
        .order_by(pairs.c.person_id, pairs.c.d0, pairs.c.d1, pairs.c.nth)
    ).all()
    gains: list[LevelGain] = []
    interval_minutes = 0
    for person_id, site, skill, levels, _d0, _d1, summed in rows:
        if summed is not None:  # first pair of its interval (rows come in interval order)
            interval_minutes = int(summed)
        gains.append(LevelGain(int(person_id), int(site), LanguageSkill(skill), int(levels), interval_minutes))
    gains.sort(key=lambda gain: (gain.person_id, list(LanguageSkill).index(gain.skill)))
    return gains


@dataclass(frozen=True)
class SiteProgress:
    site_id: int
    site_code: str
    site_name: str
    learners: int  # learners of the scope with at least one assessment
    reached_a1: int
    reached_a2: int
    gains: int  # learner × skill pairs behind the median
    median_minutes_per_level: float | None

    @property
    def share_a1(self) -> float | None:
        return self.reached_a1 / self.learners if self.learners else None

    @property
    def share_a2(self) -> float | None:
        return self.reached_a2 / self.learners if self.learners else None


def reached_levels(
    session: Session, principal: Principal, *, site_id: int | None = None, file_sites: Sequence[int] | None = None
) -> dict[int, tuple[int, int, int]]:
    """Per site of the learners' files: (learners assessed, learners reaching A1, reaching A2) on their latest
    assessments (of the files at `file_sites` only, when given)."""
    _require_reader(principal)
    lowest = _lowest_latest(principal, site_id, file_sites)
    rows = session.exec(
        select(
            Person.site_id,
            sa.func.count(),
            sa.func.sum(sa.case((lowest.c.lowest >= A1_RANK, 1), else_=0)),
            sa.func.sum(sa.case((lowest.c.lowest >= A2_RANK, 1), else_=0)),
        )
        .select_from(lowest)
        .join(Person, Person.id == lowest.c.person_id)
        .group_by(Person.site_id)
    ).all()
    return {int(site): (int(n), int(a1 or 0), int(a2 or 0)) for site, n, a1, a2 in rows}


def _lowest_latest(principal: Principal, site_id: int | None, file_sites: Sequence[int] | None) -> sa.Subquery:
    """Per learner of the scope assessed: the lowest rank of the latest assessment of each skill."""
    if _summarised(principal):
        levels = LanguageLevelSummary
        return (
            select(levels.person_id, sa.func.min(levels.latest_rank).label("lowest"))
            .where(levels.person_id.in_(_scoped_learners(principal, site_id, file_sites)))
            .group_by(levels.person_id)
            .subquery()
        )
    scoped = _scoped_assessments(principal, site_id, file_sites).subquery()
    latest = select(
        scoped.c.person_id,
        level_rank(scoped.c.level).label("rnk"),
        sa.func.row_number()
        .over(
            partition_by=(scoped.c.person_id, scoped.c.skill),
            order_by=(scoped.c.assessed_on.desc(), scoped.c.id.desc()),
        )
        .label("rn"),
    ).subquery()
    return (
        select(latest.c.person_id, sa.func.min(latest.c.rnk).label("lowest"))
        .where(latest.c.rn == 1)
        .group_by(latest.c.person_id)
        .subquery()
    )


def gain_medians(
    session: Session, principal: Principal, *, site_id: int | None = None, file_sites: Sequence[int] | None = None
) -> dict[int, tuple[int, float]]:
    """Per site of the learners' files: (learner × skill pairs that gained a level, median minutes attended per
    level gained) (of the files at `file_sites` only, when given)."""
    per_site: dict[int, list[float]] = {}
    for gain in level_gains(session, principal, site_id=site_id, file_sites=file_sites):
        per_site.setdefault(gain.site_id, []).append(gain.minutes_per_level)
    return {site: (len(values), statistics.median(values)) for site, values in per_site.items()}


# What the two figures of `site_progress` read, by the site of the learners' files (the figures' sites): the
# files, their consents, and their enrolments, assessments and marks wherever they were made (a write of
# those moves the counter of the file's site too: data_version.READ_AT_THE_PERSONS_SITE), and the groups and
# classes they were made in (a change of one moves the counters of its learners' sites:
# data_version.READ_AT_THE_LEARNERS_SITES; a class planned at Lyon recomputes Lyon's figures only).
LEVELS_READ_BY_SITE = ("person", CONSENT_HISTORY, "course_enrolment", "language_assessment", "course_group")
HOURS_READ_BY_SITE = (*LEVELS_READ_BY_SITE, "course_attendance", "course_session")


# part(name, sites, compute, scoped) -> {site: figure}: see site_progress.
SitePart = Callable[[str, list[int], Callable[[list[int]], dict[int, Any]], Collection[str]], dict[int, Any]]


def _computed(
    _name: str, site_ids: list[int], compute: Callable[[list[int]], dict[int, T]], _scoped: Collection[str]
) -> dict[int, T]:
    return compute(site_ids)


def site_progress(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None = None,
    part: SitePart = _computed,
) -> list[SiteProgress]:
    """Per site of the scope: learners assessed, reaching A1 / A2, and the median hours to gain a level.

    `part(name, sites, compute, scoped)` may serve each of the two aggregates from a cache per site (the
    caller's: it knows the scope's key); `compute(chosen)` answers for the sites chosen, `scoped` are the
    tables it reads by site (data_version.cached_by_site). The levels reached read no attendance, so a roll
    call leaves them cached; a roll call at Lyon recomputes the hours of Lyon's learners only."""
    _require_reader(principal)
    conditions = [principal.site_filter(Site.id), Site.is_active == sa.true()]
    if site_id is not None:
        conditions.append(Site.id == site_id)
    sites = session.exec(select(Site).where(*conditions).order_by(Site.code)).all()
    ids = [site.id for site in sites]

    def each(figure: Callable[..., dict[int, Any]]) -> Callable[[list[int]], dict[int, Any]]:
        def compute(chosen: list[int]) -> dict[int, Any]:
            found = figure(session, principal, site_id=site_id, file_sites=chosen)
            return {site: found.get(site) for site in chosen}

        return compute

    reached = part("reached_levels", ids, each(reached_levels), LEVELS_READ_BY_SITE)
    medians = part("gain_medians", ids, each(gain_medians), HOURS_READ_BY_SITE)
    result = []
    for site in sites:
        learners, a1, a2 = reached.get(site.id) or (0, 0, 0)
        gains, median = medians.get(site.id) or (0, None)
        if not learners and not gains:
            continue
        result.append(SiteProgress(site.id, site.code, site.name, learners, a1, a2, gains, median))
    return result
