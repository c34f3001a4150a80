"""Alembic migrations: they build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, select

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from models.persons import Person
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


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_a_persons_comma_separated_lists_become_arrays_and_back(scratch_engine):
    """0006: « en,yo » written before the migration reads ["en", "yo"] after it, and the same text after a
    downgrade; an empty list stays empty."""
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0005")
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
                "VALUES (1, 'LYO', 'Lyon', 'Lyon', true, '2026-01-05', '2026-01-05')"
            )
        )
        for person_id, languages, sources in ((1, "en,yo", "rsa,family"), (2, None, None)):
            connection.execute(
                text(
                    "INSERT INTO person (id, code, code_year, code_number, site_id, first_contact_on, intake_on, "
                    "origin, gender, consent_on, consent_processing, consent_partner_sharing, consent_statistics, "
                    "status, last_contact_on, version, created_at, updated_at, languages, income_sources) VALUES "
                    "(:id, :code, 2026, :id, 1, '2026-01-05', '2026-01-05', 'self', 'undisclosed', '2026-01-05', "
                    "true, false, true, 'active', '2026-01-05', 1, '2026-01-05', '2026-01-05', :languages, :sources)"
                ),
                {"id": person_id, "code": f"LYO-2026-000{person_id}", "languages": languages, "sources": sources},
            )
    upgrade_to_head(scratch_engine)
    with Session(scratch_engine) as session:
        lists = {p.id: (p.languages, p.income_sources) for p in session.exec(select(Person))}
    assert lists == {1: (["en", "yo"], ["rsa", "family"]), 2: ([], [])}
    downgrade_to(scratch_engine, "0005")
    with scratch_engine.connect() as connection:
        rows = connection.execute(text("SELECT id, languages, income_sources FROM person ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, "en,yo", "rsa,family"), (2, None, None)]


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_a_database_seeded_before_the_marker_is_marked_as_demo_data(scratch_engine):
    """0011: a database holding demo accounts gets the demo marker; one holding only real accounts does not."""
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0006")
    insert = (
        "INSERT INTO app_user (id, username, display_name, password_hash, role, is_active, is_demo, "
        "failed_login_count, created_at, updated_at, version) VALUES "
        "(:id, :username, 'Nom', 'x', 'direction', true, :demo, 0, '2026-01-05', '2026-01-05', 1)"
    )
    with scratch_engine.begin() as connection:
        connection.execute(text(insert), {"id": 1, "username": "dir.nat", "demo": False})
    upgrade_to_head(scratch_engine)
    with scratch_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM association")).scalar_one() == 0
    downgrade_to(scratch_engine, "0006")
    with scratch_engine.begin() as connection:
        connection.execute(text(insert), {"id": 2, "username": "direction", "demo": True})
    upgrade_to_head(scratch_engine)
    with scratch_engine.connect() as connection:
        marker = connection.execute(text("SELECT id, name, holds_demo_data FROM association")).all()
    assert [tuple(row) for row in marker] == [(1, None, True)]
