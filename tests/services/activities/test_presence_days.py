"""Each learner's minutes present per day (course_presence_day), kept by the database's triggers: they follow every
roll call (a mark saved, changed, moved, deleted) and every class moved to another day or made longer, whatever
writes it, and Progression en français sums them between two assessments for a scope that sees every group.

On SQLite and PostgreSQL; the expected rows are written out by hand."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from models.attendance import AttendanceStatus
from models.courses import CefrLevel, CourseAttendance, CourseSession, LanguageAssessment, LanguageSkill
from models.organisation import Role
from models.persons import Person
from services.activities.courses import progress as language_progress
from tests import factories

PRESENT, ABSENT, EXCUSED = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED


def days_of(session: Session, person: Person) -> list[tuple[str, int]]:
    """The person's rows, read in SQL: (day, minutes)."""
    rows = session.connection().execute(
        sa.text("SELECT day, minutes FROM course_presence_day WHERE person_id = :person ORDER BY day"),
        {"person": person.id},
    )
    return [(str(day), minutes) for day, minutes in rows]


def marked(session: Session, course: CourseSession, person: Person, status: AttendanceStatus) -> int:
    mark = CourseAttendance(session_id=course.id, person_id=person.id, site_id=course.site_id, status=status)
    session.add(mark)
    session.flush()
    return mark.id


def test_the_minutes_follow_the_roll_calls_and_the_classes(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    other_group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    amina = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    bruno = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    monday = factories.a_course_session(session, group, session_on=date(2026, 1, 19), duration_minutes=90)
    evening = factories.a_course_session(session, other_group, session_on=date(2026, 1, 19), duration_minutes=60)
    wednesday = factories.a_course_session(session, group, session_on=date(2026, 1, 21), duration_minutes=120)

    first = marked(session, monday, amina, PRESENT)
    marked(session, evening, amina, PRESENT)  # two classes the same day, two groups: one row of both
    marked(session, wednesday, amina, ABSENT)
    assert days_of(session, amina) == [("2026-01-19", 150)]

    # Wednesday's roll corrected: present after all (the form updates the status).
    session.exec(
        sa.update(CourseAttendance)
        .where(CourseAttendance.session_id == wednesday.id, CourseAttendance.person_id == amina.id)
        .values(status=PRESENT)
    )
    assert days_of(session, amina) == [("2026-01-19", 150), ("2026-01-21", 120)]

    # Monday's class was 2 hours, not 1 h 30; the evening class moved to Tuesday.
    session.exec(sa.update(CourseSession).where(CourseSession.id == monday.id).values(duration_minutes=120))
    session.exec(sa.update(CourseSession).where(CourseSession.id == evening.id).values(session_on=date(2026, 1, 20)))
    assert days_of(session, amina) == [("2026-01-19", 120), ("2026-01-20", 60), ("2026-01-21", 120)]

    # Monday's mark was Bruno's (moved by an operator's SQL, under SQLAlchemy's statements).
    session.connection().exec_driver_sql(f"UPDATE course_attendance SET person_id = {bruno.id} WHERE id = {first}")
    assert days_of(session, amina) == [("2026-01-20", 60), ("2026-01-21", 120)]
    assert days_of(session, bruno) == [("2026-01-19", 120)]

    # Excused on Tuesday, then Wednesday's mark deleted: nothing left for Amina.
    session.exec(
        sa.update(CourseAttendance)
        .where(CourseAttendance.session_id == evening.id, CourseAttendance.person_id == amina.id)
        .values(status=EXCUSED)
    )
    session.exec(
        sa.delete(CourseAttendance).where(
            CourseAttendance.session_id == wednesday.id, CourseAttendance.person_id == amina.id
        )
    )
    assert days_of(session, amina) == []
    assert days_of(session, bruno) == [("2026-01-19", 120)]


def test_progression_sums_the_days_for_direction_and_the_marks_of_its_groups_for_a_teacher(session):
    """Direction sees every group: it reads the days. A formateur sees the groups it teaches: it reads their
    marks (the other group's class that day is not hers to count)."""
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    teacher = factories.a_user(session, Role.FORMATEUR, lyon)
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5), teacher=teacher)
    other_group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    amina = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    factories.a_learner(session, group, amina)
    for day, level in ((date(2026, 1, 12), CefrLevel.PRE_A1), (date(2026, 3, 2), CefrLevel.A1)):
        session.add(
            LanguageAssessment(
                person_id=amina.id, site_id=lyon.id, group_id=group.id, assessed_on=day,
                skill=LanguageSkill.SPEAKING, level=level,
            )
        )  # fmt: skip
    factories.a_course_session(session, group, session_on=date(2026, 1, 19), duration_minutes=90, present=(amina,))
    factories.a_course_session(session, other_group, session_on=date(2026, 2, 2), duration_minutes=60, present=(amina,))
    factories.a_course_session(session, group, session_on=date(2026, 3, 2), duration_minutes=60, present=(amina,))
    formateur = factories.principal(session, teacher)

    def median(principal) -> float | None:
        [lyon_figures] = language_progress.site_progress(session, principal)
        return lyon_figures.median_minutes_per_level

    # pré-A1 → A1, two levels: 90 + 60 minutes before 2 March for direction, 90 in the teacher's group.
    assert median(direction) == 75.0
    assert median(formateur) == 45.0

    # What each reads: a day changed by hand moves direction's figure only.
    session.connection().execute(
        sa.text("UPDATE course_presence_day SET minutes = 30 WHERE person_id = :person AND day = '2026-01-19'"),
        {"person": amina.id},
    )
    assert median(direction) == 45.0
    assert median(formateur) == 45.0
