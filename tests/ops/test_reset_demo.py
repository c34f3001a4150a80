"""`make reset-demo` (`python -m ops.reset_demo`, then the start-up seeds again): it deletes a demo database,
and nothing else (issue 20). Run as a subprocess, on a SQLite file of its own."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session

from models.organisation import Association, Site
from services.platform.config import PROJECT_ROOT
from services.platform.db import make_engine, upgrade_to_head

TIMEOUT = 120


@pytest.fixture
def demo_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    database = tmp_path / "data" / "parcours.db"
    database.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARCOURS_") and k != "DATABASE_URL"}
    env |= {
        "PARCOURS_MODE": "demo",
        "PARCOURS_DATABASE_URL": f"sqlite:///{database}",
        "PARCOURS_COOKIE_KEY": secrets.token_urlsafe(48),
        "PARCOURS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    return env, database


def a_database(database: Path, *, demo: bool) -> None:
    """A migrated database holding the demo marker (what the seed writes) or an association's own site."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        upgrade_to_head(engine)
        with Session(engine) as session:
            session.add(Association(name="Association", holds_demo_data=demo))
            if not demo:
                session.add(Site(code="LYO", name="Lyon", city="Lyon"))
            session.commit()
    finally:
        engine.dispose()
    database.with_name("parcours.db.installed").touch()


def reset(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ops.reset_demo"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=TIMEOUT,
    )  # fmt: skip


def test_a_demo_database_is_deleted_with_its_installation_marker(demo_env) -> None:
    env, database = demo_env
    a_database(database, demo=True)
    database.with_name("parcours.db-wal").write_bytes(b"")
    done = reset(env)
    assert done.returncode == 0, done.stderr
    assert f"Base de démonstration effacée : {database}" in done.stdout
    assert sorted(p.name for p in database.parent.iterdir()) == []  # the next start-up is a first run


def test_a_database_with_real_data_is_kept(demo_env) -> None:
    env, database = demo_env
    a_database(database, demo=False)
    done = reset(env)
    assert done.returncode == 2
    assert "ne sont pas celles de la démonstration" in done.stderr
    assert database.exists() and database.with_name("parcours.db.installed").exists()


def test_production_mode_and_postgresql_are_refused(demo_env) -> None:
    env, database = demo_env
    a_database(database, demo=True)
    production = env | {"PARCOURS_MODE": "production"}
    done = reset(production)
    assert done.returncode == 2 and database.exists()
    postgres = env | {"PARCOURS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    done = reset(postgres)
    assert done.returncode == 2 and "n'est pas un fichier SQLite" in done.stderr
    assert database.exists()
