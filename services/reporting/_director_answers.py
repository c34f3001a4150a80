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

from models.appointments import Appointment
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseSession
from models.finance import BudgetLine, Expense, Funder, Grant
from models.outreach import OutreachRound
from models.partners import Outcome, OutcomeCategory, Referral
from models.persons import Person
from models.staffing import Post, PostType
from models.workshops import WorkshopAttendance, WorkshopSession
from services.finance.access import national_or_sites, visible_lines
from services.persons.consent import counted
from services.platform import data_version
from services.platform.principal import Principal
from services.reporting._indicators import ranked_assessments, span_of, within

Period = tuple[date, date]
# Outcomes that say nothing of the accompaniment's result.
NOT_RESULTS = (OutcomeCategory.LOST_CONTACT, OutcomeCategory.OTHER)


# The tables _activity_rows filters on their own site_id (data_version.cached_by_site's `scoped`).
ACTIVITY_TABLES = (
    "appointment",
    "workshop_session",
    "workshop_attendance",
    "course_session",
    "course_attendance",
    "referral",
    "person",
)


def _activity_rows(site_ids: Sequence[int], span: Period) -> sa.Subquery:
    """(site_id, person_id, day) of every fact that makes a person accompanied, in `span`."""
    sites = list(site_ids)
    appointments = select(
        Appointment.site_id.label("site_id"),
        Appointment.person_id.label("person_id"),
        Appointment.appointment_on.label("day"),
    ).where(
        Appointment.site_id.in_(sites),
        within(Appointment.appointment_on, span),
        counted(Appointment.person_id, Appointment.appointment_on),
    )
    workshops = (
        select(WorkshopSession.site_id, WorkshopAttendance.person_id, WorkshopSession.session_on)
        .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
        .where(
            WorkshopSession.site_id.in_(sites),
            WorkshopAttendance.site_id.in_(sites),
            within(WorkshopSession.session_on, span),
            WorkshopAttendance.status == AttendanceStatus.PRESENT,
            counted(WorkshopAttendance.person_id, WorkshopSession.session_on),
        )
    )
    courses = (
        select(CourseSession.site_id, CourseAttendance.person_id, CourseSession.session_on)
        .join(CourseSession, CourseSession.id == CourseAttendance.session_id)
        .where(
            CourseSession.site_id.in_(sites),
            CourseAttendance.site_id.in_(sites),
            within(CourseSession.session_on, span),
            CourseAttendance.status == AttendanceStatus.PRESENT,
            counted(CourseAttendance.person_id, CourseSession.session_on),
        )
    )
    referrals = select(Referral.site_id, Referral.person_id, Referral.referred_on).where(
        Referral.site_id.in_(sites),
        within(Referral.referred_on, span),
        counted(Referral.person_id, Referral.referred_on),
    )
    intakes = select(Person.site_id, Person.id, Person.intake_on).where(
        Person.site_id.in_(sites),
        within(Person.intake_on, span),
        counted(Person.id, Person.intake_on),
    )
    return sa.union_all(appointments, workshops, courses, referrals, intakes).subquery("activity")


def accompanied_by_site(
    session: Session, *, site_ids: Sequence[int], periods: Sequence[Period]
) -> dict[int, list[int]]:
    """Distinct accompanied persons per site and period, cached per site (data_version.cached_by_site: a save
    at Lyon counts Lyon's again only; the result is shared: read it, never change it)."""

    def compute(chosen: list[int]) -> dict[int, list[int]]:
        rows = _activity_rows(chosen, span_of(periods))
        found = {
            int(site): [int(v or 0) for v in values]
            for site, *values in session.exec(
                select(rows.c.site_id, *_distinct_per_period(rows, periods)).group_by(rows.c.site_id)
            )
        }
        return {site: found.get(site, [0] * len(periods)) for site in chosen}

    return data_version.cached_by_site(
        session, "director_answers.accompanied", tuple(periods), list(site_ids), compute, scoped=ACTIVITY_TABLES
    )


def accompanied_total(session: Session, *, site_ids: Sequence[int], periods: Sequence[Period]) -> list[int]:
    """Distinct accompanied persons per period, the sites together (a person active at two sites counts
    once): computed from every site's rows, cached as a whole."""

    def compute() -> list[int]:
        if not site_ids:
            return [0] * len(periods)
        rows = _activity_rows(list(site_ids), span_of(periods))
        # a constant first column: one row of values, never a bare scalar
        _constant, *totals = session.exec(select(sa.literal(1), *_distinct_per_period(rows, periods))).one()
        return [int(v or 0) for v in totals]

    return data_version.cached_aggregate(
        session, "director_answers.accompanied_total", (tuple(site_ids), tuple(periods)), compute
    )


def _distinct_per_period(rows: sa.Subquery, periods: Sequence[Period]) -> list[sa.ColumnElement]:
    return [sa.func.count(sa.distinct(sa.case((within(rows.c.day, p), rows.c.person_id)))) for p in periods]


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
    appointments = family(
        "appointments",
        ("appointment",),
        lambda chosen: (
            select(Appointment.site_id, sa.func.count())
            .where(
                Appointment.site_id.in_(chosen),
                within(Appointment.appointment_on, period),
                counted(Appointment.person_id, Appointment.appointment_on),
            )
            .group_by(Appointment.site_id)
        ),
    )
    workshops = family(
        "workshops",
        ("workshop_session", "workshop_attendance"),
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
        ("course_session", "course_attendance"),
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
        ("referral",),
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
        ("outcome",),
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
    planned = (
        select(BudgetLine.grant_id, sa.func.sum(BudgetLine.planned_cents).label("planned"))
        .where(lines)
        .group_by(BudgetLine.grant_id)
        .subquery()
    )
    spent = (
        select(Expense.grant_id, sa.func.sum(Expense.amount_cents).label("spent"))
        .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
        .where(lines, Expense.spent_on <= as_of)
        .group_by(Expense.grant_id)
        .subquery()
    )
    rows = session.exec(
        select(
            Grant.id,
            Grant.name,
            Funder.name,
            Grant.starts_on,
            Grant.ends_on,
            planned.c.planned,
            sa.func.coalesce(spent.c.spent, 0),
        )
        .join(Funder, Funder.id == Grant.funder_id)
        .join(planned, planned.c.grant_id == Grant.id)
        .outerjoin(spent, spent.c.grant_id == Grant.id)
        .where(Grant.starts_on <= as_of, Grant.ends_on >= as_of)
        .order_by(Grant.ends_on, Grant.name)
    ).all()
    return [
        GrantRow(int(gid), name, funder, starts, ends, int(p or 0), int(s or 0))
        for gid, name, funder, starts, ends, p, s in rows
    ]
