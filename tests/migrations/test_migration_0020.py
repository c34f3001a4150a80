"""0020 (Cerfa 15059 complete): the merged « 65-68 » lines and notes become 65; going down merges 65 to 68 back
into one line with its expenses."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services.platform.db import downgrade_to, upgrade_to_head
from tests.migrations.rows import BACKENDS, STAMP


def _rows(engine, sql: str) -> list[tuple]:
    with engine.begin() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


@pytest.mark.parametrize("scratch_database_url", BACKENDS, indirect=True)
def test_65_68_split_up_and_down(scratch_engine):
    upgrade_to_head(scratch_engine)
    downgrade_to(scratch_engine, "0018")
    with scratch_engine.begin() as connection:
        for sql in (
            "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at) "
            f"VALUES (1, 'LYO', 'Lyon', 'Lyon', true, {STAMP}, {STAMP}), (2, 'GRE', 'Grenoble', 'Grenoble', true, "
            f"{STAMP}, {STAMP})",
            "INSERT INTO funder (id, name, kind, created_at, updated_at) "
            f"VALUES (1, 'AGRASC', 'agrasc', {STAMP}, {STAMP})",
            'INSERT INTO "grant" (id, funder_id, name, convention_ref, amount_cents, starts_on, ends_on, tolerance_bp, '
            f"indirect_rate_bp, version, created_at, updated_at) VALUES (1, 1, 'C', 'REF', 1000, '2026-01-01', "
            f"'2026-12-31', 1000, 0, 1, {STAMP}, {STAMP})",
            f"INSERT INTO strand (id, grant_id, name, created_at, updated_at) VALUES (1, 1, 'AV', {STAMP}, {STAMP})",
            "INSERT INTO budget_line (id, grant_id, strand_id, site_id, category, planned_cents, version, created_at, "
            f"updated_at) VALUES (1, 1, 1, 2, '65-68', 1000, 1, {STAMP}, {STAMP})",
            "INSERT INTO budget_deviation_note (id, grant_id, category, explanation, version, created_at, updated_at) "
            f"VALUES (1, 1, '65-68', 'Cotisation', 1, {STAMP}, {STAMP})",
            "INSERT INTO expense (id, budget_line_id, grant_id, site_id, spent_on, amount_cents, label, version, "
            f"created_at, updated_at) VALUES (1, 1, 1, 2, '2026-02-01', 300, 'Cotisation', 1, {STAMP}, {STAMP})",
        ):
            connection.execute(text(sql))
    upgrade_to_head(scratch_engine)
    assert _rows(scratch_engine, "SELECT id, category, planned_cents FROM budget_line") == [(1, "65", 1000)]
    assert _rows(scratch_engine, "SELECT category FROM budget_deviation_note") == [("65",)]
    with scratch_engine.begin() as connection:
        for sql in (
            "UPDATE budget_line SET planned_cents = 250 WHERE id = 1",
            "INSERT INTO budget_line (id, grant_id, strand_id, site_id, category, planned_cents, version, created_at, "
            f"updated_at) VALUES (2, 1, 1, 2, '66', 500, 1, {STAMP}, {STAMP}), (3, 1, 1, 2, '68', 250, 1, {STAMP}, "
            f"{STAMP})",
            "INSERT INTO expense (id, budget_line_id, grant_id, site_id, spent_on, amount_cents, label, version, "
            f"created_at, updated_at) VALUES (2, 3, 1, 2, '2026-03-01', 40, 'Amortissement', 1, {STAMP}, {STAMP})",
        ):
            connection.execute(text(sql))
    downgrade_to(scratch_engine, "0018")
    assert _rows(scratch_engine, "SELECT id, category, planned_cents FROM budget_line") == [(1, "65-68", 1000)]
    assert _rows(scratch_engine, "SELECT id, budget_line_id FROM expense ORDER BY id") == [(1, 1), (2, 1)]
    upgrade_to_head(scratch_engine)
    assert _rows(scratch_engine, "SELECT category FROM budget_line") == [("65",)]
