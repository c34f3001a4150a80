"""Alembic environment: runs on a given connection (tests, start-up) or on DATABASE_URL.

A run is one transaction (Alembic's default, `transaction_per_migration=False`): a step that fails, such as
a downgrade refused by its migration, undoes every step of the run before it, with `alembic_version`. On
SQLite this needs a real transaction around the DDL: the sqlite3 driver in its default mode begins one only
before an INSERT, UPDATE or DELETE, so a CREATE, DROP or ALTER run before the first such statement is
committed at once (0024's downgrade dropped `person_alias_token` for good when 0023's, next in the same run,
refused). So SQLAlchemy's recipe for pysqlite ("Serializable isolation / Savepoints / Transactional DDL"):
the driver does no transaction handling of its own and the transaction's BEGIN is emitted, for the
connections migrations run on only; the app's other connections keep the driver's mode
(a deferred BEGIN would fail at once with "database is locked" when another connection wrote in between:
tests/conftest.py, `_sqlite_real_transactions`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from services.platform.config import get_settings

target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        # One transaction for the whole run. Alembic's SQLite dialect says it has no transactional DDL, and
        # then commits after each migration on a connection it begins itself (the URL path below).
        transactional_ddl=True,
        transaction_per_migration=False,
    )


def _sqlite_transactional_ddl(engine: Engine) -> None:
    """The recipe on the engine this module creates for itself (`alembic` on a URL): every connection of it."""

    @event.listens_for(engine, "connect")
    def _driver_autocommit(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def _ddl_in_the_transaction(connection: Connection) -> Iterator[None]:
    """The recipe on a connection given already open, its transaction begun (services.platform.db._migrate,
    on the app's engine, whose other connections must keep the driver's mode): the driver's transaction
    handling is off while the migrations run and BEGIN is emitted now; the given transaction's commit or
    rollback, the caller's, ends it. The driver's mode is given back afterwards (the connection goes back
    to the app's pool); doing so inside the transaction neither commits nor ends it."""
    driver = connection.connection.driver_connection
    if connection.dialect.name != "sqlite" or driver.in_transaction:
        yield
        return
    mode = driver.isolation_level
    driver.isolation_level = None  # outside any transaction: commits nothing
    connection.exec_driver_sql("BEGIN")
    try:
        yield
    finally:
        driver.isolation_level = mode


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction(), _ddl_in_the_transaction(connection):
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _sqlite_transactional_ddl(engine)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not used in Parcours; run migrations online.")
run_migrations_online()
