"""The roll call of a session, shared by workshops and French courses.

Expected attendees: for a workshop, the persons whose workshop cycle on the session's site is open on
the session day; for a course, the learners enrolled in the session's group that day; in both cases,
plus anyone already marked. Who may call:
- workshop rolls: RUN_FIELD_ACTIVITIES and VIEW_PERSON_FILES (intervenant, chef_service), sessions of
  their sites;
- course rolls: TEACH_COURSES and a group visible through `services.activities.courses.access.visible_groups`
  (formateur: the groups it teaches; chef_service: the groups of its sites).
Anyone else is refused (capability) or told the session does not exist (scope, in the query).
First names (encrypted identity) are decrypted only for roles that may see them: VIEW_IDENTITY, or
VIEW_LEARNERS for a course roll.

A roll is saved in one transaction: every row or none. A session more than LATE_AFTER_DAYS old can
still be corrected, but the save is audited as `attendance.late_edit` instead of `attendance.roll_saved`.
The marks of the grid are checked by `RollInput` (services.platform.inputs), who is expected here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.attendance import AttendanceStatus
from models.audit import AuditAction
from models.courses import CourseAttendance, CourseEnrolment, CourseGroup, CourseSession
from models.persons import Person
from models.workshops import WorkshopAttendance, WorkshopEnrolment, WorkshopModule, WorkshopSession
from services.activities.courses.access import visible_groups
from services.persons import roster
from services.platform import audit, paging
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, StaleRecord, ValidationFailed
from services.platform.inputs import FormInput, messages
from services.platform.principal import Capability, Principal

LATE_AFTER_DAYS = 7
SESSION_NOT_FOUND = N_("Séance introuvable.")
FUTURE_SESSION = N_("L'appel d'une séance à venir ne peut pas encore être fait : attendez le jour de la séance.")
NOT_EXPECTED = N_(
    "Une des personnes cochées n'est pas attendue à cette séance (pas inscrite à cette date) : rien n'a été enregistré."
)
BAD_STATUS = N_("Choisissez Présent·e, Absent·e excusé·e ou Absent·e pour chaque personne.")


class SessionKind(StrEnum):
    WORKSHOP = "workshop"
    COURSE = "course"


@dataclass(frozen=True)
class RollEntry:
    person_id: int
    code: str
    first_name: str | None  # None unless the principal may see first names
    status: AttendanceStatus | None  # None: not marked yet
    # A file since moved to another site (services.persons.roster): code empty, no first name, no flag;
    # its mark stays counted and can no longer be changed here.
    transferred: bool = False
    safety_flag: bool = False  # the file's team only (services.persons.safety), never in an export


@dataclass(frozen=True)
class RollCall:
    kind: SessionKind
    session_id: int
    site_id: int
    session_on: date
    title: str  # module name (workshop) or group name (course)
    duration_minutes: int
    entries: tuple[RollEntry, ...]  # the page asked for (every person when the roll is not paged)
    is_late: bool  # the session is more than LATE_AFTER_DAYS old: a save is traced as a late edit
    start_time: time | None = None
    names_visible: bool = False  # whether `first_name` is filled for this principal
    is_future: bool = False  # the roll cannot be taken yet
    # The whole roll, whatever the page: persons listed, those with a saved mark, those marked present.
    listed: int = 0
    marked: int = 0
    present: int = 0
    page: int = 1  # the page shown (within 1…page_count) and the number of pages
    page_count: int = 1
    offset: int = 0  # persons of the roll before this page


@dataclass(frozen=True)
class RollSaved:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class _Target:
    """What the two kinds of session share, once access has been checked."""

    kind: SessionKind
    session_id: int
    site_id: int
    session_on: date
    start_time: time | None
    duration_minutes: int
    title: str
    attendance: type  # WorkshopAttendance or CourseAttendance
    expected: sa.Select  # person ids enrolled on the session day (without those already marked)
    expected_person: sa.ColumnElement  # the person-id column of `expected`


def _workshop_target(session: Session, principal: Principal, session_id: int) -> _Target:
    principal.require(Capability.RUN_FIELD_ACTIVITIES)
    row = session.exec(
        select(WorkshopSession, WorkshopModule.name)
        .join(WorkshopModule, WorkshopModule.id == WorkshopSession.module_id)
        .where(WorkshopSession.id == session_id, principal.site_filter(WorkshopSession.site_id))
    ).first()
    if row is None:
        raise NotFound(_(SESSION_NOT_FOUND))
    workshop, title = row
    day = workshop.session_on
    expected = select(WorkshopEnrolment.person_id).where(
        WorkshopEnrolment.site_id == workshop.site_id,
        WorkshopEnrolment.cycle_start_on <= day,
        sa.or_(WorkshopEnrolment.left_on.is_(None), WorkshopEnrolment.left_on >= day),
    )
    return _Target(
        SessionKind.WORKSHOP,
        workshop.id,
        workshop.site_id,
        day,
        workshop.start_time,
        workshop.duration_minutes,
        title,
        WorkshopAttendance,
        expected,
        WorkshopEnrolment.person_id,
    )


def _course_target(session: Session, principal: Principal, session_id: int) -> _Target:
    principal.require(Capability.TEACH_COURSES)
    row = session.exec(
        select(CourseSession, CourseGroup.name)
        .join(CourseGroup, CourseGroup.id == CourseSession.group_id)
        .where(CourseSession.id == session_id, visible_groups(principal))
    ).first()
    if row is None:
        raise NotFound(_(SESSION_NOT_FOUND))
    course, title = row
    day = course.session_on
    expected = select(CourseEnrolment.person_id).where(
        CourseEnrolment.group_id == course.group_id,
        CourseEnrolment.enrolled_on <= day,
        sa.or_(CourseEnrolment.left_on.is_(None), CourseEnrolment.left_on >= day),
    )
    return _Target(
        SessionKind.COURSE,
        course.id,
        course.site_id,
        day,
        course.start_time,
        course.duration_minutes,
        title,
        CourseAttendance,
        expected,
        CourseEnrolment.person_id,
    )


def _target(session: Session, principal: Principal, kind: SessionKind, session_id: int) -> _Target:
    """The session if the principal may take its roll (PermissionDenied / NotFound otherwise)."""
    if SessionKind(kind) == SessionKind.WORKSHOP:
        return _workshop_target(session, principal, session_id)
    return _course_target(session, principal, session_id)


def _names_visible(principal: Principal, kind: SessionKind) -> bool:
    return principal.can(Capability.VIEW_IDENTITY) or (
        kind == SessionKind.COURSE and principal.can(Capability.VIEW_LEARNERS)
    )


def _is_late(session_on: date, today: date) -> bool:
    return (today - session_on).days > LATE_AFTER_DAYS


def _default_cipher() -> FieldCipher:
    from services.platform.config import get_settings

    return FieldCipher(get_settings().encryption_keys())


def _roll_rows(session: Session, principal: Principal, target: _Target, names: bool) -> list:
    """(person id, code, status or None, moved away, danger flag[, encrypted first name]) of the persons
    expected at the session or already marked, by code (a file moved to another site: no code, no name)."""
    attendance = target.attendance
    columns = [
        Person.id,
        roster.listed_code(target.site_id),
        attendance.status,
        roster.moved_away(target.site_id),
        roster.listed_flag(principal, target.site_id),
    ]
    if names:
        columns.append(roster.listed_alias(target.site_id))
    return session.exec(
        select(*columns)
        .select_from(Person)
        .outerjoin(attendance, sa.and_(attendance.person_id == Person.id, attendance.session_id == target.session_id))
        .where(
            Person.id.in_(
                sa.union(
                    target.expected,
                    select(attendance.person_id).where(attendance.session_id == target.session_id),
                )
            )
        )
        .order_by(roster.listed_code(target.site_id), Person.id)
    ).all()


def roll_call(
    session: Session,
    principal: Principal,
    *,
    kind: SessionKind,
    session_id: int,
    cipher: FieldCipher | None = None,
    today: date | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> RollCall:
    """The roll of a session: expected persons (and anyone already marked), by code, with their status.

    `page_size`: the roll is shown a page at a time (the counts stay those of the whole roll), and only the
    page's first names are decrypted; None: every person. `cipher` decrypts first names (default: the
    configured keys); it is used only when the principal may see them. One query for the session, one for the
    persons, whatever their number.
    """
    target = _target(session, principal, kind, session_id)
    today = today or clock.today()
    names = _names_visible(principal, target.kind)
    # Moved away before being marked: nothing of theirs to show here.
    rows = [row for row in _roll_rows(session, principal, target, names) if not (row[3] and row[2] is None)]
    shown = paging.window(len(rows), page, page_size) if page_size else None
    on_page = rows[shown.offset : shown.offset + shown.page_size] if shown else rows
    if names and on_page:
        cipher = cipher or _default_cipher()
    entries = tuple(
        RollEntry(
            person_id=row[0],
            code=row[1],
            first_name=cipher.decrypt(row[5]) if names and row[5] is not None else None,
            status=AttendanceStatus(row[2]) if row[2] is not None else None,
            transferred=bool(row[3]),
            safety_flag=bool(row[4]),
        )
        for row in on_page
    )
    return RollCall(
        kind=target.kind,
        session_id=target.session_id,
        site_id=target.site_id,
        session_on=target.session_on,
        title=target.title,
        duration_minutes=target.duration_minutes,
        entries=entries,
        is_late=_is_late(target.session_on, today),
        start_time=target.start_time,
        names_visible=names,
        is_future=target.session_on > today,
        listed=len(rows),
        marked=sum(row[2] is not None for row in rows),
        present=sum(row[2] == AttendanceStatus.PRESENT for row in rows),
        page=shown.page if shown else 1,
        page_count=shown.page_count if shown else 1,
        offset=shown.offset if shown else 0,
    )


class RollInput(FormInput):
    """What the roll-call grid sends: a status per person marked (person id → status)."""

    statuses: dict[int, AttendanceStatus] = Field(json_schema_extra=messages(BAD_STATUS))


def _marks_of(session: Session, target: _Target, person_ids: set[int]) -> dict:
    """Person id → their attendance row at the session, for those of `person_ids` already marked."""
    attendance = target.attendance
    rows = session.exec(
        select(attendance).where(
            attendance.session_id == target.session_id, attendance.person_id.in_(sorted(person_ids))
        )
    ).all()
    return {row.person_id: row for row in rows}


def _check_still_here(session: Session, target: _Target, person_ids: set[int]) -> None:
    """A file moved to another site keeps its marks at the old site, which can no longer change them."""
    moved = session.exec(
        select(Person.id).where(Person.id.in_(sorted(person_ids)), roster.moved_away(target.site_id)).limit(1)
    ).first()
    if moved is not None:
        raise ValidationFailed({"statuses": _(NOT_EXPECTED)})


def _check_expected(session: Session, target: _Target, newcomers: set[int]) -> None:
    """Persons marked for the first time must be expected at the session (enrolled that day)."""
    if not newcomers:
        return
    allowed = set(session.exec(target.expected.where(target.expected_person.in_(sorted(newcomers)))).all())
    if newcomers - allowed:
        raise ValidationFailed({"statuses": _(NOT_EXPECTED)})


def _apply_marks(
    session: Session, target: _Target, wanted: dict[int, AttendanceStatus], existing: dict
) -> tuple[RollSaved, list[int]]:
    """Add or change the marks (nothing flushed yet): the counts, and the persons newly marked present."""
    created = updated = unchanged = 0
    now_present: list[int] = []
    for person_id, status in sorted(wanted.items()):
        row = existing.get(person_id)
        if row is None:
            session.add(
                target.attendance(
                    session_id=target.session_id, person_id=person_id, site_id=target.site_id, status=status
                )
            )
            created += 1
        elif row.status == status:
            unchanged += 1
            continue
        else:
            row.status = status
            row.version = row.version + 1
            updated += 1
        if status == AttendanceStatus.PRESENT:
            now_present.append(person_id)
    return RollSaved(created, updated, unchanged), now_present


def _attended(session: Session, person_ids: list[int], day: date) -> None:
    """Attending is a contact: move the files' last contact forward to `day` (never back), in the same unit."""
    session.exec(  # type: ignore[call-overload]
        sa.update(Person)
        .where(Person.id.in_(person_ids))
        .where(sa.or_(Person.last_contact_on.is_(None), Person.last_contact_on < day))
        .values(last_contact_on=day)
        .execution_options(synchronize_session=False)
    )


def save_roll_call(
    session: Session,
    principal: Principal,
    *,
    kind: SessionKind,
    session_id: int,
    statuses: Mapping[int, AttendanceStatus],
    today: date | None = None,
) -> RollSaved:
    """Record the status of each person of `statuses` (person id → status) in one transaction.

    Persons left out keep their current mark (or none). Refused, with nothing written: a future
    session, a person not expected at the session, an unknown status. A save that changes nothing
    writes nothing (no audit either). Persons marked present get their file's last contact moved
    to the session day.
    """
    target = _target(session, principal, kind, session_id)
    today = today or clock.today()
    if target.session_on > today:
        raise ValidationFailed({"session": _(FUTURE_SESSION)})
    wanted = RollInput.validated({"statuses": statuses}).statuses
    if not wanted:
        return RollSaved(0, 0, 0)
    _check_still_here(session, target, set(wanted))
    existing = _marks_of(session, target, set(wanted))
    _check_expected(session, target, set(wanted) - set(existing))
    saved, now_present = _apply_marks(session, target, wanted, existing)
    if not saved.created and not saved.updated:
        return saved
    try:
        session.flush()
    except IntegrityError as exc:  # someone saved the same roll between our read and our write
        session.rollback()
        raise StaleRecord() from exc
    if now_present:
        _attended(session, now_present, target.session_on)
    action = (
        AuditAction.ATTENDANCE_LATE_EDIT if _is_late(target.session_on, today) else AuditAction.ATTENDANCE_ROLL_SAVED
    )
    audit.record(
        session,
        actor=principal,
        action=action,
        entity_type=f"{target.kind.value}_session",
        entity_id=target.session_id,
        site_id=target.site_id,
    )
    session.commit()
    return saved
