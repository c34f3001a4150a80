"""Rows written in SQL at an earlier revision, and what a migration test reads back (no model: the models are the
schema at head)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
STAMP = "'2026-01-05'"  # created_at and updated_at of the rows written here


def insert_lyon(connection: Connection) -> None:
    """The site 1, Lyon."""
    connection.execute(
        text(
            "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
            f"VALUES (1, 'LYO', 'Lyon', 'Lyon', true, {STAMP}, {STAMP})"
        )
    )


def insert_active_files(connection: Connection, *person_ids: int) -> None:
    """Active files of Lyon taken in on 1 December 2025, consenting to statistics, with these ids."""
    for person_id in person_ids:
        connection.execute(
            text(
                "INSERT INTO person (id, code, code_year, code_number, site_id, first_contact_on, intake_on, "
                "origin, gender, consent_on, consent_processing, consent_partner_sharing, consent_statistics, "
                "status, version, created_at, updated_at, languages, income_sources) VALUES "
                "(:id, :code, 2026, :id, 1, '2025-12-01', '2025-12-01', 'self', 'undisclosed', '2025-12-01', "
                f"true, false, true, 'active', 1, {STAMP}, {STAMP}, '[]', '[]')"
            ),
            {"id": person_id, "code": f"LYO-2026-000{person_id}"},
        )


def triggers(engine: Engine) -> set[str]:
    """The names of the triggers the database holds (PostgreSQL: not those of its foreign keys)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return {name for (name,) in connection.execute(text(query))}
