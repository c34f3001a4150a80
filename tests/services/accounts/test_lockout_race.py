"""The lockout holds when guesses arrive together: twenty wrong passwords sent at the same moment, from
threads of one process or of two processes, have at most five of them checked; the right password
sent after them is locked out. On SQLite (a file) and PostgreSQL, committed as the app commits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session

import clock
from models.organisation import Role, User
from services.accounts import auth, passwords
from services.accounts.auth import LoginOutcome
from services.platform.config import PROJECT_ROOT, load_settings
from services.platform.db import make_engine, upgrade_to_head
from tests.conftest import _private_postgres_database, backends

USERNAME, PASSWORD, WRONG = "cible.course", "le bon mot de passe 2026", "une supposition fausse"
GUESSES = 20


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A migrated database holding one account, committed (the guesses run in their own sessions)."""
    if request.param == "sqlite":
        url, context = f"sqlite:///{tmp_path / 'race.db'}", None
    else:
        context = _private_postgres_database(f"parcours_race_{os.getpid()}")
        url = context.__enter__()
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as session:
        session.add(
            User(
                username=USERNAME,
                display_name="Compte visé",
                password_hash=passwords.hash_password(PASSWORD, rounds=4),
                role=Role.INTERVENANT,
            )
        )
        session.commit()
    engine.dispose()
    try:
        yield url
    finally:
        if context is not None:
            context.__exit__(None, None, None)


def guesses_at_once(url: str, count: int) -> list[str]:
    """`count` wrong passwords from as many threads released together; their outcomes."""
    settings = load_settings()
    engine = make_engine(url)
    start = threading.Barrier(count, timeout=60)  # a thread that fails breaks the barrier: no test hangs
    outcomes: list[str] = []

    def guess() -> None:
        with Session(engine) as session:
            start.wait()
            outcomes.append(auth.authenticate(session, settings, USERNAME, WRONG).outcome.value)

    threads = [threading.Thread(target=guess) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    return outcomes


def _checked_and_refused(url: str) -> tuple[int, int]:
    """(attempts whose password was checked, attempts refused unchecked), from the audit log."""
    engine = make_engine(url)
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.text("SELECT action, COUNT(*) FROM audit_event WHERE action LIKE 'login.%' GROUP BY action")
            ).all()
        )
    engine.dispose()
    return counts.get("login.failure", 0), counts.get("login.locked", 0)


def _the_right_password(url: str) -> LoginOutcome:
    engine = make_engine(url)
    with Session(engine) as session:
        outcome = auth.authenticate(session, load_settings(), USERNAME, PASSWORD).outcome
    engine.dispose()
    return outcome


def test_twenty_guesses_at_once_from_threads_check_five_passwords_at_most(database_url):
    outcomes = guesses_at_once(database_url, GUESSES)
    threshold = load_settings().lockout_threshold
    assert len(outcomes) == GUESSES
    assert _checked_and_refused(database_url) == (threshold, GUESSES - threshold)
    assert Counter(outcomes) == {"invalid": threshold - 1, "locked": GUESSES - threshold + 1}
    assert _the_right_password(database_url) == LoginOutcome.LOCKED


GUESSING_PROCESS = """
import json, sys
from tests.services.accounts.test_lockout_race import guesses_at_once
print(json.dumps(guesses_at_once(sys.argv[1], int(sys.argv[2]))))
"""


def test_guesses_from_two_processes_share_one_count(database_url):
    # The guessing processes start on this process's clock as it reads now: the pinned test clock keeps
    # running, and a suite that has run longer than the lockout would otherwise see their lock expired.
    env = os.environ | {"PARCOURS_CLOCK": clock.now().isoformat()}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", GUESSING_PROCESS, database_url, str(GUESSES // 2)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
        outcomes += json.loads(out.strip().splitlines()[-1])
    threshold = load_settings().lockout_threshold
    assert len(outcomes) == GUESSES
    assert _checked_and_refused(database_url) == (threshold, GUESSES - threshold)
    assert _the_right_password(database_url) == LoginOutcome.LOCKED
