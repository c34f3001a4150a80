"""Sessions (séances) of a French-course group: planning them and listing them with their present count.

Who may call: reading, any role that sees the group (`visible_groups`); creating, whoever teaches it
(formateur of the group, chef_service of the site). The roll call itself is `services.activities.attendance`
(kind COURSE). Queries use ix_course_session_group_id and the (session_id, person_id) unique index of
course_attendance: one query for the sessions, one for their counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import N_, message
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseSession
from services.activities.courses.groups import require_teacher, visible_group
from services.platform import audit
from services.platform.errors import ValidationFailed
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


def _outside_period(starts_on: date, ends_on: date | None) -> str:
    start = starts_on.strftime("%d/%m/%Y")
    if ends_on is None:
        return message(MESSAGES, "outside_open", start=start)
    return message(MESSAGES, "outside", start=start, end=ends_on.strftime("%d/%m/%Y"))


def create_session(
    session: Session,
    principal: Principal,
    *,
    group_id: int,
    session_on: date | None,
    start_time: time | None,
    duration_minutes: int | None,
) -> int:
    """Plan a session of a group the principal teaches; it must fall within the group's period."""
    require_teacher(principal)
    group = visible_group(session, principal, group_id)
    errors: dict[str, str] = {}
    if session_on is None:
        errors["session_on"] = message(MESSAGES, "session_on")
    elif session_on < group.starts_on or (group.ends_on is not None and session_on > group.ends_on):
        errors["session_on"] = _outside_period(group.starts_on, group.ends_on)
    if duration_minutes is None or not DURATION_MIN <= int(duration_minutes) <= DURATION_MAX:
        errors["duration_minutes"] = message(MESSAGES, "duration", min=DURATION_MIN, max=DURATION_MAX // 60)
    if not errors:
        same_time = CourseSession.start_time.is_(None) if start_time is None else CourseSession.start_time == start_time
        clash = session.exec(
            select(CourseSession.id).where(
                CourseSession.group_id == group.id, CourseSession.session_on == session_on, same_time
            )
        ).first()
        if clash is not None:
            errors["session_on"] = message(MESSAGES, "duplicate")
    if errors:
        raise ValidationFailed(errors)
    course = CourseSession(
        group_id=group.id,
        site_id=group.site_id,
        session_on=session_on,
        start_time=start_time,
        duration_minutes=int(duration_minutes),
    )
    session.add(course)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action="course_session.create",
        entity_type="course_session",
        entity_id=course.id,
        site_id=group.site_id,
    )
    session.commit()
    return course.id


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
