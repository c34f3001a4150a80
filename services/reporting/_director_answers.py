"""The SQL behind the director's three questions (services.reporting.director_answers), WITHOUT a principal:
the caller checks the capability and resolves the sites first.

Definitions (period = [start, end], both days included; a fact belongs to the site of its row; persons who
refused statistics are in none of the figures, as their consent stood on the fact's day,
services.persons.consent):
- accompanied persons: distinct persons with at least one of, in the period: an appointment (interview,
  accompaniment, home visit, call), a "present" mark at a workshop session, a "present" mark at a French
  course session, a referral to a partner, or the intake of their file (a new file, from outreach or
  elsewhere). A person active at two sites (a file moved) counts once per site and once in the total;
- acts: appointments + workshop presences + course presences + referrals + outreach rounds of the period;
- attendance marks: present / every mark recorded (present, excused, absent) at the workshop and course
  sessions of the period; the persons marked (any mark), distinct per family (workshops, courses), are what the
  attendance rate rests on (the export's disclosure control);
- learners: distinct persons present at least once at a French course of the period; level gains: the
  assessments of the period ranked above the previous assessment of the same person and skill (CECRL),
  wherever it was made;
- persons with an outcome: distinct persons with an outcome of the period other than "perte de contact"
  and "autre";
- FTE filled: posts open and filled on `as_of`, national project officers left out (they work for every
  site);
- grants: the budget lines of the sites, planned, and the expenses booked on them up to `as_of`, for the
  grants whose convention runs on `as_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from models.appointments import Appointment, AppointmentSiteDay
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseSession
from models.finance import Funder, Grant
from models.outreach import OutreachRound
from models.partners import Outcome, OutcomeCategory, Referral
from models.persons import Person
from models.staffing import Post, PostType
from models.workshops import WorkshopAttendance, WorkshopSession
from services.finance import consumption as budget_consumption
from services.finance.access import national_or_sites, visible_lines
from services.persons.consent import CONSENT_HISTORY, counted
from services.platform import data_version
from services.platform.principal import Principal
from services.reporting._indicators import ranked_assessments, span_of, within

Period = tuple[date, date]
# Outcomes that say nothing of the accompaniment's result.
NOT_RESULTS = (OutcomeCategory.LOST_CONTACT, OutcomeCategory.OTHER)


# The tables _activity_rows filters on their own site_id (data_version.cached_by_site's `scoped`), and the consent
# history of the persons of those rows (services.persons.consent.CONSENT_HISTORY).
ACTIVITY_TABLES = (
    "appointment",
    "workshop_session",
    "workshop_attendance",
    "course_session",
    "course_attendance",
    "referral",
    "person",
    CONSENT_HISTORY,
)


def _activity_rows(site_ids: Sequence[int], span: Period, persons: Sequence[int] | None = None) -> sa.Subquery:
    """(site_id, person_id, day) of every fact that makes a person accompanied, in `span` (of `persons` only,
    when given: a few persons, whose facts are read through the person indexes)."""
    sites = list(site_ids)

    def on_sites(column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        # `+ 0` keeps the (site_id, day) indexes out of the plan when a few persons are asked for: without it
        # SQLite reads every fact of the sites' span to keep a handful.
        return column.in_(sites) if persons is None else (column + 0).in_(sites)

    def of_persons(column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        return sa.true() if persons is None else column.in_(list(persons))

    appointments = select(
        Appointment.site_id.label("site_id"),
        Appointment.person_id.label("person_id"),
        Appointment.appointment_on.label("day"),
    ).where(
        on_sites(Appointment.site_id),
        within(Appointment.appointment_on, span),
        counted(Appointment.person_id, Appointment.appointment_on),
        of_persons(Appointment.person_id),
    )
    workshops = (
        select(WorkshopSession.site_id, WorkshopAttendance.person_id, WorkshopSession.session_on)
        .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
        .where(
            on_sites(WorkshopSession.site_id),
            on_sites(WorkshopAttendance.site_id),
            within(WorkshopSession.session_on, span),
            WorkshopAttendance.status == AttendanceStatus.PRESENT,
            counted(WorkshopAttendance.person_id, WorkshopSession.session_on),
            of_persons(WorkshopAttendance.person_id),
        )
    )
    courses = (
        select(CourseSession.site_id, CourseAttendance.person_id, CourseSession.session_on)
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(
            on_sites(CourseSession.site_id),
            on_sites(CourseAttendance.site_id),
            within(CourseSession.session_on, span),
            CourseAttendance.status == AttendanceStatus.PRESENT,
            counted(CourseAttendance.person_id, CourseSession.session_on),
            of_persons(CourseAttendance.person_id),
        )
    )
    referrals = select(Referral.site_id, Referral.person_id, Referral.referred_on).where(
        on_sites(Referral.site_id),
        within(Referral.referred_on, span),
        counted(Referral.person_id, Referral.referred_on),
        of_persons(Referral.person_id),
    )
    intakes = select(Person.site_id, Person.id, Person.intake_on).where(
        on_sites(Person.site_id),
        within(Person.intake_on, span),
        counted(Person.id, Person.intake_on),
        of_persons(Person.id),
    )
    return sa.union_all(appointments, workshops, courses, referrals, intakes).subquery("activity")


@dataclass(frozen=True)
class _SiteAccompanied:
    """One site's part of the persons accompanied, per period: every person active at the site, those among
    them whose file is at the site now (`at_home`), and how many persons active there in the periods have
    their file at another site now (`visitors`: files moved since, mostly)."""

    persons: tuple[int, ...]
    at_home: tuple[int, ...]
    visitors: int


def _accompanied_parts(
    session: Session, site_ids: Sequence[int], periods: Sequence[Period]
) -> dict[int, _SiteAccompanied]:
    """Each site's part, cached per site (data_version.cached_by_site: a save at Lyon counts Lyon's again
    only). A part reads the files of its own rows' persons for their site only (`at_home`): a file's site
    changes by an UPDATE of person.site_id, which moves the counters of the site it leaves and the one it
    reaches (`person@A`, `person@B`), the only two sites whose parts it changes."""

    def compute(chosen: list[int]) -> dict[int, _SiteAccompanied]:
        rows = _activity_rows(chosen, span_of(periods))
        # One row per site and person (one sort), then counted per site: cheaper than a DISTINCT per column.
        per_person = (
            select(
                rows.c.site_id,
                *[flag.label(f"in_{index}") for index, flag in enumerate(_active_per_period(rows, periods))],
                sa.func.max(sa.case((Person.site_id == rows.c.site_id, 1), else_=0)).label("at_home"),
            )
            .join(Person, Person.id == rows.c.person_id)
            .group_by(rows.c.site_id, rows.c.person_id)
            .subquery("per_person")
        )
        flags = [per_person.c[f"in_{index}"] for index in range(len(periods))]
        home = per_person.c.at_home
        found = {}
        for site, *values in session.exec(
            select(
                per_person.c.site_id,
                *[sa.func.sum(flag) for flag in flags],
                *[sa.func.sum(flag * home) for flag in flags],
                sa.func.sum(1 - home),
            ).group_by(per_person.c.site_id)
        ):
            counts = [int(v or 0) for v in values]
            n = len(periods)
            found[int(site)] = _SiteAccompanied(tuple(counts[:n]), tuple(counts[n : 2 * n]), counts[2 * n])
        nobody = _SiteAccompanied((0,) * len(periods), (0,) * len(periods), 0)
        return {site: found.get(site, nobody) for site in chosen}

    return data_version.cached_by_site(
        session, "director_answers.accompanied", tuple(periods), list(site_ids), compute, scoped=ACTIVITY_TABLES
    )


def accompanied_by_site(
    session: Session, *, site_ids: Sequence[int], periods: Sequence[Period]
) -> dict[int, list[int]]:
    """Distinct accompanied persons per site and period (cached per site, see _accompanied_parts)."""
    parts = _accompanied_parts(session, site_ids, periods)
    return {site: list(parts[site].persons) for site in site_ids}


def accompanied_total(session: Session, *, site_ids: Sequence[int], periods: Sequence[Period]) -> list[int]:
    """Distinct accompanied persons per period, the sites together (a person active at two sites counts once),
    from the sites' cached parts: every person active at the sites whose file is at one of them and who was
    active there is counted once, by that site (`at_home`); the others were active only at sites other than
    their file's (files moved since). Only those are looked for, and only at the sites that have any.
    Counting distinct persons over every site's rows instead took 700 ms for a year and the year before on
    the large dataset, after any save at any site."""
    if not site_ids:
        return [0] * len(periods)
    parts = _accompanied_parts(session, site_ids, periods)
    totals = [sum(parts[site].at_home[index] for site in site_ids) for index in range(len(periods))]
    with_visitors = [site for site in site_ids if parts[site].visitors]
    if not with_visitors:
        return totals
    span = span_of(periods)
    visiting = _activity_rows(with_visitors, span)
    moved = sorted(
        session.exec(
            select(visiting.c.person_id)
            .join(Person, Person.id == visiting.c.person_id)
            .where(Person.site_id != visiting.c.site_id)
            .distinct()
        ).all()
    )
    rows = _activity_rows(site_ids, span, persons=moved)
    active = _active_per_period(rows, periods)
    at_home = _active_per_period(rows, periods, also=Person.site_id == rows.c.site_id)
    for _person, *flags in session.exec(
        select(rows.c.person_id, *active, *at_home)
        .join(Person, Person.id == rows.c.person_id)
        .group_by(rows.c.person_id)
    ):
        for index in range(len(periods)):
            if flags[index] and not flags[len(periods) + index]:  # active in the period, never at home
                totals[index] += 1
    return totals


def _in_period(rows: sa.Subquery, period: Period, also: sa.ColumnElement[bool] | None) -> sa.ColumnElement[bool]:
    return within(rows.c.day, period) if also is None else sa.and_(within(rows.c.day, period), also)


def _active_per_period(
    rows: sa.Subquery, periods: Sequence[Period], *, also: sa.ColumnElement[bool] | None = None
) -> list[sa.ColumnElement]:
    """Per person (the caller groups by person): 1 when one of its rows is in the period (and meets `also`)."""
    return [sa.func.max(sa.case((_in_period(rows, p, also), 1), else_=0)) for p in periods]


@dataclass(frozen=True)
class SiteCounts:
    """What the site comparison divides, for one site and the period."""

    fte_hundredths: int = 0
    accompanied: int = 0
    appointments: int = 0
    workshop_present: int = 0
    workshop_marks: int = 0
    course_present: int = 0
    course_marks: int = 0
    referrals: int = 0
    rounds: int = 0
    learners: int = 0
    level_gains: int = 0
    persons_with_outcome: int = 0
    workshop_persons: int = 0  # distinct persons with a mark (any) at a workshop session of the period
    course_persons: int = 0  # the same at a French course session

    @property
    def acts(self) -> int:
        return self.appointments + self.workshop_present + self.course_present + self.referrals + self.rounds


def _per_site(session: Session, statement) -> dict[int, tuple]:
    return {int(site): tuple(int(v or 0) for v in values) for site, *values in session.exec(statement).all()}


def site_counts(
    session: Session, *, site_ids: Sequence[int], period: Period, as_of: date, accompanied: Mapping[int, int]
) -> dict[int, SiteCounts]:
    """Per site, the counts of the comparison: one grouped query per family, each cached on its own and per
    site (services.platform.data_version.cached_by_site): a save recomputes the families that read what it
    wrote, for the sites it wrote at. Each family's query filters its `scoped` tables on their own site_id.
    `accompanied`: the persons accompanied per site in the period (accompanied_by_site)."""
    sites = list(site_ids)
    present = AttendanceStatus.PRESENT

    def family(name: str, scoped: tuple[str, ...], statement: Callable[[list[int]], sa.Select]) -> dict[int, tuple]:
        def compute(chosen: list[int]) -> dict[int, tuple | None]:
            rows = _per_site(session, statement(chosen))
            return {site: rows.get(site) for site in chosen}

        parts = data_version.cached_by_site(
            session, f"director_answers.{name}", (period, as_of), sites, compute, scoped=scoped
        )
        return {site: row for site, row in parts.items() if row is not None}

    fte = family(
        "fte",
        ("post",),
        lambda chosen: (
            select(Post.site_id, sa.func.sum(Post.fte_hundredths))
            .where(
                Post.site_id.in_(chosen),
                Post.is_filled.is_(True),
                Post.post_type != PostType.NATIONAL_PROJECT_OFFICER,
                Post.starts_on <= as_of,
                sa.or_(Post.ends_on.is_(None), Post.ends_on >= as_of),
            )
            .group_by(Post.site_id)
        ),
    )
    # From the appointments per site and day the database keeps over the counted ones
    # (models.appointments.AppointmentSiteDay), as the dashboard's months: a few hundred rows, not the
    # period's appointments and their persons' consent.
    kept = AppointmentSiteDay
    appointments = family(
        "appointments",
        ("appointment", CONSENT_HISTORY),
        lambda chosen: (
            select(kept.site_id, sa.func.sum(kept.appointments))
            .where(kept.site_id.in_(chosen), within(kept.day, period))
            .group_by(kept.site_id)
        ),
    )
    workshops = family(
        "workshops",
        ("workshop_session", "workshop_attendance", CONSENT_HISTORY),
        lambda chosen: (
            select(
                WorkshopSession.site_id,
                sa.func.sum(sa.case((WorkshopAttendance.status == present, 1), else_=0)),
                sa.func.count(),
                sa.func.count(sa.distinct(WorkshopAttendance.person_id)),
            )
            .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
            .where(
                WorkshopSession.site_id.in_(chosen),
                WorkshopAttendance.site_id.in_(chosen),
                within(WorkshopSession.session_on, period),
                counted(WorkshopAttendance.person_id, WorkshopSession.session_on),
            )
            .group_by(WorkshopSession.site_id)
        ),
    )
    courses = family(
        "courses",
        ("course_session", "course_attendance", CONSENT_HISTORY),
        lambda chosen: (
            select(
                CourseSession.site_id,
                sa.func.sum(sa.case((CourseAttendance.status == present, 1), else_=0)),
                sa.func.count(),
                sa.func.count(sa.distinct(sa.case((CourseAttendance.status == present, CourseAttendance.person_id)))),
                sa.func.count(sa.distinct(CourseAttendance.person_id)),
            )
            .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
            .where(
                CourseSession.site_id.in_(chosen),
                CourseAttendance.site_id.in_(chosen),
                within(CourseSession.session_on, period),
                counted(CourseAttendance.person_id, CourseSession.session_on),
            )
            .group_by(CourseSession.site_id)
        ),
    )
    referrals = family(
        "referrals",
        ("referral", CONSENT_HISTORY),
        lambda chosen: (
            select(Referral.site_id, sa.func.count())
            .where(
                Referral.site_id.in_(chosen),
                within(Referral.referred_on, period),
                counted(Referral.person_id, Referral.referred_on),
            )
            .group_by(Referral.site_id)
        ),
    )
    rounds = family(
        "rounds",
        ("outreach_round",),
        lambda chosen: (
            select(OutreachRound.site_id, sa.func.count())
            .where(OutreachRound.site_id.in_(chosen), within(OutreachRound.round_on, period))
            .group_by(OutreachRound.site_id)
        ),
    )
    outcomes = family(
        "outcomes",
        ("outcome", CONSENT_HISTORY),
        lambda chosen: (
            select(Outcome.site_id, sa.func.count(sa.distinct(Outcome.person_id)))
            .where(
                Outcome.site_id.in_(chosen),
                within(Outcome.outcome_on, period),
                Outcome.category.not_in(NOT_RESULTS),
                counted(Outcome.person_id, Outcome.outcome_on),
            )
            .group_by(Outcome.site_id)
        ),
    )
    gains = data_version.cached_aggregate(  # as a whole: a gain is measured from an assessment at any site
        session, "director_answers.level_gains", (tuple(sites), period), lambda: _level_gains(session, sites, period)
    )
    result = {}
    for site in sites:
        workshop = workshops.get(site, (0, 0, 0))
        course = courses.get(site, (0, 0, 0, 0))
        result[site] = SiteCounts(
            fte_hundredths=fte.get(site, (0,))[0],
            accompanied=accompanied[site],
            appointments=appointments.get(site, (0,))[0],
            workshop_present=workshop[0],
            workshop_marks=workshop[1],
            course_present=course[0],
            course_marks=course[1],
            referrals=referrals.get(site, (0,))[0],
            rounds=rounds.get(site, (0,))[0],
            learners=course[2],
            level_gains=gains.get(site, 0),
            persons_with_outcome=outcomes.get(site, (0,))[0],
            workshop_persons=workshop[2],
            course_persons=course[3],
        )
    return result


def _level_gains(session: Session, sites: list[int], period: Period) -> dict[int, int]:
    """Per site: assessments of the period ranked above the same person's previous one in the same skill
    (made at whatever site: services.reporting._indicators.ranked_assessments)."""
    ranked = ranked_assessments(sites, period)
    rows = session.exec(
        select(ranked.c.site_id, sa.func.count())
        .where(
            ranked.c.site_id.in_(sites),
            ranked.c.rnk > ranked.c.previous,
            within(ranked.c.day, period),
            counted(ranked.c.person_id, ranked.c.day),
        )
        .group_by(ranked.c.site_id)
    ).all()
    return {int(site): int(n) for site, n in rows}


@dataclass(frozen=True)
class GrantRow:
    grant_id: int
    name: str
    funder: str
    starts_on: date
    ends_on: date
    planned_cents: int
    spent_cents: int


def grants_running(
    session: Session, principal: Principal, *, site_ids: Sequence[int], as_of: date, national: bool = False
) -> list[GrantRow]:
    """Grants whose convention runs on `as_of`, with the planned amount of the sites' lines the principal may
    see (and of the national lines when `national`: an association-wide reader looking at every site) and the
    expenses booked on them up to `as_of`; the convention ending first comes first."""
    lines = sa.and_(visible_lines(principal), national_or_sites(site_ids, national=national))
    totals = budget_consumption.grant_totals(lines, as_of)
    rows = session.exec(
        select(
            Grant.id,
            Grant.name,
            Funder.name,
            Grant.starts_on,
            Grant.ends_on,
            totals.c.planned,
            totals.c.spent,
        )
        .join(Funder, Funder.id == Grant.funder_id)
        .join(totals, totals.c.grant_id == Grant.id)
        .where(Grant.starts_on <= as_of, Grant.ends_on >= as_of)
        .order_by(Grant.ends_on, Grant.name)
    ).all()
    return [
        GrantRow(int(gid), name, funder, starts, ends, int(p or 0), int(s or 0))
        for gid, name, funder, starts, ends, p, s in rows
    ]
