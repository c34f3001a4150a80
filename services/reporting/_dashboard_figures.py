"""The dashboard's figures beyond the indicators: monthly series, the pathway funnel of a cohort and
budget consumption per grant, each one grouped SQL query for the given sites.

Internal building blocks without a principal check of their own (services.reporting.dashboard checks the
capability and resolves the sites first), except `grant_progress`, which also applies the
principal's budget scope (services.finance.access).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clock import month_start
from i18n import N_, _
from models.appointments import AppointmentSiteDay
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseSession
from models.finance import Grant
from models.partners import Outcome, OutcomeCategory
from models.persons import IntakeOrigin, Person
from models.workshops import WorkshopAttendance, WorkshopSession
from services.finance import consumption as budget_consumption
from services.finance.access import national_or_sites, visible_lines
from services.home import GrantConsumption
from services.persons.consent import counted
from services.platform.principal import Principal
from services.reporting._indicators import HOURS_QUANTUM, SPECS, Sums, gather, within

SERIES_MONTHS = 12
SERIES_KEYS: tuple[str, ...] = (
    "new_intakes",
    "persons_met_street",
    "persons_met_online",
    "course_hours",
    *(f"outcomes_{c.value}" for c in OutcomeCategory),
)


@dataclass(frozen=True)
class MonthlyValue:
    month: date  # first day of the month
    key: str  # series key: an indicator key ("new_intakes", "persons_met_street", "course_hours", "outcomes_…")
    label: str  # in the active language
    value: int | Decimal


def series_window(end: date) -> tuple[date, date]:
    """The 12 months ending with the month of `end`: from the first day of the first month to `end`."""
    return month_start(month_start(end), -(SERIES_MONTHS - 1)), end


def monthly_series(
    session: Session, *, site_ids: Sequence[int], end: date, sums: Sums | None = None
) -> list[MonthlyValue]:
    """Per month of `series_window(end)`: new intakes, persons met by mode, French learner-hours (from
    the indicator queries, `sums`, gathered with that series window) and persons with an outcome per
    category (one grouped query; same definitions as services.reporting._indicators). Months without any row are
    zero, so each series has 12 points."""
    sites = sorted({int(s) for s in site_ids})
    window = series_window(end)
    if sums is None or sums.series != window:
        sums = gather(session, site_ids=sites, periods=[window], series=window)
    found: dict[tuple[str, date], int | Decimal] = {}
    for month, raw in sums.months.items():
        for key in ("new_intakes", "persons_met_street", "persons_met_online"):
            found[(key, month)] = int(raw[key])
        found[("course_hours", month)] = (Decimal(raw["course_minutes"]) / 60).quantize(HOURS_QUANTUM)

    y, m = sa.extract("year", Outcome.outcome_on), sa.extract("month", Outcome.outcome_on)
    for yy, mm, category, persons in session.exec(
        select(y, m, Outcome.category, sa.func.count(sa.distinct(Outcome.person_id)))
        .where(
            Outcome.site_id.in_(sites),
            within(Outcome.outcome_on, window),
            counted(Outcome.person_id, Outcome.outcome_on),
        )
        .group_by(y, m, Outcome.category)
    ).all():
        found[(f"outcomes_{OutcomeCategory(category).value}", date(int(yy), int(mm), 1))] = int(persons)

    months = [month_start(window[0], i) for i in range(SERIES_MONTHS)]
    zero = {"course_hours": Decimal(0).quantize(HOURS_QUANTUM)}
    return [
        MonthlyValue(month, key, SPECS[key].label, found.get((key, month), zero.get(key, 0)))
        for key in SERIES_KEYS
        for month in months
    ]


@dataclass(frozen=True)
class AppointmentMonth:
    """Appointments of one site in one month: all of them, the accompaniments among them, their duration
    and those with an interpreter."""

    site_id: int
    month: date  # first day of the month
    appointments: int
    accompaniments: int
    minutes: int
    with_interpreter: int

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(HOURS_QUANTUM)

    @property
    def interpreter_share(self) -> Decimal | None:
        """Share of the appointments with an interpreter (None without any appointment)."""
        if not self.appointments:
            return None
        return Decimal(self.with_interpreter) / Decimal(self.appointments)


def appointment_months(session: Session, *, site_ids: Sequence[int], end: date) -> list[AppointmentMonth]:
    """Per site and month of `series_window(end)`: appointments, accompaniments (a kind of
    models.appointments.ACCOMPANIMENT_KINDS), minutes and appointments with an interpreter (an interpreter
    language recorded), of the persons counted in statistics on the appointment's day
    (services.persons.consent). Only the site-months with at least one appointment, by site then month."""
    sites = sorted({int(s) for s in site_ids})
    if not sites:
        return []
    window = series_window(end)
    # From the appointments per site and day the database keeps (models.appointments.AppointmentSiteDay),
    # added up into months here (large dataset, every site: 33–47 -> 16–21 ms on SQLite, 44–47 -> 17–20 ms on
    # PostgreSQL).
    kept = AppointmentSiteDay
    rows = session.exec(
        select(
            kept.site_id, kept.day, kept.appointments, kept.accompaniments, kept.minutes, kept.with_interpreter
        ).where(kept.site_id.in_(sites), within(kept.day, window), kept.appointments > 0)
    ).all()
    summed: dict[tuple[int, date], list[int]] = {}
    for site, day, *values in rows:
        totals = summed.setdefault((int(site), day.replace(day=1)), [0, 0, 0, 0])
        for index, value in enumerate(values):
            totals[index] += int(value)
    months = [AppointmentMonth(site, month, *totals) for (site, month), totals in summed.items()]
    return sorted(months, key=lambda row: (row.site_id, row.month))


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str  # in the active language
    persons: int
    share: Decimal | None  # of the cohort (None when the cohort is empty)


FUNNEL_LABELS = {  # French message ids, translated when the funnel is built
    "cohort": N_("Accueillies sur la période"),
    "from_outreach": N_("Venues de l'aller-vers"),
    "attended_activity": N_("Au moins un atelier ou un cours de français"),
    "has_outcome": N_("Avec une sortie enregistrée"),
}


def cohort_funnel(session: Session, *, site_ids: Sequence[int], start: date, end: date) -> list[FunnelStep]:
    """The pathway of the persons whose intake date is in [start, end] (the cohort), on the sites:
    - from_outreach: of the cohort, files whose intake origin is outreach (met on a round);
    - attended_activity: of the cohort, persons marked present at ≥ 1 workshop or French-course session
      (any date, up to the day the dashboard is read);
    - has_outcome: of the cohort, persons with ≥ 1 outcome (sortie) recorded, any category, any date.
    Each step is a share of the cohort; the steps are not nested (a person may have an outcome without
    having attended a workshop). One query (EXISTS through the person indexes)."""
    sites = sorted({int(s) for s in site_ids})
    # Each step counts the facts as the person's consent stood on their day (services.persons.consent).
    workshop = sa.exists().where(
        WorkshopAttendance.person_id == Person.id,
        WorkshopAttendance.status == AttendanceStatus.PRESENT,
        WorkshopSession.id == WorkshopAttendance.session_id,
        counted(Person.id, WorkshopSession.session_on),
    )
    course = sa.exists().where(
        CourseAttendance.person_id == Person.id,
        CourseAttendance.status == AttendanceStatus.PRESENT,
        CourseSession.id == CourseAttendance.session_id,
        counted(Person.id, CourseSession.session_on),
    )
    outcome = sa.exists().where(Outcome.person_id == Person.id, counted(Person.id, Outcome.outcome_on))

    def count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    cohort, outreach, active, exits = session.exec(
        select(
            sa.func.count(),
            count_if(Person.origin == IntakeOrigin.OUTREACH),
            count_if(sa.or_(workshop, course)),
            count_if(outcome),
        ).where(
            Person.site_id.in_(sites),
            Person.intake_on >= start,
            Person.intake_on <= end,
            counted(Person.id, Person.intake_on),
        )
    ).one()
    values = {
        "cohort": int(cohort),
        "from_outreach": int(outreach),
        "attended_activity": int(active),
        "has_outcome": int(exits),
    }
    return [
        FunnelStep(
            key,
            _(text),
            values[key],
            Decimal(values[key]) / Decimal(values["cohort"]) if values["cohort"] else None,
        )
        for key, text in FUNNEL_LABELS.items()
    ]


def grant_progress(
    session: Session,
    principal: Principal,
    *,
    site_ids: Sequence[int],
    start: date,
    end: date,
    as_of: date,
    national: bool = False,
) -> list[GrantConsumption]:
    """Per grant running during [start, end]: planned and spent up to `as_of` on the budget lines of the
    given sites that the principal may see (grant_access), the national lines too when `national` (an
    association-wide reader looking at every site: dashboard._whole_association), and the share of the grant
    period elapsed on `as_of` (budget_consumption.elapsed_share). Sorted by end date. One query."""
    lines = sa.and_(visible_lines(principal), national_or_sites(site_ids, national=national))
    totals = budget_consumption.grant_totals(lines, as_of)
    rows = session.exec(
        select(Grant.name, Grant.starts_on, Grant.ends_on, totals.c.planned, totals.c.spent)
        .join(totals, totals.c.grant_id == Grant.id)
        .where(Grant.starts_on <= end, Grant.ends_on >= start)
        .order_by(Grant.ends_on, Grant.name)
    ).all()
    return [
        GrantConsumption(
            name,
            int(planned_cents or 0),
            int(spent_cents or 0),
            float(budget_consumption.elapsed_share(starts, ends, as_of)),
        )
        for name, starts, ends, planned_cents, spent_cents in rows
    ]
