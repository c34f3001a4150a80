"""A database that fails never loses a write silently (issue 14).

The app's engine (`make_engine(..., create=False)`, as ui.platform.runtime makes it) on a real file or a
real PostgreSQL database, with real commits: a save that the database refuses raises
DatabaseUnavailable, saying whether a retry may help, and leaves nothing behind; a SQLite file that
disappears is never written into or created again; a dropped PostgreSQL connection is replaced.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import clock
from models.organisation import Role, Site, User
from models.outreach import OutreachArea, OutreachMode, OutreachRound
from services.activities import outreach
from services.platform.db import make_engine, read, unit_of_work, upgrade_to_head
from services.platform.errors import DatabaseUnavailable
from services.platform.principal import Principal
from tests import factories
from tests.conftest import _private_postgres_database


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, int, int]:
    """A migrated SQLite file holding a Lyon site and its social worker: (file, site id, user id)."""
    path = tmp_path_factory.mktemp("faults") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        site = factories.a_site(session, "LYO", "Lyon")
        user = factories.a_user(session, Role.INTERVENANT, site)
        session.commit()
        ids = site.id, user.id
    engine.dispose()
    return path, *ids


@pytest.fixture
def installed(template, tmp_path) -> Iterator[tuple[Path, Engine, Principal, int]]:
    """A copy of the template opened as the app opens it: (file, app engine, social worker, site id)."""
    source, site_id, user_id = template
    path = tmp_path / "parcours.db"
    shutil.copy(source, path)
    engine = make_engine(f"sqlite:///{path}", create=False)
    with unit_of_work(engine) as session:
        principal = factories.principal(session, session.get(User, user_id))
    yield path, engine, principal, site_id
    engine.dispose()


def a_round(site_id: int, user_id: int) -> dict[str, object]:
    return {
        "site_id": site_id,
        "round_on": clock.today() - timedelta(days=1),
        "start_time": time(21, 0),
        "duration_minutes": 120,
        "mode": OutreachMode.STREET,
        "area": OutreachArea.ROADSIDE_VANS,
        "staff_ids": [user_id],
        "persons_met": 9,
        "new_contacts": 2,
        "conversations": 4,
        "referred_to_intake": 1,
        "condoms_given": 40,
        "leaflets_given": 5,
        "hygiene_kits_given": 2,
    }


def save_round(engine: Engine, principal: Principal, site_id: int) -> None:
    with unit_of_work(engine) as session:
        outreach.log_round(session, principal, data=a_round(site_id, principal.user_id))


def rounds_in(path: Path) -> int:
    """Rounds in the file, read by a connection of its own."""
    engine = make_engine(f"sqlite:///{path}", create=False)
    try:
        with unit_of_work(engine) as session:
            return session.exec(select(sa.func.count()).select_from(OutreachRound)).one()
    finally:
        engine.dispose()


def test_a_save_on_a_working_database_is_committed(installed):
    path, engine, principal, site_id = installed
    save_round(engine, principal, site_id)
    assert rounds_in(path) == 1


def test_a_read_only_database_refuses_the_save_and_says_to_call_the_administrator(installed):
    """As root, chmod does not stop a write; `query_only` gives the same SQLite answer (SQLITE_READONLY)."""
    path, engine, principal, site_id = installed

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    engine.dispose()  # the pool's connections open again, read-only
    with pytest.raises(DatabaseUnavailable) as refused:
        save_round(engine, principal, site_id)
    assert refused.value.retry is False
    assert "rien n'a été enregistré" in str(refused.value)
    assert "administrat" in str(refused.value)
    sa.event.remove(engine, "connect", _read_only)
    assert rounds_in(path) == 0


def test_a_database_file_deleted_mid_session_is_neither_written_nor_created_again(installed):
    path, engine, principal, site_id = installed
    save_round(engine, principal, site_id)  # the pool now holds a connection to the file
    path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    with pytest.raises(DatabaseUnavailable) as refused:
        save_round(engine, principal, site_id)
    assert refused.value.retry is False
    # reading too: no page is drawn from a deleted file
    with pytest.raises(DatabaseUnavailable), unit_of_work(engine) as session:
        session.exec(select(OutreachRound)).all()
    assert not path.exists()


def test_a_file_deleted_during_a_unit_of_work_fails_its_commit(installed):
    """The connection was taken before the file went: SQLite would commit into the deleted file."""
    path, engine, principal, site_id = installed
    with pytest.raises(DatabaseUnavailable), unit_of_work(engine) as session:
        session.exec(select(OutreachRound)).all()
        path.unlink()
        outreach.log_round(session, principal, data=a_round(site_id, principal.user_id))
    assert not path.exists()


def test_the_app_engine_never_creates_a_missing_database(tmp_path):
    path = tmp_path / "never-installed.db"
    engine = make_engine(f"sqlite:///{path}", create=False)
    with pytest.raises(DatabaseUnavailable):
        upgrade_to_head(engine)
    engine.dispose()
    assert not path.exists()


def test_an_error_of_the_use_case_itself_is_not_called_unavailable(installed):
    """A constraint refused is a bug or a rule, not a database away: it keeps its own exception."""
    _path, engine, _principal, _site_id = installed
    with pytest.raises(sa.exc.IntegrityError), unit_of_work(engine) as session:
        session.add(Site(code="LYO", name="Lyon bis", city="Lyon"))
        session.commit()


# --- PostgreSQL: a restart seen as connections terminated by the server -------------------------------


@pytest.fixture
def postgres_app() -> Iterator[tuple[Engine, Engine, Principal, int]]:
    """A private migrated database with a Lyon social worker: (app engine, admin engine, principal, site id)."""
    with _private_postgres_database(f"parcours_faults_{os.getpid()}") as url:
        engine = make_engine(url, create=False)
        upgrade_to_head(engine)
        with unit_of_work(engine) as session:
            site = factories.a_site(session, "LYO", "Lyon")
            user = factories.a_user(session, Role.INTERVENANT, site)
            session.commit()
            principal = factories.principal(session, user)
            site_id = site.id
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            yield engine, admin, principal, site_id
        finally:
            admin.dispose()
            engine.dispose()


def terminate_app_connections(admin: Engine) -> int:
    """What a PostgreSQL restart does to the app: every other connection to its database is cut."""
    with admin.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()


def rounds(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(OutreachRound)).one()


@pytest.mark.postgres
def test_after_a_postgresql_restart_the_next_read_and_save_work(postgres_app):
    engine, admin, principal, site_id = postgres_app
    with unit_of_work(engine) as session:
        assert rounds(session) == 0  # the pool now holds a connection
    assert terminate_app_connections(admin) >= 1

    with unit_of_work(engine) as session:  # the pool's check (pre-ping) replaces the dead connection
        assert rounds(session) == 0
    save_round(engine, principal, site_id)
    assert read(engine, rounds) == 1


@pytest.mark.postgres
def test_a_read_whose_connection_drops_mid_way_is_run_again(postgres_app):
    engine, _admin, _principal, _site_id = postgres_app
    attempts: list[int] = []

    def count_rounds(session: Session) -> int:
        attempts.append(1)
        if len(attempts) == 1:  # the server goes away in the middle of the first attempt
            session.exec(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return rounds(session)

    assert read(engine, count_rounds) == 0
    assert len(attempts) == 2


@pytest.mark.postgres
def test_a_save_whose_connection_drops_says_to_retry_and_saved_nothing(postgres_app):
    engine, _admin, principal, site_id = postgres_app
    with pytest.raises(DatabaseUnavailable) as refused, unit_of_work(engine) as session:
        session.exec(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        outreach.log_round(session, principal, data=a_round(site_id, principal.user_id))
    assert refused.value.retry is True
    assert "réessayez dans un instant" in str(refused.value)
    assert read(engine, rounds) == 0
    save_round(engine, principal, site_id)  # the retry the message asks for
    assert read(engine, rounds) == 1


@pytest.mark.postgres
def test_postgresql_sessions_of_the_app_never_compile_queries_with_jit():
    """The figure queries, compiled by PostgreSQL's JIT, took 2.8-4.7 s where they run in 0.55-0.72 s
    (the funder grid after a write, large dataset): every connection of the app's engine has it off, whatever
    the server's setting."""
    from tests.conftest import postgres_url

    engine = make_engine(postgres_url())
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW jit").scalar_one() == "off"
    finally:
        engine.dispose()
