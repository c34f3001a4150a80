"""The lockout holds when guesses arrive together: twenty wrong passwords sent at the same moment, from
threads of one process or of two processes, have at most five of them checked; the right password
sent after them is locked out. On SQLite (a file) and PostgreSQL, committed as the app commits."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.organisation import Role, User
from services.accounts import auth, passwords
from services.accounts.auth import LoginOutcome
from services.platform.config import load_settings
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
    start = threading.Barrier(count)
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


def test_guesses_from_two_processes_share_one_count(database_url):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        outcomes = [o for batch in pool.starmap(guesses_at_once, [(database_url, GUESSES // 2)] * 2) for o in batch]
    threshold = load_settings().lockout_threshold
    assert len(outcomes) == GUESSES
    assert _checked_and_refused(database_url) == (threshold, GUESSES - threshold)
    assert _the_right_password(database_url) == LoginOutcome.LOCKED
