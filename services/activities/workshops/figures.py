"""Workshop figures: attendance rate per module and site, and the persons to call back.

- Attendance rate (counts only): any role with VIEW_FIELD_FIGURES on its sites (direction: all).
- Persons to call (codes, first names for VIEW_IDENTITY): the workshop team of the site only.
Both are computed in SQL: GROUP BY for the rates, a window over each person's roll calls for the
persons to call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import _
from models.attendance import AttendanceStatus
from models.organisation import Site
from models.persons import Person, PersonStatus
from models.workshops import WorkshopAttendance, WorkshopEnrolment, WorkshopModule, WorkshopSession, WorkshopTheme
from services.activities.workshops.modules import require_figures, require_workshop_team
from services.persons.consent import counted
from services.persons.safety import flag_expression
from services.platform.crypto import FieldCipher
from services.platform.inputs import PeriodInput
from services.platform.principal import Capability, Principal

PRESENT, EXCUSED, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT


@dataclass(frozen=True)
class ModuleRate:
    site_id: int
    site_code: str
    module_id: int
    module_name: str
    theme: WorkshopTheme
    sessions: int  # sessions of the period whose roll was taken
    present: int
    excused: int
    absent: int

    @property
    def recorded(self) -> int:
        return self.present + self.excused + self.absent

    @property
    def rate(self) -> float | None:
        """present / (present + excused + absent); None when no roll was taken."""
        return self.present / self.recorded if self.recorded else None


def _count(status: AttendanceStatus) -> sa.ColumnElement:
    return sa.func.sum(sa.case((WorkshopAttendance.status == status, 1), else_=0))


def _rolls_per_module(conditions: list) -> sa.Subquery:
    """Per site and module: sessions with a roll, and their present / excused / absent marks; aggregated per
    session first (sessions of the period, index on site and date), then per site and module."""
    per_session = (
        select(
            WorkshopSession.site_id.label("site_id"),
            WorkshopSession.module_id.label("module_id"),
            _count(PRESENT).label("present"),
            _count(EXCUSED).label("excused"),
            _count(ABSENT).label("absent"),
        )
        .select_from(WorkshopAttendance)
        .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
        .where(*conditions)
        .group_by(WorkshopAttendance.session_id, WorkshopSession.site_id, WorkshopSession.module_id)
        .subquery()
    )
    return (
        select(
            per_session.c.site_id,
            per_session.c.module_id,
            sa.func.count().label("sessions"),
            sa.func.sum(per_session.c.present).label("present"),
            sa.func.sum(per_session.c.excused).label("excused"),
            sa.func.sum(per_session.c.absent).label("absent"),
        )
        .group_by(per_session.c.site_id, per_session.c.module_id)
        .subquery()
    )


def attendance_rates(
    session: Session, principal: Principal, *, start: date, end: date, site_id: int | None = None
) -> list[ModuleRate]:
    """Per site and module, the roll calls of sessions held from `start` to `end` (inclusive).

    One statement, aggregated in two steps so no sort over the attendance rows is needed (see
    `_rolls_per_module`); names are joined on the few grouped rows."""
    require_figures(principal)
    period = PeriodInput.validated({"start": start, "end": end})
    conditions = [
        principal.site_filter(WorkshopSession.site_id),
        WorkshopSession.session_on >= period.start,
        WorkshopSession.session_on <= period.end,
        counted(WorkshopAttendance.person_id, WorkshopSession.session_on),
    ]
    if site_id is not None:
        conditions.append(WorkshopSession.site_id == site_id)
    per_module = _rolls_per_module(conditions)
    rows = session.exec(
        select(
            per_module.c.site_id,
            Site.code,
            per_module.c.module_id,
            WorkshopModule.name,
            WorkshopModule.theme,
            per_module.c.sessions,
            per_module.c.present,
            per_module.c.excused,
            per_module.c.absent,
        )
        .join(Site, Site.id == per_module.c.site_id)
        .join(WorkshopModule, WorkshopModule.id == per_module.c.module_id)
        .order_by(Site.code, WorkshopModule.sort_order, WorkshopModule.name)
    ).all()
    return [
        ModuleRate(site, code, module, name, WorkshopTheme(theme), int(sessions), int(p or 0), int(e or 0), int(a or 0))
        for site, code, module, name, theme, sessions, p, e, a in rows
    ]


def site_totals(rates: list[ModuleRate]) -> list[ModuleRate]:
    """The per-site sums of `attendance_rates` (module fields left empty), in the same site order."""
    totals: dict[int, ModuleRate] = {}
    for r in rates:
        t = totals.get(r.site_id)
        totals[r.site_id] = ModuleRate(
            r.site_id,
            r.site_code,
            0,
            _("Tous les modules"),
            WorkshopTheme.OTHER,
            r.sessions + (t.sessions if t else 0),
            r.present + (t.present if t else 0),
            r.excused + (t.excused if t else 0),
            r.absent + (t.absent if t else 0),
        )
    return list(totals.values())


@dataclass(frozen=True)
class PersonToCall:
    person_id: int
    code: str
    first_name: str | None  # only with VIEW_IDENTITY
    site_code: str
    last_on: date
    last_status: AttendanceStatus
    previous_on: date
    previous_status: AttendanceStatus
    safety_flag: bool = False  # the file's team only (services.persons.safety), never in an export


def _rolls_in_order(conditions: list) -> sa.Subquery:
    """Each roll-call mark of the sessions of `conditions`, with the mark before it (LAG) and whether a later
    one follows (LEAD), per person.

    One window definition for the three functions, so the database sorts the rolls once. (No bound
    parameter in the ordering: each OVER must read the same to share one sort. An unknown start time
    counts as the start of the day, on both databases.)"""
    person = WorkshopAttendance.person_id
    chronological = (
        WorkshopSession.session_on,
        WorkshopSession.start_time.is_not(None),
        WorkshopSession.start_time,
        WorkshopSession.id,
    )
    status_type = WorkshopAttendance.__table__.c.status.type

    def over(function: sa.FunctionElement) -> sa.Over:
        return function.over(partition_by=person, order_by=chronological)

    return (
        select(
            person.label("person_id"),
            WorkshopSession.session_on.label("session_on"),
            WorkshopAttendance.status.label("status"),
            over(sa.func.lag(WorkshopAttendance.status, type_=status_type)).label("previous_status"),
            over(sa.func.lag(WorkshopSession.session_on, type_=sa.Date())).label("previous_on"),
            over(sa.func.lead(WorkshopSession.id, type_=sa.Integer())).label("next_session"),
        )
        .join(WorkshopSession, WorkshopSession.id == WorkshopAttendance.session_id)
        .where(*conditions)
        .subquery()
    )


def _two_missed_in_a_cycle(ordered: sa.Subquery, today: date) -> list:
    """The conditions on `_rolls_in_order`: the person's latest mark and the one before are both absences,
    and the person is being accompanied and in an open cycle."""
    in_cycle = sa.exists().where(
        WorkshopEnrolment.person_id == ordered.c.person_id,
        WorkshopEnrolment.cycle_start_on <= today,
        sa.or_(WorkshopEnrolment.left_on.is_(None), WorkshopEnrolment.left_on >= today),
    )
    return [
        ordered.c.next_session.is_(None),
        ordered.c.status != PRESENT,
        ordered.c.previous_status.is_not(None),
        ordered.c.previous_status != PRESENT,
        Person.status == PersonStatus.ACTIVE,
        in_cycle,
    ]


def persons_to_call(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None = None,
    cipher: FieldCipher | None = None,
    today: date | None = None,
    limit: int = 200,
) -> list[PersonToCall]:
    """Persons whose last two workshop sessions (held up to today) are both recorded as missed —
    absent or excused, either way — and who are still in an open cycle with a file being accompanied.
    Latest missed session first. One statement: LAG / LEAD over each person's roll calls."""
    require_workshop_team(principal)
    today = today or clock.today()
    conditions = [principal.site_filter(WorkshopSession.site_id), WorkshopSession.session_on <= today]
    if site_id is not None:
        conditions.append(WorkshopSession.site_id == site_id)
    ordered = _rolls_in_order(conditions)
    see_names = principal.can(Capability.VIEW_IDENTITY) and cipher is not None
    rows = session.exec(
        select(
            ordered.c.person_id,
            Person.code,
            Person.alias_encrypted if see_names else sa.null(),
            Site.code,
            ordered.c.session_on,
            ordered.c.status,
            ordered.c.previous_on,
            ordered.c.previous_status,
            flag_expression(principal),
        )
        .join(Person, Person.id == ordered.c.person_id)
        .join(Site, Site.id == Person.site_id)
        # a file moved to another site is no longer its old site's to call (services.persons.transfer)
        .where(*_two_missed_in_a_cycle(ordered, today), principal.site_filter(Person.site_id))
        .order_by(ordered.c.session_on.desc(), Person.code)
        .limit(limit)
    ).all()
    return [
        PersonToCall(
            pid,
            code,
            cipher.decrypt(alias) if see_names else None,
            site_code,
            last_on,
            AttendanceStatus(last),
            previous_on,
            AttendanceStatus(previous),
            bool(flagged),
        )
        for pid, code, alias, site_code, last_on, last, previous_on, previous, flagged in rows
    ]
