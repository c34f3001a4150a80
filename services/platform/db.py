"""Engine, unit of work and schema migrations."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from services.platform import data_version
from services.platform.config import PROJECT_ROOT, get_settings
from services.platform.crypto import FieldCipher
from services.platform.errors import DatabaseUnavailable

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
SQLITE_BUSY_TIMEOUT_S = 30
SQLITE_FILE_KEY = "parcours_sqlite_file"  # in a pooled connection's info: (device, inode) it opened
T = TypeVar("T")


def make_engine(database_url: str, *, encryption_keys: list[str] | None = None, create: bool = True) -> Engine:
    """One engine per process; SQLite gets foreign keys, WAL, secure deletion and a busy timeout.

    The engine carries the cipher of the free-text columns (`models.types.EncryptedText`), made from
    `encryption_keys` (default: the configured keys). `secure_delete` overwrites deleted content with
    zeros instead of leaving it in free pages, so what anonymisation destroys is gone from the file
    once the write-ahead log is checkpointed (`checkpoint_sqlite_wal`). Every write moves the data
    version that cached aggregates are keyed by (`services.platform.data_version`).

    `create=False` (the app, the operators' commands, `ops.bootstrap` on an installed database): a SQLite
    file is opened read-write only, never created; a missing file is an error
    (`DatabaseUnavailable` in a unit of work), not a new empty database. Either way, a connection whose
    file was deleted or replaced since it opened is dropped before use and its commit refused: SQLite
    would otherwise keep writing into the deleted file, confirming saves that no one will ever read.
    Parameters are never quoted in error messages (`hide_parameters`): they may be personal data and
    error messages reach the operators' log."""
    engine = _make_engine(database_url, create=create)
    engine.dialect.field_cipher = FieldCipher(  # type: ignore[attr-defined]
        get_settings().encryption_keys() if encryption_keys is None else encryption_keys
    )
    data_version.track_writes(engine)
    return engine


# No JIT compilation of queries. The figure queries hold a dozen correlated consent clauses (services.persons.
# consent.counted): PostgreSQL judged them costly and compiled them each time, which took longer than the query
# (the funder grid recomputed after a write, large dataset: 2.8-4.7 s with JIT, 0.55-0.72 s without).
POSTGRES_SESSION_OPTIONS = "-c jit=off"


def _make_engine(database_url: str, *, create: bool) -> Engine:
    if not database_url.startswith("sqlite"):
        return create_engine(
            database_url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            hide_parameters=True,
            connect_args={"options": POSTGRES_SESSION_OPTIONS},
        )
    path = database_url.split("///", 1)[-1]
    on_file = bool(path) and path != ":memory:" and not path.startswith("file:")
    if on_file and create:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    options: dict = {"connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}}
    if on_file:
        uri = f"file:{quote(str(Path(path).absolute()))}?mode={'rwc' if create else 'rw'}"
        options = {"creator": lambda: _sqlite_connect(uri)}
    engine = create_engine(database_url, hide_parameters=True, **options)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        if on_file:
            record.info[SQLITE_FILE_KEY] = _file_identity(path)

    if on_file:

        @event.listens_for(engine, "checkout")
        def _same_file_on_checkout(_dbapi_connection, record, _proxy) -> None:
            if _file_identity(path) != record.info.get(SQLITE_FILE_KEY):
                # The pool discards this connection and opens a new one, which fails if the file is gone.
                raise sa_exc.DisconnectionError("the SQLite file was deleted or replaced")

        @event.listens_for(engine, "commit")
        def _same_file_on_commit(connection) -> None:
            if _file_identity(path) != connection.connection.info.get(SQLITE_FILE_KEY):
                connection.invalidate()
                raise DatabaseUnavailable(retry=False)

    return engine


def _sqlite_connect(uri: str) -> sqlite3.Connection:
    return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_S)


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def refresh_planner_statistics(engine: Engine) -> None:
    """After a bulk load (a restore, the demo or bench data): on PostgreSQL, ANALYZE every table, so the
    first pages are planned on the data's real sizes (pg_restore brings no statistics, and autovacuum
    analyzes only some minutes later). Nothing on SQLite: the app's queries are planned there without
    statistics tables, as its plan tests check."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


CHECKPOINT_WAIT_MS = 2000


def checkpoint_sqlite_wal(engine: Engine) -> bool:
    """On SQLite, copy the write-ahead log into the database file and truncate it to zero bytes, so the
    page versions it held (text just overwritten or deleted) leave the disk. True when truncated;
    always True on PostgreSQL (nothing to do).

    A reader still open keeps older frames: SQLite then waits for it at most CHECKPOINT_WAIT_MS (not
    the engine's 30 s busy timeout) and answers busy; the log is truncated by a later checkpoint, and
    its frames are overwritten as soon as writing restarts from its beginning."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        sqlite.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
        busy, _frames, _done = sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        sqlite.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        return busy == 0
    finally:
        raw.close()


# Words of the database's answer that no retry cures: an administrator must act (SQLite and PostgreSQL).
_NEEDS_AN_ADMINISTRATOR = (
    "readonly database",
    "read-only transaction",
    "unable to open database file",
    "disk i/o error",
    "database disk image is malformed",
    "no space left",
    "database or disk is full",
)


def _unavailable(error: sa_exc.DBAPIError) -> DatabaseUnavailable | None:
    """The DatabaseUnavailable a driver error means, or None for an error of the use case itself
    (a constraint, a bad statement: a bug or a rule, not the database being away)."""
    pgcode = getattr(error.orig, "sqlstate", None)
    read_only = pgcode == "25006"  # PostgreSQL read_only_sql_transaction (a standby, a read-only database)
    if not (
        read_only or error.connection_invalidated or isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    ):
        return None
    message = str(error.orig).lower()
    return DatabaseUnavailable(retry=not (read_only or any(words in message for words in _NEEDS_AN_ADMINISTRATOR)))


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a driver's error that means "the database is away" into `DatabaseUnavailable`."""
    try:
        yield
    except sa_exc.DBAPIError as error:
        unavailable = _unavailable(error)
        if unavailable is None:
            raise
        raise unavailable from error


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One session, one transaction: rolled back unless the use case calls `session.commit()`.

    A database that is away (stopped, restarting, its connection dropped, a SQLite file missing or
    read-only) raises `DatabaseUnavailable`, a ServiceError the forms show beside themselves with the
    input kept (ui.platform.form_state.submit): a use case confirms a save only once its commit returned,
    so a failed commit never reaches its success message."""
    session = Session(engine, expire_on_commit=False)
    try:
        with database_errors():
            yield session
    finally:
        with suppress(sa_exc.DBAPIError):  # the connection is gone: so is its transaction
            session.rollback()
        session.close()


def read(engine: Engine, query: Callable[[Session], T]) -> T:
    """Run an idempotent read (`query` writes nothing, not even an audit entry) in its own unit of work,
    and once more on a fresh connection when the first one dropped (a PostgreSQL restart between the
    pool's check and the query): the user sees the page instead of an error."""
    try:
        with unit_of_work(engine) as session:
            return query(session)
    except DatabaseUnavailable as first:
        if not first.retry:
            raise
    with unit_of_work(engine) as session:
        return query(session)


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


# Key of the PostgreSQL advisory lock taken while migrating (any number unused by other advisory locks).
MIGRATION_LOCK = 0x70617263  # "parc"


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    """Run Alembic on one connection, in one transaction. On SQLite, foreign keys are off while it runs: a
    migration that changes a column of a referenced table (`person`) rebuilds that table (copy, drop,
    rename), which the enforced keys of every row pointing at it refuse. They are checked after the
    migration instead (any dangling reference fails the upgrade) and switched back on.

    On PostgreSQL several app processes start together and each migrates (`prepare`): a lock held to
    the end of the transaction lets one migrate while the others wait, then find the schema at head."""
    sqlite = engine.dialect.name == "sqlite"
    with database_errors(), engine.connect() as connection:
        raw = connection.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, or SQLite ignores it
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                data_version.migrating(connection)
                config = alembic_config()
                config.attributes["connection"] = connection
                before = MigrationContext.configure(connection).get_current_revision()
                run(config)
                changed = MigrationContext.configure(connection).get_current_revision() != before
                data_version.moved_by_migration(connection, schema_changed=changed)
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if dangling:
                        raise RuntimeError(f"the migration left references to missing rows: {dangling[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the latest migration (run at every start-up)."""
    _migrate(engine, lambda config: command.upgrade(config, "head"))


def downgrade_to(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda config: command.downgrade(config, revision))
