"""`make run` never replaces an installed database that went missing (issue 14: the SQLite file was
removed, `make run` built a fresh database and every change was gone).

`python -m ops.bootstrap` (what `make run` runs first) and the operators' commands, as subprocesses, in
production mode on a SQLite file of their own.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.platform.config import PROJECT_ROOT

TIMEOUT = 120


@pytest.fixture
def production_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    database = tmp_path / "data" / "parcours.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARCOURS_") and k != "DATABASE_URL"}
    env |= {
        "PARCOURS_MODE": "production",
        "PARCOURS_DATABASE_URL": f"sqlite:///{database}",
        "PARCOURS_COOKIE_KEY": secrets.token_urlsafe(48),
        "PARCOURS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PARCOURS_BCRYPT_ROUNDS": "4",
    }
    return env, database


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


def test_bootstrap_creates_the_database_on_the_first_run_only_and_refuses_a_missing_one(production_env):
    env, database = production_env
    marker = database.with_name("parcours.db.installed")

    first = run(env, "ops.bootstrap")
    assert first.returncode == 0, first.stderr
    assert database.exists() and marker.exists()
    assert run(env, "ops.bootstrap").returncode == 0  # an ordinary restart

    database.unlink()
    refused = run(env, "ops.bootstrap")
    assert refused.returncode == 3
    assert f"Base de données introuvable : {database}" in refused.stderr
    assert f"Database not found: {database}" in refused.stderr
    assert "Remettez le fichier en place" in refused.stderr and str(marker) in refused.stderr
    assert not database.exists()

    marker.unlink()  # the operator starts from scratch on purpose
    again = run(env, "ops.bootstrap")
    assert again.returncode == 0, again.stderr
    assert database.exists() and marker.exists()


def test_an_operators_command_on_a_missing_database_fails_and_creates_nothing(production_env):
    env, database = production_env
    done = run(env, "ops.cli", "list-sites")
    assert done.returncode == 1
    assert done.stderr.startswith("Erreur : ") and "unable to open database file" in done.stderr
    assert not database.exists()
