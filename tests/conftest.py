"""Shared fixtures.

Service tests run on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set.
Each test runs in a transaction that is rolled back (services' commits release a
savepoint only), so tests do not see each other's rows.

PARCOURS_REQUIRE_ALL=1 (set by .ci/run) turns a missing PostgreSQL or chromium
into a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import settings as hypothesis_settings

# The day the tests live on, whatever the calendar says (clock.py): a Wednesday morning in Paris.
# `PARCOURS_CLOCK=2028-02-29T00:30 make test` runs the whole suite on another day (.ci/run does,
# for the date-sensitive part); a test that needs its own day says so with `clock.pinned(...)`.
DEFAULT_TEST_CLOCK = "2026-11-18T10:00"
os.environ.setdefault("PARCOURS_CLOCK", DEFAULT_TEST_CLOCK)

# Configuration for everything the tests import (before services.platform.config is read).
_TMP = Path(tempfile.mkdtemp(prefix="parcours-tests-"))
TEST_ENCRYPTION_KEY = Fernet.generate_key().decode()
os.environ.update(
    {
        "PARCOURS_MODE": "demo",
        "PARCOURS_DATABASE_URL": f"sqlite:///{_TMP / 'app.db'}",
        "PARCOURS_COOKIE_KEY": "test-cookie-key-" + "x" * 40,
        "PARCOURS_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "PARCOURS_LOGIN_SLEEP_TIME": "0",
        "PARCOURS_BCRYPT_ROUNDS": "4",
        "PARCOURS_VALIDATE_CHART_SPECS": "1",  # every chart a page test draws is checked against the schema
    }
)
os.environ.pop("DATABASE_URL", None)

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from services.platform import config  # noqa: E402
from services.platform.config import Settings, load_settings  # noqa: E402
from services.platform.db import make_engine, upgrade_to_head  # noqa: E402

# Property-based tests: the same examples on every run and every machine (`derandomize`), no example
# database, and a deadline per example generous enough for a loaded 2-core CI machine.
# `HYPOTHESIS_PROFILE=explore make test` draws new examples, ten times as many, to look for new bugs.
hypothesis_settings.register_profile("deterministic", max_examples=200, derandomize=True, database=None, deadline=2_000)
hypothesis_settings.register_profile("explore", max_examples=2_000, deadline=2_000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

REQUIRE_ALL = os.environ.get("PARCOURS_REQUIRE_ALL") == "1"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
APP_DB_URL = os.environ["PARCOURS_DATABASE_URL"]


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"required by CI but unavailable: {reason}")
    pytest.skip(reason)


def postgres_url() -> str:
    if not POSTGRES_URL:
        skip_or_fail("TEST_DATABASE_URL is not set")
    return Settings(database_url=POSTGRES_URL).database_url


def backends() -> list:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


def _sqlite_real_transactions(engine: Engine) -> None:
    """Let SQLAlchemy emit BEGIN itself on this test engine (SQLAlchemy docs, "Enabling Non-Legacy
    SQLite Transactional Modes").

    In its legacy mode the sqlite3 driver sends no BEGIN before a SELECT or a SAVEPOINT, so the
    session's first SAVEPOINT became the outermost transaction and a service's commit (its RELEASE)
    committed for good: rows leaked from one test into the next. The app keeps the driver's mode:
    with a deferred BEGIN, a unit of work that reads then writes fails at once with "database is
    locked" when another connection wrote in between (two logins at the same moment).
    """

    @event.listens_for(engine, "connect")
    def _driver_autocommit(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def _private_postgres_database(name: str) -> Iterator[str]:
    """A database of its own on the TEST_DATABASE_URL server, dropped afterwards: two test runs on
    one server (two terminals, parallel agents) never drop each other's tables."""
    base = make_url(postgres_url())
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_database_url(backend: str, name: str) -> Iterator[str]:
    """The URL of an empty database of `backend` ('sqlite' or 'postgresql') migrated to head, of this
    process alone (its name carries the pid: xdist workers never drop each other's), dropped afterwards.
    For tests that need real commits: what the cache serves, what a second engine sees."""
    if backend == "sqlite":
        path = _TMP / f"{name}-{os.getpid()}.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        _upgrade(url)
        try:
            yield url
        finally:
            path.unlink(missing_ok=True)
        return
    with _private_postgres_database(f"{name}_{os.getpid()}") as url:
        _upgrade(url)
        yield url


@contextmanager
def two_engines(backend: str, name: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database of `migrated_database_url`: two app processes. The process's cached
    aggregates (services.platform.data_version) are forgotten before and after: each test starts cold."""
    from services.platform import data_version
    from services.platform.db import make_engine

    data_version.clear_cache()
    with migrated_database_url(backend, name) as url:
        first, second = make_engine(url), make_engine(url)
        try:
            yield first, second
        finally:
            first.dispose()
            second.dispose()
    data_version.clear_cache()


def _upgrade(url: str) -> None:
    from services.platform.db import make_engine, upgrade_to_head

    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()


@contextmanager
def demo_data_engine(backend: str, name: str, *, as_of, cipher) -> Iterator[Engine]:
    """A migrated database of `backend` ('sqlite' or 'postgresql') holding the demo data set up to `as_of`,
    identities encrypted with `cipher`; dropped afterwards. Services' commits stay in a test's transaction."""
    from seed.generator import seed_database
    from services.accounts.passwords import hash_password

    with ExitStack() as stack:
        if backend == "sqlite":
            path = _TMP / f"{name}-{os.getpid()}.db"
            path.unlink(missing_ok=True)
            db_engine = make_engine(f"sqlite:///{path}")
            _sqlite_real_transactions(db_engine)
        else:
            db_engine = make_engine(stack.enter_context(_private_postgres_database(f"parcours_{name}_{os.getpid()}")))
        stack.callback(db_engine.dispose)
        upgrade_to_head(db_engine)
        seed_database(
            db_engine, size="demo", as_of=as_of, cipher=cipher, demo_password_hash=hash_password("demo", rounds=4)
        )
        yield db_engine


@pytest.fixture(scope="session", params=backends())
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty database per backend, shared by the session's service tests."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            db_engine = make_engine(f"sqlite:///{_TMP / 'services.platform.db'}")
            _sqlite_real_transactions(db_engine)
        else:
            db_engine = make_engine(stack.enter_context(_private_postgres_database(f"parcours_test_{os.getpid()}")))
        upgrade_to_head(db_engine)
        yield db_engine
        db_engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits stay inside a transaction rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def scratch_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the requested backend ('sqlite' or 'postgresql'), dropped afterwards."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    with _private_postgres_database(f"parcours_scratch_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory) -> Path:
    """An empty database at the latest migration, copied for each test (migrating takes most of a second)."""
    path = tmp_path_factory.mktemp("cli") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture
def cli_database(tmp_path, monkeypatch, migrated_file) -> Iterator[Engine]:
    """The CLI's configuration points at an empty scratch database; demo secrets go to tmp_path."""
    path = tmp_path / "cli.db"
    shutil.copy(migrated_file, path)
    monkeypatch.setenv("PARCOURS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(config, "DEMO_SECRETS_FILE", tmp_path / "data" / "secrets.json")
    config.get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()
    config.get_settings.cache_clear()
