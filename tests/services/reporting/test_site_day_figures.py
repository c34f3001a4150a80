"""Workshop rolls, French-class minutes and appointments per site and day (workshop_site_day, course_site_day,
appointment_site_day), kept by the database's triggers: they follow every write of the facts (a mark saved,
corrected, moved, deleted; a session moved or made longer; an appointment changed), whatever makes it, and every
change of a person's statistics consent; the dashboard reads them.

On SQLite and PostgreSQL; the expected rows are written out by hand: (day, values…) of one site, a day whose facts
are gone keeping a row of zeros."""

from __future__ import annotations

import functools
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.appointments import ACCOMPANIMENT_KINDS, Appointment, AppointmentKind
from models.attendance import AttendanceStatus
from models.courses import CourseAttendance, CourseSession
from models.organisation import Role, Site
from models.persons import Person
from models.workshops import WorkshopAttendance, WorkshopSession
from services.platform.db import make_engine, unit_of_work
from services.reporting import dashboard, director_answers
from tests import factories
from tests.conftest import migrated_database_url

PRESENT, ABSENT, EXCUSED = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED
TODAY = date(2026, 6, 30)  # withdrawals are dated in the current quarter: from 1 April
COLUMNS = {
    "workshop_site_day": "sessions, present, recorded",
    "course_site_day": "minutes",
    "appointment_site_day": "appointments, accompaniments, minutes, with_interpreter",
}


def rows(session: Session, table: str, site: Site) -> list[tuple]:
    """The site's rows of a kept table, read in SQL: (day, values…) by day."""
    found = session.connection().execute(
        sa.text(f"SELECT day, {COLUMNS[table]} FROM {table} WHERE site_id = :site ORDER BY day"), {"site": site.id}
    )
    return [(str(day), *values) for day, *values in found]


def persons(session: Session, site: Site, count: int) -> list[Person]:
    return [factories.a_person_in_file_active(session, site, intake_on=date(2025, 12, 1)) for _ in range(count)]


def workshop_mark(session: Session, workshop: WorkshopSession, person: Person, status: AttendanceStatus) -> int:
    mark = WorkshopAttendance(session_id=workshop.id, person_id=person.id, site_id=workshop.site_id, status=status)
    session.add(mark)
    session.flush()
    return mark.id


def course_mark(session: Session, course: CourseSession, person: Person, status: AttendanceStatus) -> int:
    mark = CourseAttendance(session_id=course.id, person_id=person.id, site_id=course.site_id, status=status)
    session.add(mark)
    session.flush()
    return mark.id


consent_changed = functools.partial(factories.consent_changed, today=TODAY)


def test_the_workshop_rolls_follow_the_marks_and_the_sessions(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    amina, bruno, chloe = persons(session, lyon, 3)
    morning = factories.a_workshop_session(session, lyon, session_on=date(2026, 5, 4))
    afternoon = factories.a_workshop_session(session, lyon, session_on=date(2026, 5, 4))
    factories.a_workshop_session(session, lyon, session_on=date(2026, 5, 6))  # no roll taken: no row
    first = workshop_mark(session, morning, amina, PRESENT)
    workshop_mark(session, morning, bruno, ABSENT)
    workshop_mark(session, afternoon, chloe, EXCUSED)
    # (day, sessions with a roll, present, marks recorded)
    assert rows(session, "workshop_site_day", lyon) == [("2026-05-04", 2, 1, 3)]

    # Bruno came after all (the roll corrected).
    session.exec(
        sa.update(WorkshopAttendance)
        .where(WorkshopAttendance.session_id == morning.id, WorkshopAttendance.person_id == bruno.id)
        .values(status=PRESENT)
    )
    assert rows(session, "workshop_site_day", lyon) == [("2026-05-04", 2, 2, 3)]

    # The afternoon session was held on the 6th; Amina's mark deleted by an operator's SQL.
    session.exec(
        sa.update(WorkshopSession).where(WorkshopSession.id == afternoon.id).values(session_on=date(2026, 5, 6))
    )
    session.connection().exec_driver_sql(f"DELETE FROM workshop_attendance WHERE id = {first}")
    assert rows(session, "workshop_site_day", lyon) == [("2026-05-04", 1, 1, 1), ("2026-05-06", 1, 0, 1)]

    # The afternoon session belonged to Grenoble; the morning one deleted with its roll.
    session.exec(sa.update(WorkshopSession).where(WorkshopSession.id == afternoon.id).values(site_id=grenoble.id))
    session.exec(sa.delete(WorkshopAttendance).where(WorkshopAttendance.session_id == morning.id))
    session.exec(sa.delete(WorkshopSession).where(WorkshopSession.id == morning.id))
    assert rows(session, "workshop_site_day", lyon) == [("2026-05-04", 0, 0, 0), ("2026-05-06", 0, 0, 0)]
    assert rows(session, "workshop_site_day", grenoble) == [("2026-05-06", 1, 0, 1)]


def test_the_class_minutes_follow_the_marks_and_the_classes(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    amina, bruno = persons(session, lyon, 2)
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    other_group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    monday = factories.a_course_session(session, group, session_on=date(2026, 5, 4), duration_minutes=90)
    evening = factories.a_course_session(session, other_group, session_on=date(2026, 5, 4), duration_minutes=60)
    wednesday = factories.a_course_session(session, group, session_on=date(2026, 5, 6), duration_minutes=120)
    course_mark(session, monday, amina, PRESENT)
    course_mark(session, monday, bruno, PRESENT)
    moved = course_mark(session, evening, amina, PRESENT)
    course_mark(session, wednesday, amina, ABSENT)
    # 90 + 90 + 60 on Monday; on Wednesday a mark absent: the day's row, at zero.
    assert rows(session, "course_site_day", lyon) == [("2026-05-04", 240), ("2026-05-06", 0)]

    # Wednesday's roll corrected; Monday's class was 2 hours; the evening class moved to Tuesday.
    session.exec(sa.update(CourseAttendance).where(CourseAttendance.session_id == wednesday.id).values(status=PRESENT))
    session.exec(sa.update(CourseSession).where(CourseSession.id == monday.id).values(duration_minutes=120))
    session.exec(sa.update(CourseSession).where(CourseSession.id == evening.id).values(session_on=date(2026, 5, 5)))
    assert rows(session, "course_site_day", lyon) == [("2026-05-04", 240), ("2026-05-05", 60), ("2026-05-06", 120)]

    # The evening mark excused, then deleted by an operator's SQL; Bruno's Monday mark was Amina's twice: deleted.
    session.exec(sa.update(CourseAttendance).where(CourseAttendance.id == moved).values(status=EXCUSED))
    session.connection().exec_driver_sql(f"DELETE FROM course_attendance WHERE id = {moved}")
    session.exec(
        sa.delete(CourseAttendance).where(
            CourseAttendance.session_id == monday.id, CourseAttendance.person_id == bruno.id
        )
    )
    assert rows(session, "course_site_day", lyon) == [("2026-05-04", 120), ("2026-05-05", 0), ("2026-05-06", 120)]


def test_the_appointments_follow_each_insert_update_and_delete(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    amina, bruno = persons(session, lyon, 2)
    may_4, may_6 = date(2026, 5, 4), date(2026, 5, 6)
    interview = factories.an_appointment(session, amina, may_4, minutes=45)
    factories.an_appointment(session, bruno, may_4, kind=AppointmentKind.ACCOMPANIMENT_CAF, minutes=120, language="ar")
    call = factories.an_appointment(session, bruno, may_6, kind=AppointmentKind.PHONE_CALL, minutes=20)
    # (day, appointments, accompaniments, minutes, with an interpreter)
    assert rows(session, "appointment_site_day", lyon) == [("2026-05-04", 2, 1, 165, 1), ("2026-05-06", 1, 0, 20, 0)]

    # The interview was an accompaniment to the prefecture, 3 hours, with an interpreter.
    session.exec(
        sa.update(Appointment)
        .where(Appointment.id == interview.id)
        .values(kind=AppointmentKind.ACCOMPANIMENT_PREFECTURE, duration_minutes=180, interpreter_language="ti")
    )
    assert rows(session, "appointment_site_day", lyon) == [("2026-05-04", 2, 2, 300, 2), ("2026-05-06", 1, 0, 20, 0)]

    # The call was on the 5th, made by Grenoble's worker; then deleted by an operator's SQL.
    session.exec(
        sa.update(Appointment)
        .where(Appointment.id == call.id)
        .values(appointment_on=date(2026, 5, 5), site_id=grenoble.id)
    )
    assert rows(session, "appointment_site_day", grenoble) == [("2026-05-05", 1, 0, 20, 0)]
    session.connection().exec_driver_sql(f"DELETE FROM appointment WHERE id = {call.id}")
    assert rows(session, "appointment_site_day", lyon) == [("2026-05-04", 2, 2, 300, 2), ("2026-05-06", 0, 0, 0, 0)]
    assert rows(session, "appointment_site_day", grenoble) == [("2026-05-05", 0, 0, 0, 0)]


def test_an_accompaniment_is_a_kind_of_accompaniment_kinds(session):
    """The triggers hold their own copy of models.appointments.ACCOMPANIMENT_KINDS (migration 0030)."""
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    [amina] = persons(session, lyon, 1)
    for kind in AppointmentKind:
        factories.an_appointment(session, amina, date(2026, 5, 4), kind=kind, minutes=10)
    assert len(AppointmentKind) == 11 and len(ACCOMPANIMENT_KINDS) == 8
    assert rows(session, "appointment_site_day", lyon) == [("2026-05-04", 11, 8, 110, 0)]


def test_a_change_of_statistics_consent_moves_the_days_of_every_fact_of_the_person(session):
    """The facts from a withdrawal's day until a new consent leave (those before it stay); a refusal at intake
    leaves every fact out until a consent is given."""
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon))
    amina, bruno, chloe = persons(session, lyon, 3)
    factories.refused_statistics_at_intake(session, chloe)
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    days = (date(2026, 4, 6), date(2026, 5, 4), date(2026, 6, 8))
    for day in days:
        workshop = factories.a_workshop_session(session, lyon, session_on=day)
        for person in (amina, bruno, chloe):
            workshop_mark(session, workshop, person, PRESENT)
        factories.a_course_session(session, group, session_on=day, duration_minutes=60, present=(amina, bruno, chloe))
        for person in (amina, bruno, chloe):
            factories.an_appointment(session, person, day, minutes=30)
    everyone_but_chloe = {
        "workshop_site_day": [(str(day), 1, 2, 2) for day in days],
        "course_site_day": [(str(day), 120) for day in days],
        "appointment_site_day": [(str(day), 2, 0, 60, 0) for day in days],
    }
    assert {table: rows(session, table, lyon) for table in COLUMNS} == everyone_but_chloe

    consent_changed(session, chef, amina, False, date(2026, 4, 20))  # May and June leave
    consent_changed(session, chef, amina, True, date(2026, 6, 1))  # June is back
    consent_changed(session, chef, chloe, True, date(2026, 5, 1))  # counted from May
    assert {table: rows(session, table, lyon) for table in COLUMNS} == {
        "workshop_site_day": [("2026-04-06", 1, 2, 2), ("2026-05-04", 1, 2, 2), ("2026-06-08", 1, 3, 3)],
        "course_site_day": [("2026-04-06", 120), ("2026-05-04", 120), ("2026-06-08", 180)],
        "appointment_site_day": [("2026-04-06", 2, 0, 60, 0), ("2026-05-04", 2, 0, 60, 0), ("2026-06-08", 3, 0, 90, 0)],
    }

    # The history corrected by an operator (a withdrawal's day moved, a consent row deleted): the days follow.
    session.connection().execute(
        sa.text(
            "DELETE FROM consent_change WHERE person_id = :person AND given = true AND effective_on = '2026-05-01'"
        ),
        {"person": chloe.id},
    )
    session.connection().execute(
        sa.text("UPDATE consent_change SET effective_on = '2026-04-01' WHERE person_id = :person AND given = false"),
        {"person": amina.id},
    )
    assert {table: rows(session, table, lyon) for table in COLUMNS} == {
        "workshop_site_day": [("2026-04-06", 1, 1, 1), ("2026-05-04", 1, 1, 1), ("2026-06-08", 1, 2, 2)],
        "course_site_day": [("2026-04-06", 60), ("2026-05-04", 60), ("2026-06-08", 120)],
        "appointment_site_day": [("2026-04-06", 1, 0, 30, 0), ("2026-05-04", 1, 0, 30, 0), ("2026-06-08", 2, 0, 60, 0)],
    }


def test_the_dashboard_reads_the_kept_days(session):
    """What the dashboard and the director's answers read: a row changed by hand moves the workshop rolls, class
    hours and appointments."""
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    [amina] = persons(session, lyon, 1)
    workshop = factories.a_workshop_session(session, lyon, session_on=date(2026, 5, 4))
    workshop_mark(session, workshop, amina, PRESENT)
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    factories.a_course_session(session, group, session_on=date(2026, 5, 4), duration_minutes=90, present=(amina,))
    factories.an_appointment(session, amina, date(2026, 5, 4), minutes=45)

    def figures() -> tuple:
        board = dashboard.director_dashboard(
            session, direction, start=date(2026, 5, 1), end=date(2026, 5, 31), site_ids=[lyon.id], today=TODAY
        )
        [may] = [row for row in board.appointments if row.month == date(2026, 5, 1)]
        answers = director_answers.director_answers(
            session, direction, start=date(2026, 5, 1), end=date(2026, 5, 31), site_ids=[lyon.id], today=TODAY
        )
        [at_lyon] = answers.sites
        return (
            board.current.get("workshop_sessions").value,
            board.current.get("workshop_attendance_rate").value,
            board.current.get("course_hours").value,
            (may.appointments, may.minutes),
            at_lyon.counts.appointments,
        )

    assert figures() == (1, 1, 1.5, (1, 45), 1)
    connection = session.connection()
    connection.exec_driver_sql(f"UPDATE workshop_site_day SET present = 1, recorded = 4 WHERE site_id = {lyon.id}")
    connection.exec_driver_sql(f"UPDATE course_site_day SET minutes = 150 WHERE site_id = {lyon.id}")
    connection.exec_driver_sql(
        f"UPDATE appointment_site_day SET appointments = 3, minutes = 100 WHERE site_id = {lyon.id}"
    )
    assert figures() == (1, 0.25, 2.5, (3, 100), 3)


@pytest.mark.postgres
def test_two_writers_of_the_same_site_day_both_count_on_postgresql():
    """Two workers save an appointment at Lyon on the same day at the same moment, the day already counting one:
    the second trigger waits for the first transaction and computes the day with its appointment (3, not 2)."""
    with migrated_database_url("postgresql", "parcours_site_days") as url:
        first, second = make_engine(url), make_engine(url)
        try:
            with unit_of_work(first) as uow:
                lyon, _grenoble = factories.lyon_and_grenoble(uow)
                amina, bruno, chloe = persons(uow, lyon, 3)
                factories.an_appointment(uow, chloe, date(2026, 5, 4))
                uow.commit()
                lyon_id, amina_id, bruno_id = lyon.id, amina.id, bruno.id

            def save(engine: Engine, person_id: int) -> None:
                with unit_of_work(engine) as uow:
                    uow.add(
                        Appointment(
                            person_id=person_id,
                            site_id=lyon_id,
                            appointment_on=date(2026, 5, 4),
                            kind=AppointmentKind.INTERVIEW,
                            duration_minutes=45,
                        )
                    )
                    uow.flush()
                    if engine is first:  # hold the transaction open while the second writer saves
                        later = threading.Thread(target=save, args=(second, bruno_id))
                        later.start()
                        later.join(timeout=1)
                        assert later.is_alive(), "the second writer should wait for the first"
                    uow.commit()
                if engine is first:
                    later.join(timeout=10)
                    assert not later.is_alive()

            save(first, amina_id)
            with unit_of_work(first) as uow:
                assert rows(uow, "appointment_site_day", uow.get(Site, lyon_id)) == [("2026-05-04", 3, 0, 135, 0)]
        finally:
            first.dispose()
            second.dispose()
