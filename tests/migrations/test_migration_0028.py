"""0028 (each learner's levels per skill, kept by triggers): the assessments already there are summed up at the
upgrade, consent applied; the triggers are there at head and keep the rows after it; going down drops them with
the table."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from services.platform.db import alembic_config, downgrade_to, upgrade_to_head
from tests.migrations.rows import BACKENDS, STAMP, insert_active_files, insert_lyon, triggers


def _before_0028() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_revision("0028").down_revision


def _summary(engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT person_id, skill, first_on, first_rank, gain_on, gain_rank, latest_rank "
                "FROM language_level_summary ORDER BY person_id, skill"
            )
        )
        return [
            (p, skill, str(d0), r0, None if d1 is None else str(d1), r1, latest)
            for p, skill, d0, r0, d1, r1, latest in rows
        ]


def _assess(connection, person_id: int, day: str, skill: str, level: str) -> None:
    connection.execute(
        text(
            "INSERT INTO language_assessment (person_id, site_id, assessed_on, skill, level, is_positioning, "
            f"created_at, updated_at) VALUES (:person, 1, :day, :skill, :level, false, {STAMP}, {STAMP})"
        ),
        {"person": person_id, "day": day, "skill": skill, "level": level},
    )


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_the_assessments_already_there_are_summed_up_and_kept_after(scratch_engine):
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, _before_0028())
    assert "language_level_summary" not in inspect(scratch_engine).get_table_names()
    with scratch_engine.begin() as connection:
        insert_lyon(connection)
        insert_active_files(connection, 1, 2)
        _assess(connection, 1, "2026-01-12", "speaking", "pre_a1")
        _assess(connection, 1, "2026-03-02", "speaking", "a1")
        _assess(connection, 1, "2026-05-04", "speaking", "a1_1")
        _assess(connection, 2, "2026-01-12", "writing", "a2")
        _assess(connection, 2, "2026-04-07", "writing", "b1")
        # Person 2 withdrew statistics from 1 April: her April assessment does not count.
        connection.execute(
            text(
                "INSERT INTO consent_change (person_id, site_id, scope, given, effective_on, at_intake, created_at, "
                f"updated_at) VALUES (2, 1, 'statistics', false, '2026-04-01', false, {STAMP}, {STAMP})"
            )
        )

    upgrade_to_head(scratch_engine)

    assert _summary(scratch_engine) == [
        (1, "speaking", "2026-01-12", 0, "2026-03-02", 2, 1),
        (2, "writing", "2026-01-12", 3, None, None, 3),
    ]
    expected = {
        "sqlite": {
            f"language_level_summary_on_{table}_{event}"
            for table in ("language_assessment", "consent_change")
            for event in ("insert", "update", "delete")
        },
        "postgresql": {"language_level_summary_on_language_assessment", "language_level_summary_on_consent_change"},
    }[scratch_engine.dialect.name]
    assert triggers(scratch_engine) >= expected
    with scratch_engine.begin() as connection:
        _assess(connection, 2, "2026-02-02", "writing", "b2")
    assert _summary(scratch_engine)[1] == (2, "writing", "2026-01-12", 3, "2026-02-02", 5, 5)

    downgrade_to(scratch_engine, _before_0028())
    assert "language_level_summary" not in inspect(scratch_engine).get_table_names()
    assert not {name for name in triggers(scratch_engine) if name.startswith("language_level_summary")}
