"""Alembic migrations: they build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from services.platform.db import alembic_config, downgrade_to, make_engine, upgrade_to_head

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def scratch_engine(scratch_database_url):
    engine = make_engine(scratch_database_url)
    yield engine
    engine.dispose()


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "render_as_batch": connection.dialect.name == "sqlite",
            },
        )
        return compare_metadata(context, SQLModel.metadata)


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_one_linear_history():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_upgrade_builds_exactly_the_schema_of_the_models(scratch_engine):
    upgrade_to_head(scratch_engine)

    assert tables(scratch_engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert schema_differences(scratch_engine) == []

    # The comparison does see a drift: an index a model declares but the database lacks.
    with scratch_engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_audit_event_action"))
    assert [(diff[0], diff[1].name) for diff in schema_differences(scratch_engine)] == [
        ("add_index", "ix_audit_event_action")
    ]


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_downgrade_to_base_removes_everything_and_upgrade_works_again(scratch_engine):
    upgrade_to_head(scratch_engine)

    downgrade_to(scratch_engine, "base")
    assert tables(scratch_engine) <= {"alembic_version"}

    upgrade_to_head(scratch_engine)
    assert schema_differences(scratch_engine) == []
