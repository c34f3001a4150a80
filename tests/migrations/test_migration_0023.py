"""0023 (national posts): post, budget line and expense may have no site; a partial unique index refuses a second
national line of the same grant, strand and category; going down is refused while a national row exists."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.platform.db import alembic_config, downgrade_to, upgrade_to_head
from tests.migrations.rows import BACKENDS, STAMP

NATIONAL_POST = (
    "INSERT INTO post (id, site_id, post_type, fte_hundredths, monthly_cost_cents, starts_on, is_filled, "
    "status_since, version, created_at, updated_at) VALUES (1, NULL, 'national_project_officer', 100, 490000, "
    "'2026-01-01', true, '2026-01-01', 1, " + STAMP + ", " + STAMP + ")"
)
NATIONAL_LINE = (
    "INSERT INTO budget_line (id, grant_id, strand_id, site_id, category, planned_cents, version, created_at, "
    "updated_at) VALUES ({id}, 1, 1, NULL, '64', 1000, 1, " + STAMP + ", " + STAMP + ")"
)


def _rows(engine, sql: str) -> list[tuple]:
    with engine.begin() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _execute(engine, *statements: str) -> None:
    with engine.begin() as connection:
        for sql in statements:
            connection.execute(text(sql))


def _grant_with_a_site_line(engine) -> None:
    _execute(
        engine,
        "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
        f"VALUES (1, 'LYO', 'Lyon', 'Lyon', true, {STAMP}, {STAMP})",
        f"INSERT INTO funder (id, name, kind, created_at, updated_at) VALUES (1, 'AGRASC', 'agrasc', {STAMP}, {STAMP})",
        'INSERT INTO "grant" (id, funder_id, name, convention_ref, amount_cents, starts_on, ends_on, tolerance_bp, '
        f"indirect_rate_bp, version, created_at, updated_at) VALUES (1, 1, 'C', 'REF', 1000, '2026-01-01', "
        f"'2026-12-31', 1000, 0, 1, {STAMP}, {STAMP})",
        f"INSERT INTO strand (id, grant_id, name, created_at, updated_at) VALUES (1, 1, 'AV', {STAMP}, {STAMP})",
        "INSERT INTO budget_line (id, grant_id, strand_id, site_id, category, planned_cents, version, created_at, "
        f"updated_at) VALUES (1, 1, 1, 1, '64', 1000, 1, {STAMP}, {STAMP})",
    )


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_national_rows_up_and_down(scratch_engine):
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0022")
    _grant_with_a_site_line(scratch_engine)
    # Before 0023 a line needs a site.
    with pytest.raises(IntegrityError):
        _execute(scratch_engine, NATIONAL_LINE.format(id=2))

    upgrade_to_head(scratch_engine)
    _execute(
        scratch_engine,
        NATIONAL_LINE.format(id=2),
        "INSERT INTO expense (id, budget_line_id, grant_id, site_id, spent_on, amount_cents, label, version, "
        f"created_at, updated_at) VALUES (1, 2, 1, NULL, '2026-02-01', 300, 'Coordination', 1, {STAMP}, {STAMP})",
        NATIONAL_POST,
    )
    assert _rows(scratch_engine, "SELECT id, site_id FROM budget_line ORDER BY id") == [(1, 1), (2, None)]
    # A second national line of the same grant, strand and category is refused (the site line is not one).
    with pytest.raises(IntegrityError):
        _execute(scratch_engine, NATIONAL_LINE.format(id=3))
    _execute(scratch_engine, NATIONAL_LINE.replace("'64'", "'62'").format(id=3))

    # Down from 0023 is refused while a national row exists, and leaves everything as it was (refused several
    # steps down, the later steps are undone too: test_a_downgrade_refused_several_steps_down_changes_nothing).
    downgrade_to(scratch_engine, "0023")
    with pytest.raises(RuntimeError, match="national rows"):
        downgrade_to(scratch_engine, "0022")
    assert _rows(scratch_engine, "SELECT version_num FROM alembic_version") == [("0023",)]
    assert _rows(scratch_engine, "SELECT COUNT(*) FROM budget_line WHERE site_id IS NULL") == [(2,)]

    _execute(
        scratch_engine,
        "DELETE FROM expense WHERE site_id IS NULL",
        "DELETE FROM budget_line WHERE site_id IS NULL",
        "UPDATE post SET site_id = 1",
    )
    downgrade_to(scratch_engine, "0022")
    assert _rows(scratch_engine, "SELECT id, site_id FROM post") == [(1, 1)]
    with pytest.raises(IntegrityError):
        _execute(scratch_engine, "UPDATE post SET site_id = NULL")
    upgrade_to_head(scratch_engine)
    assert _rows(scratch_engine, "SELECT id, site_id FROM budget_line") == [(1, 1)]


def _refused_from_0024_down_to_0022_changes_nothing(engine, downgrade) -> None:
    """From 0024 down to 0022, 0024's step drops the alias index, then 0023's refuses (a national post). The
    run is one transaction: the refusal undoes the drop too (the sqlite3 driver would otherwise have run that
    DDL outside the transaction, committed at once)."""
    _execute(engine, NATIONAL_POST)

    with pytest.raises(RuntimeError, match="national rows"):
        downgrade("0022")

    assert _rows(engine, "SELECT version_num FROM alembic_version") == [("0024",)]
    assert _rows(engine, "SELECT COUNT(*) FROM person_alias_token") == [(0,)]
    assert _rows(engine, "SELECT id, site_id FROM post") == [(1, None)]


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_a_downgrade_refused_several_steps_down_changes_nothing(scratch_engine):
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0024")
    _refused_from_0024_down_to_0022_changes_nothing(
        scratch_engine, lambda revision: downgrade_to(scratch_engine, revision)
    )


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_the_alembic_command_on_a_url_too(scratch_database_url, scratch_engine):
    # `alembic` run on the database's URL: migrations/env.py opens its own connection.
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", scratch_database_url)
    command.upgrade(config, "0024")
    _refused_from_0024_down_to_0022_changes_nothing(
        scratch_engine, lambda revision: command.downgrade(config, revision)
    )
