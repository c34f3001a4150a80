"""0029 (each learner's minutes present per day, kept by triggers): the marks already there are summed up at the
upgrade; the triggers are there at head and keep the rows after it; going down drops them with the table."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from services.platform.db import alembic_config, downgrade_to, upgrade_to_head
from tests.migrations.rows import BACKENDS, STAMP, insert_active_files, insert_lyon, triggers


def _before_0029() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_revision("0029").down_revision


def _days(engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT person_id, day, minutes FROM course_presence_day ORDER BY person_id, day")
        )
        return [(person, str(day), minutes) for person, day, minutes in rows]


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_the_marks_already_there_are_summed_up_and_kept_after(scratch_engine):
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, _before_0029())
    assert "course_presence_day" not in inspect(scratch_engine).get_table_names()
    with scratch_engine.begin() as connection:

        def insert(sql: str, **values) -> None:
            connection.execute(text(sql), values)

        insert_lyon(connection)
        insert_active_files(connection, 1, 2)
        insert(
            "INSERT INTO course_group (id, site_id, name, profile, target_level, starts_on, version, created_at, "
            f"updated_at) VALUES (1, 1, 'FLE', 'fle', 'a2', '2026-01-05', 1, {STAMP}, {STAMP})"
        )
        for session_id, day, minutes in ((1, "2026-01-19", 90), (2, "2026-01-19", 60), (3, "2026-01-21", 120)):
            insert(
                "INSERT INTO course_session (id, group_id, site_id, session_on, duration_minutes, version, "
                f"created_at, updated_at) VALUES (:id, 1, 1, :day, :minutes, 1, {STAMP}, {STAMP})",
                id=session_id,
                day=day,
                minutes=minutes,
            )
        for mark_id, session_id, person_id, status in (
            (1, 1, 1, "present"),
            (2, 2, 1, "present"),
            (3, 3, 1, "absent"),
            (4, 3, 2, "present"),
        ):
            insert(
                "INSERT INTO course_attendance (id, session_id, person_id, site_id, status, version, created_at, "
                f"updated_at) VALUES (:id, :session, :person, 1, :status, 1, {STAMP}, {STAMP})",
                id=mark_id,
                session=session_id,
                person=person_id,
                status=status,
            )

    upgrade_to_head(scratch_engine)

    assert _days(scratch_engine) == [(1, "2026-01-19", 150), (2, "2026-01-21", 120)]
    expected = {
        "sqlite": {
            f"course_presence_day_on_{name}" for name in ("mark_insert", "mark_update", "mark_delete", "class_update")
        },
        "postgresql": {"course_presence_day_on_course_attendance", "course_presence_day_on_course_session"},
    }[scratch_engine.dialect.name]
    assert triggers(scratch_engine) >= expected
    with scratch_engine.begin() as connection:
        connection.execute(text("UPDATE course_session SET session_on = '2026-01-20' WHERE id = 2"))
    assert _days(scratch_engine) == [(1, "2026-01-19", 90), (1, "2026-01-20", 60), (2, "2026-01-21", 120)]

    downgrade_to(scratch_engine, _before_0029())
    assert "course_presence_day" not in inspect(scratch_engine).get_table_names()
    assert not {name for name in triggers(scratch_engine) if name.startswith("course_presence_day")}
