"""The bench harness on PostgreSQL at the demo size: every page × role of `make bench` once, no page error;
then `python -m bench.report_pack` builds every reader's funder pack on the same database.

A page whose SQL only SQLite accepts (a function, a GROUP BY, a comparison of types PostgreSQL refuses)
fails here. `python -m bench` runs in a process of its own (its settings point the app at the database),
on a database of its own on the TEST_DATABASE_URL server; skipped without one, unless PARCOURS_REQUIRE_ALL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import config
from bench.harness import BENCH_USERS
from services.platform.config import PROJECT_ROOT
from services.platform.pages import pages_for
from tests.conftest import _private_postgres_database

pytestmark = pytest.mark.postgres
BIN = Path(sys.executable).parent


@pytest.fixture
def bench_database() -> Iterator[str]:
    with _private_postgres_database(f"parcours_bench_{os.getpid()}") as url:
        files = config.side_files(url)
        try:
            yield url
        finally:
            files.key.unlink(missing_ok=True)
            files.seed_record.unlink(missing_ok=True)


def test_every_page_of_the_bench_runs_on_postgresql_at_the_demo_size(bench_database: str, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARCOURS_") and k != "BENCH_DATABASE_URL"}
    env["PARCOURS_CLOCK"] = os.environ["PARCOURS_CLOCK"]
    done = subprocess.run(
        [
            *(str(BIN / "python"), "-m", "bench", "--size", "demo", "--runs", "1", "--no-writes"),
            *("--database-url", bench_database, "--results", str(results)),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    document = json.loads(results.read_text())
    assert document["dataset"]["backend"] == "postgresql"
    assert document["dataset"]["size"] == "demo"
    assert document["failures"] == [], done.stdout[-3000:]
    timed = {(row["page"], row["role"]) for row in document["results"]}
    assert timed == {(page.value, user.role.value) for user in BENCH_USERS for page in pages_for(user.role)}
    assert all(row["median_ms"] is not None and row["first_run_ms"] is not None for row in document["results"])
    assert done.returncode == 0, done.stderr[-3000:]

    # The funder pack's timing tool, on the database the bench just seeded: every reader's packs are built.
    packs = subprocess.run(
        [str(BIN / "python"), "-m", "bench.report_pack", "--runs", "1", "--database-url", bench_database],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert packs.returncode == 0, packs.stderr[-3000:]
    built = [line.split()[0] for line in packs.stdout.splitlines() if " warm " in line]
    assert {"direction", "gestion", "financeur"} <= set(built), packs.stdout
