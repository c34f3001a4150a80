"""Alembic migrations: they build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, select

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from models.persons import Person
from services.platform.crypto import FieldCipher
from services.platform.db import alembic_config, downgrade_to, make_engine, upgrade_to_head
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.migrations.rows import BACKENDS
from tests.sealed import assert_sealed


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


@pytest.mark.parametrize("scratch_database_url", [BACKENDS[1]], indirect=True)
def test_processes_starting_together_on_an_empty_database_all_start(scratch_database_url):
    """Several app processes on one PostgreSQL each migrate at start (deploy/systemd/parcours@.service):
    one builds the schema, the others wait for it and find it done, none fails."""
    engines = [make_engine(scratch_database_url) for _ in range(3)]
    failures: list[BaseException] = []

    def start(engine) -> None:
        try:
            upgrade_to_head(engine)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    try:
        assert failures == []
        assert schema_differences(engines[0]) == []
    finally:
        for engine in engines:
            engine.dispose()


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
def test_an_installation_with_records_pointing_at_persons_upgrades(scratch_engine):
    """A database at 0005 whose persons have goals (every record points at its person): rebuilding `person`
    in 0006 must keep them (SQLite used to refuse: FOREIGN KEY constraint failed) and keep the links."""
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0005")
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
                "VALUES (1, 'LYO', 'Lyon', 'Lyon', true, '2026-01-05', '2026-01-05')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO person (id, code, code_year, code_number, site_id, first_contact_on, intake_on, "
                "origin, gender, consent_on, consent_processing, consent_partner_sharing, consent_statistics, "
                "status, last_contact_on, version, created_at, updated_at, languages, income_sources) VALUES "
                "(1, 'LYO-2022-0001', 2022, 1, 1, '2022-03-15', '2022-03-15', 'self', 'undisclosed', '2022-03-15', "
                "true, false, true, 'active', '2022-03-15', 1, '2022-03-15', '2022-03-15', 'en,yo', NULL)"
            )
        )
        _a_goal(connection, 1, 1, "Trouver un logement", None)
    upgrade_to_head(scratch_engine)
    with scratch_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT g.id, p.code FROM action_goal g JOIN person p ON p.id = g.person_id")
        ).all()
        assert [tuple(r) for r in rows] == [(1, "LYO-2022-0001")]
        if scratch_engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on after migrating


def _a_person(connection, person_id: int, **values) -> None:
    day = date(2022, 3, 15)
    row = {
        "id": person_id,
        "code": f"LYO-2022-000{person_id}",
        "code_year": 2022,
        "code_number": person_id,
        "site_id": 1,
        "first_contact_on": day,
        "intake_on": day,
        "origin": "self",
        "gender": "undisclosed",
        "consent_on": day,
        "consent_processing": True,
        "consent_partner_sharing": False,
        "consent_statistics": True,
        "status": "active",
        "last_contact_on": day,
        "version": 1,
        "created_at": day,
        "updated_at": day,
        "languages": [],
        "income_sources": [],
    }
    row |= values
    lists = ("languages", "income_sources")
    table = sa.table("person", *(sa.column(column, sa.JSON if column in lists else None) for column in row))
    connection.execute(sa.insert(table).values(**row))


def _a_goal(connection, goal_id: int, person_id: int, goal: str, actions: str | None) -> None:
    connection.execute(
        text(
            "INSERT INTO action_goal (id, person_id, site_id, axis, goal, actions, status, version, created_at, "
            "updated_at) VALUES (:id, :person_id, 1, 'housing', :goal, :actions, 'open', 1, '2022-03-15', '2022-03-15')"
        ),
        {"id": goal_id, "person_id": person_id, "goal": goal, "actions": actions},
    )


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_free_texts_are_encrypted_and_old_anonymised_files_finished_then_decrypted_back(scratch_engine):
    """0007: a closing reason and a goal written in clear read as Fernet tokens of the configured key
    after the upgrade; a file anonymised before loses its texts, languages, birth year and exact dates;
    the downgrade gives the texts back in clear."""
    key = FieldCipher([TEST_ENCRYPTION_KEY])
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0006")
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
                "VALUES (1, 'LYO', 'Lyon', 'Lyon', true, '2026-01-05', '2026-01-05')"
            )
        )
        _a_person(connection, 1, status="closed", closed_on=date(2022, 9, 20), closed_reason="Partie chez Ada")
        _a_person(
            connection,
            2,
            status="anonymised",
            birth_year=1990,
            gender="woman",
            nationality="NG",
            languages=["en", "ig"],
        )
        _a_goal(connection, 1, 1, "Logement près de Ada", "Appeler le SIAO")
        _a_goal(connection, 2, 2, "Rejoindre sa sœur Ada", None)

    upgrade_to_head(scratch_engine)

    with scratch_engine.connect() as connection:
        reason = connection.execute(text("SELECT closed_reason FROM person WHERE id = 1")).scalar_one()
        goals = connection.execute(text("SELECT goal, actions FROM action_goal ORDER BY id")).all()
        anonymised = connection.execute(
            text(
                "SELECT birth_year, age_band, gender, nationality, nationality_region, intake_on, last_contact_on "
                "FROM person WHERE id = 2"
            )
        ).one()
    assert_sealed(reason, key, "Partie chez Ada")
    assert [(key.decrypt(goal), key.decrypt(actions)) for goal, actions in goals] == [
        ("Logement près de Ada", "Appeler le SIAO"),
        ("Objectif anonymisé", None),
    ]
    assert tuple(anonymised)[:5] == (None, None, "undisclosed", None, None)  # alone: nothing kept
    assert [str(day)[:10] for day in tuple(anonymised)[5:]] == ["2022-03-01", "2022-03-01"]
    with Session(scratch_engine) as session:
        assert session.get(Person, 2).languages == []
        assert session.get(Person, 1).closed_reason == "Partie chez Ada"  # read through the models' type

    downgrade_to(scratch_engine, "0006")
    with scratch_engine.connect() as connection:
        reason = connection.execute(text("SELECT closed_reason FROM person WHERE id = 1")).scalar_one()
        goals = connection.execute(text("SELECT goal, actions FROM action_goal ORDER BY id")).all()
    assert reason == "Partie chez Ada"
    assert [tuple(goal) for goal in goals] == [
        ("Logement près de Ada", "Appeler le SIAO"),
        ("Objectif anonymisé", None),
    ]


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


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_consents_refused_before_the_history_become_refusals_at_intake(scratch_engine):
    """0012: a file refusing statistics or partner sharing gets a refusal at intake in the history (it applies
    to every day, as the column did); a file consenting to both gets none; going down drops the history."""
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0011")
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
                "VALUES (1, 'LYO', 'Lyon', 'Lyon', true, '2026-01-05', '2026-01-05')"
            )
        )
        _a_person(connection, 1, consent_statistics=False, consent_partner_sharing=True)
        _a_person(connection, 2, consent_statistics=True, consent_partner_sharing=True)
        _a_person(connection, 3, consent_statistics=False, consent_partner_sharing=False, intake_on=date(2022, 4, 1))
        _a_person(connection, 4, consent_statistics=True, consent_partner_sharing=False)
    upgrade_to_head(scratch_engine)
    with scratch_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT person_id, site_id, scope, given, effective_on, at_intake, author_id FROM consent_change "
                "ORDER BY person_id, scope"
            )
        ).all()
    found = [
        (p, site, scope, bool(given), str(on), bool(intake), author)
        for p, site, scope, given, on, intake, author in rows
    ]
    assert found == [
        (1, 1, "statistics", False, "2022-03-15", True, None),
        (3, 1, "partner_sharing", False, "2022-04-01", True, None),
        (3, 1, "statistics", False, "2022-04-01", True, None),
        (4, 1, "partner_sharing", False, "2022-03-15", True, None),
    ]
    downgrade_to(scratch_engine, "0011")
    assert "consent_change" not in tables(scratch_engine)


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_appointments_and_corrections_keep_the_existing_ratings_partners_and_outcomes(scratch_engine):
    """0016: existing barrier ratings get version 1 and no correction, partners and outcomes keep their values;
    the new values of the enums (a lawyer, a voluntary return, a safety barrier) need no schema change and
    survive going down, which drops the appointments and the correction columns but keeps every rating."""
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0014")
    stamp = "'2022-03-15'"
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
                "VALUES (1, 'LYO', 'Lyon', 'Lyon', true, '2026-01-05', '2026-01-05')"
            )
        )
        _a_person(connection, 1)
        connection.execute(
            text(
                "INSERT INTO barrier_assessment (id, person_id, site_id, assessed_on, barrier, severity, "
                f"created_at, updated_at) VALUES (1, 1, 1, '2022-03-15', 'health', 'major', {stamp}, {stamp}), "
                f"(2, 1, 1, '2022-09-15', 'health', 'partial', {stamp}, {stamp})"
            )
        )
        connection.execute(
            text(
                "INSERT INTO partner (id, site_id, name, kind, is_active, version, created_at, updated_at) "
                f"VALUES (1, 1, 'PASS', 'health', true, 1, {stamp}, {stamp})"
            )
        )
        connection.execute(
            text(
                "INSERT INTO outcome (id, person_id, site_id, outcome_on, category, outcome_type, closes_file, "
                f"version, created_at, updated_at) VALUES (1, 1, 1, '2022-10-01', 'other', 'other', false, 1, "
                f"{stamp}, {stamp})"
            )
        )
    upgrade_to_head(scratch_engine)
    with scratch_engine.begin() as connection:
        rows = connection.execute(
            text(
                "SELECT id, severity, version, entered_severity, corrected_at, corrected_by_id "
                "FROM barrier_assessment ORDER BY id"
            )
        ).all()
        assert [tuple(r) for r in rows] == [(1, "major", 1, None, None, None), (2, "partial", 1, None, None, None)]
        assert tables(scratch_engine) >= {"appointment"}
        connection.execute(
            text(
                "INSERT INTO appointment (id, person_id, site_id, appointment_on, kind, duration_minutes, version, "
                f"created_at, updated_at) VALUES (1, 1, 1, '2022-10-02', 'accompaniment_prefecture', 180, 1, {stamp}, "
                f"{stamp})"
            )
        )
        connection.execute(
            text(
                "UPDATE barrier_assessment SET severity = 'none', entered_severity = 'partial', version = 2 "
                "WHERE id = 2"
            )
        )
        connection.execute(
            text(
                "INSERT INTO barrier_assessment (id, person_id, site_id, assessed_on, barrier, severity, version, "
                f"created_at, updated_at) VALUES (3, 1, 1, '2022-09-15', 'safety', 'major', 1, {stamp}, {stamp})"
            )
        )
        connection.execute(
            text(
                "INSERT INTO partner (id, site_id, name, kind, is_active, version, created_at, updated_at) "
                f"VALUES (2, 1, 'Maître Diallo', 'lawyer', true, 1, {stamp}, {stamp})"
            )
        )
        connection.execute(
            text("UPDATE outcome SET category = 'voluntary_return', outcome_type = 'voluntary_return' WHERE id = 1")
        )
    downgrade_to(scratch_engine, "0014")
    assert "appointment" not in tables(scratch_engine)
    with scratch_engine.connect() as connection:
        ratings = connection.execute(text("SELECT id, barrier, severity FROM barrier_assessment ORDER BY id")).all()
        assert [tuple(r) for r in ratings] == [(1, "health", "major"), (2, "health", "none"), (3, "safety", "major")]
        kinds = connection.execute(text("SELECT kind FROM partner ORDER BY id")).scalars().all()
        assert kinds == ["health", "lawyer"]
        outcome = connection.execute(text("SELECT category, outcome_type FROM outcome")).one()
        assert tuple(outcome) == ("voluntary_return", "voluntary_return")
    upgrade_to_head(scratch_engine)
    assert schema_differences(scratch_engine) == []


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_existing_appointments_get_version_1_and_keep_their_values_both_ways(scratch_engine):
    """0019: an appointment recorded before it gets version 1 (it can then be corrected); going down drops
    the version and keeps the appointment."""
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0018")
    stamp = "'2026-03-15'"
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
                "VALUES (1, 'LYO', 'Lyon', 'Lyon', true, '2026-01-05', '2026-01-05')"
            )
        )
        _a_person(connection, 1)
        connection.execute(
            text(
                "INSERT INTO appointment (id, person_id, site_id, appointment_on, kind, duration_minutes, "
                f"created_at, updated_at) VALUES (7, 1, 1, '2026-03-02', 'interview', 60, {stamp}, {stamp})"
            )
        )
    upgrade_to_head(scratch_engine)
    with scratch_engine.connect() as connection:
        row = connection.execute(text("SELECT id, kind, duration_minutes, version FROM appointment")).one()
    assert tuple(row) == (7, "interview", 60, 1)
    downgrade_to(scratch_engine, "0018")
    assert "version" not in {c["name"] for c in inspect(scratch_engine).get_columns("appointment")}
    with scratch_engine.connect() as connection:
        row = connection.execute(text("SELECT id, kind, duration_minutes FROM appointment")).one()
    assert tuple(row) == (7, "interview", 60)
