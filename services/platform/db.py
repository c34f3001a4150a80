"""Engine, unit of work and schema migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from services.platform import data_version
from services.platform.config import PROJECT_ROOT, get_settings
from services.platform.crypto import FieldCipher

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(database_url: str, *, encryption_keys: list[str] | None = None) -> Engine:
    """One engine per process; SQLite gets foreign keys, WAL, secure deletion and a busy timeout.

    The engine carries the cipher of the free-text columns (`models.types.EncryptedText`), made from
    `encryption_keys` (default: the configured keys). `secure_delete` overwrites deleted content with
    zeros instead of leaving it in free pages, so what anonymisation destroys is gone from the file
    once the write-ahead log is checkpointed (`checkpoint_sqlite_wal`). Every write moves the data
    version that cached aggregates are keyed by (`services.platform.data_version`)."""
    engine = _make_engine(database_url)
    engine.dialect.field_cipher = FieldCipher(  # type: ignore[attr-defined]
        get_settings().encryption_keys() if encryption_keys is None else encryption_keys
    )
    data_version.track_writes(engine)
    return engine


def _make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=5, max_overflow=10)


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


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One session, one transaction: rolled back unless the use case calls `session.commit()`."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


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
    with engine.connect() as connection:
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
