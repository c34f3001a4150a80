"""Sessions (séances) of a French-course group: planning them and listing them with their present count.

Who may call: reading, any role that sees the group (`visible_groups`); creating, whoever teaches it
(formateur of the group, chef_service of the site). The roll call itself is `services.activities.attendance`
(kind COURSE). Queries use ix_course_session_group_id and the (session_id, person_id) unique index of
course_attendance: one query for the sessions, one for their counts. The planning form sends a
`CourseSessionInput` (services.platform.inputs), checked against the group's period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Session, select

import clock
from i18n import N_, message
from models.attendance import AttendanceStatus
from models.audit import AuditAction
from models.courses import CourseAttendance, CourseSession
from services.activities.courses.groups import require_teacher, visible_group
from services.platform import audit
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, context, field_error, messages, required_day
from services.platform.principal import Principal

DURATION_MIN = 15
DURATION_MAX = 8 * 60
DEFAULT_DURATION = 150
LIST_LIMIT = 30

MESSAGES = {
    "session_on": N_("La date de la séance est obligatoire."),
    "outside": N_("La séance doit avoir lieu pendant la période du groupe (du {start} au {end})."),
    "outside_open": N_("La séance doit avoir lieu pendant la période du groupe (à partir du {start})."),
    "duration": N_("La durée doit être comprise entre {min} minutes et {max} heures."),
    "duplicate": N_("Ce groupe a déjà une séance ce jour-là à cette heure."),
}
SessionDay = required_day(MESSAGES["session_on"])


@dataclass(frozen=True)
class SessionRow:
    id: int
    session_on: date
    start_time: time | None
    duration_minutes: int
    present: int  # learners marked present
    marked: int  # learners with any mark: 0 = the roll has not been taken


@dataclass(frozen=True)
class GroupSessions:
    upcoming: list[SessionRow]  # today and later, soonest first
    past: list[SessionRow]  # before today, latest first
    past_total: int


class CourseSessionInput(FormInput):
    """What the session form sends; context: `group_starts_on` and `group_ends_on`, the group's period."""

    session_on: SessionDay
    start_time: time | None = None
    duration_minutes: int = Field(
        ge=DURATION_MIN,
        le=DURATION_MAX,
        json_schema_extra=messages(MESSAGES["duration"], min=DURATION_MIN, max=DURATION_MAX // 60),
    )

    @field_validator("session_on")
    @classmethod
    def _within_the_group_period(cls, value: date, info: ValidationInfo) -> date:
        starts_on, ends_on = context(info, "group_starts_on"), context(info, "group_ends_on")
        if starts_on is not None and value < starts_on:
            raise _outside_period(starts_on, ends_on)
        if ends_on is not None and value > ends_on:
            raise _outside_period(starts_on, ends_on)
        return value


def _outside_period(starts_on: date, ends_on: date | None) -> PydanticCustomError:
    start = starts_on.strftime("%d/%m/%Y")
    if ends_on is None:
        return field_error(MESSAGES["outside_open"], start=start)
    return field_error(MESSAGES["outside"], start=start, end=ends_on.strftime("%d/%m/%Y"))


def _same_time_taken(session: Session, group_id: int, course: CourseSessionInput) -> bool:
    """The group already has a session that day at that time (or, without a time, one without a time)."""
    start_time = course.start_time
    same_time = CourseSession.start_time.is_(None) if start_time is None else CourseSession.start_time == start_time
    clash = session.exec(
        select(CourseSession.id).where(
            CourseSession.group_id == group_id, CourseSession.session_on == course.session_on, same_time
        )
    ).first()
    return clash is not None


def create_session(
    session: Session,
    principal: Principal,
    *,
    group_id: int,
    data: CourseSessionInput | Mapping[str, object],
) -> int:
    """Plan a session of a group the principal teaches; it must fall within the group's period."""
    require_teacher(principal)
    group = visible_group(session, principal, group_id)
    course = CourseSessionInput.validated(data, group_starts_on=group.starts_on, group_ends_on=group.ends_on)
    if _same_time_taken(session, group.id, course):
        raise ValidationFailed({"session_on": message(MESSAGES, "duplicate")})
    row = CourseSession(
        group_id=group.id,
        site_id=group.site_id,
        session_on=course.session_on,
        start_time=course.start_time,
        duration_minutes=course.duration_minutes,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.COURSE_SESSION_CREATE,
        entity_type="course_session",
        entity_id=row.id,
        site_id=group.site_id,
    )
    session.commit()
    return row.id


def list_sessions(
    session: Session, principal: Principal, group_id: int, *, today: date | None = None, limit: int = LIST_LIMIT
) -> GroupSessions:
    """The next and the last `limit` sessions of a visible group, with present / marked counts."""
    group = visible_group(session, principal, group_id)
    today = today or clock.today()
    base = select(CourseSession).where(CourseSession.group_id == group.id)
    upcoming = session.exec(
        base.where(CourseSession.session_on >= today)
        .order_by(CourseSession.session_on, CourseSession.start_time, CourseSession.id)
        .limit(limit)
    ).all()
    past = session.exec(
        base.where(CourseSession.session_on < today)
        .order_by(CourseSession.session_on.desc(), CourseSession.start_time.desc(), CourseSession.id.desc())
        .limit(limit)
    ).all()
    past_total = session.exec(
        select(sa.func.count())
        .select_from(CourseSession)
        .where(CourseSession.group_id == group.id, CourseSession.session_on < today)
    ).one()
    ids = [row.id for row in [*upcoming, *past]]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        present = sa.func.sum(sa.case((CourseAttendance.status == AttendanceStatus.PRESENT, 1), else_=0))
        for row in session.exec(
            select(CourseAttendance.session_id, present, sa.func.count())
            .where(CourseAttendance.session_id.in_(ids))
            .group_by(CourseAttendance.session_id)
        ).all():
            counts[row[0]] = (int(row[1] or 0), int(row[2]))

    def as_row(course: CourseSession) -> SessionRow:
        present_count, marked = counts.get(course.id, (0, 0))
        return SessionRow(
            course.id, course.session_on, course.start_time, course.duration_minutes, present_count, marked
        )

    return GroupSessions([as_row(c) for c in upcoming], [as_row(c) for c in past], int(past_total))
