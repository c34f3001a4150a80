"""0030 (workshop rolls, class minutes and appointments per site and day, kept by triggers): the facts already
there are added up at the upgrade, with the consent as it stood on each fact's day; the triggers are there at head
and keep the rows after it; going down drops them with the tables."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from services.platform.db import alembic_config, downgrade_to, upgrade_to_head
from tests.migrations.rows import BACKENDS, STAMP, insert_active_files, insert_lyon, triggers

KEPT = ("workshop_site_day", "course_site_day", "appointment_site_day")


def _before_0030() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_revision("0030").down_revision


def _kept(engine) -> dict[str, list[tuple]]:
    """Every row of the three tables: (site, day, values…)."""
    with engine.connect() as connection:
        return {
            table: [
                (site, str(day), *values)
                for site, day, *values in connection.execute(text(f"SELECT * FROM {table} ORDER BY site_id, day"))
            ]
            for table in KEPT
        }


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_the_facts_already_there_are_added_up_and_kept_after(scratch_engine):
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, _before_0030())
    assert not set(KEPT) & set(inspect(scratch_engine).get_table_names())
    with scratch_engine.begin() as connection:

        def insert(table: str, **values) -> None:
            values |= {"created_at": STAMP.strip("'"), "updated_at": STAMP.strip("'")}
            connection.execute(
                text(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + key for key in values)})"),
                values,
            )

        insert_lyon(connection)
        insert_active_files(connection, 1, 2)
        # Person 2 withdrew from statistics from 10 May 2026.
        insert(
            "consent_change", id=1, person_id=2, site_id=1, scope="statistics", given=False,
            effective_on="2026-05-10", at_intake=False,
        )  # fmt: skip
        insert(
            "workshop_module", id=1, site_id=1, theme="money", name="Budget", sort_order=0, is_active=True, version=1
        )
        insert("course_group", id=1, site_id=1, name="FLE", profile="fle", target_level="a2", starts_on="2026-01-05",
               version=1)  # fmt: skip
        for day in ("2026-05-04", "2026-05-11"):
            number = int(day[-2:])
            insert("workshop_session", id=number, site_id=1, module_id=1, session_on=day, duration_minutes=120,
                   planned_places=8, version=1)  # fmt: skip
            insert("course_session", id=number, group_id=1, site_id=1, session_on=day, duration_minutes=90, version=1)
            for person, status in ((1, "present"), (2, "present")):
                insert("workshop_attendance", id=number * 10 + person, session_id=number, person_id=person, site_id=1,
                       status=status, version=1)  # fmt: skip
                insert("course_attendance", id=number * 10 + person, session_id=number, person_id=person, site_id=1,
                       status=status, version=1)  # fmt: skip
                insert("appointment", id=number * 10 + person, person_id=person, site_id=1, appointment_on=day,
                       kind="accompaniment_caf", interpreter_language="ar" if person == 2 else None,
                       duration_minutes=60, version=1)  # fmt: skip

    upgrade_to_head(scratch_engine)

    # On the 4th both count; on the 11th, person 2's withdrawal of the 10th leaves her facts out.
    assert _kept(scratch_engine) == {
        "workshop_site_day": [(1, "2026-05-04", 1, 2, 2), (1, "2026-05-11", 1, 1, 1)],
        "course_site_day": [(1, "2026-05-04", 180), (1, "2026-05-11", 90)],
        "appointment_site_day": [(1, "2026-05-04", 2, 2, 120, 1), (1, "2026-05-11", 1, 1, 60, 0)],
    }
    expected = {
        "sqlite": {
            f"{kept}_on_{source}_{event}"
            for kept, sources in (
                ("workshop_site_day", ("workshop_attendance", "consent_change")),
                ("course_site_day", ("course_attendance", "consent_change")),
                ("appointment_site_day", ("appointment", "consent_change")),
            )
            for source in sources
            for event in ("insert", "update", "delete")
        }
        | {f"{kept}_on_{kept[:-9]}_session_{event}" for kept in KEPT[:2] for event in ("update", "delete")},
        "postgresql": {
            "workshop_site_day_on_workshop_attendance",
            "workshop_site_day_on_workshop_session",
            "workshop_site_day_on_consent_change",
            "course_site_day_on_course_attendance",
            "course_site_day_on_course_session",
            "course_site_day_on_consent_change",
            "appointment_site_day_on_appointment",
            "appointment_site_day_on_consent_change",
        },
    }[scratch_engine.dialect.name]
    assert {name for name in triggers(scratch_engine) if "_site_day_" in name} == expected
    with scratch_engine.begin() as connection:  # the withdrawal deleted: person 2 counts on the 11th again
        connection.execute(text("DELETE FROM consent_change WHERE id = 1"))
    assert _kept(scratch_engine)["course_site_day"] == [(1, "2026-05-04", 180), (1, "2026-05-11", 180)]

    downgrade_to(scratch_engine, _before_0030())
    assert not set(KEPT) & set(inspect(scratch_engine).get_table_names())
    assert not {name for name in triggers(scratch_engine) if "_site_day_" in name}
