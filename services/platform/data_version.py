"""Data versions: one counter per table, moved by every committed write, so aggregates can be cached exactly.

Why: the directors' and funders' figures aggregate whole tables; recomputing them at every click costs
hundreds of milliseconds at national scale, and a cache that expires after some seconds would show a
figure without the save just made, or without another process's save. Instead, every transaction that
writes tracked tables increments their rows of `data_version` in that same transaction, at commit, so the
new versions become visible exactly when the writes do, in every process on the same database.

A cached aggregate (`cached_aggregate`) remembers the tables its computation read (taken from the SQL
statements it ran) and their versions when it started; it is served again only while those versions
hold: one small primary-key read per call. A save of an expense leaves the activity figures cached; a
save of an attendance leaves the budget cached. A statement whose tables cannot be read from it (plain
SQL text) makes the aggregate depend on every table.

A DELETE also moves the tables whose rows the database deletes or changes with it (a foreign key declared
`ondelete` CASCADE or SET NULL, followed down): those rows change without a statement of their own.

What is tracked: every table but the bookkeeping that no figure reads (audit log, login throttling,
enrolment codes, the schema version). The counters are moved at commit, in the order of their names, so
two writing transactions never wait for each other's counters in opposite orders (no deadlock). A
migration draws a new epoch: every cached entry is then forgotten.

What may be cached: results of aggregate queries only (counts, sums, slots of the publication grid), never
a person's row or text; keys say what else the figure depends on (scope, period, day, language); the cache
is bounded and lives in the process.
"""

from __future__ import annotations

import contextvars
import functools
import re
import secrets
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from cachetools import LRUCache
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import visitors
from sqlmodel import Session, SQLModel

VERSION_TABLE = "data_version"
EPOCH_ROW = "#epoch"  # its version is drawn at random when the database is created or migrated
EVERY_TABLE = "*"
UNTRACKED_TABLES = frozenset({VERSION_TABLE, "alembic_version", "audit_event", "login_throttle", "account_enrolment"})
CACHE_ENTRIES = 1024  # figures and the query families they are made of

_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|(DELETE)\s+FROM)\s+"?([A-Za-z_][A-Za-z0-9_]*)', re.I)
_WRITTEN = "parcours_tables_written"
_SUSPENDED = "parcours_tracking_suspended"
_PRESENT = "parcours_data_version_present"

T = TypeVar("T")


def written_tables(statement: str) -> set[str]:
    """Every table whose rows the statement may change: the one an INSERT / UPDATE / DELETE writes and, for a
    DELETE, the tables the database changes with it (`cascaded_from`); none for anything else."""
    match = _WRITE.match(statement)
    if match is None:
        return set()
    table = match.group(2).lower()
    return {table} | (cascaded_from(table) if match.group(1) else set())


@functools.cache
def cascaded_from(table: str) -> frozenset[str]:
    """The tables whose rows a DELETE of `table` deletes or changes through foreign keys declared with
    `ondelete` (CASCADE, SET NULL, SET DEFAULT), and theirs in turn."""
    import models  # noqa: F401 - registers every table in the metadata

    children: dict[str, set[str]] = {}
    for child in SQLModel.metadata.tables.values():
        for key in child.foreign_keys:
            if key.ondelete and key.ondelete.upper() not in {"RESTRICT", "NO ACTION"}:
                children.setdefault(key.column.table.name, set()).add(child.name)
    found: set[str] = set()
    waiting = [table]
    while waiting:
        for child in children.get(waiting.pop(), ()):
            if child not in found:
                found.add(child)
                waiting.append(child)
    return frozenset(found)


def _bump_statement(dialect: str) -> str:
    placeholder = "?" if dialect == "sqlite" else "%s"
    return (
        f"INSERT INTO {VERSION_TABLE} (table_name, version) VALUES ({placeholder}, 1) "
        f"ON CONFLICT (table_name) DO UPDATE SET version = {VERSION_TABLE}.version + 1"
    )


def track_writes(engine: Engine) -> None:
    """Make every committed transaction of `engine` move the versions of the tracked tables it wrote;
    let `cached_aggregate` see which tables a computation reads."""
    bump = _bump_statement(engine.dialect.name)

    @event.listens_for(engine, "before_cursor_execute")
    def _note(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        capture = _capture.get()
        if capture is not None:
            capture.cursor_statement()
        if connection.info.get(_SUSPENDED):
            return
        tables = written_tables(statement) - UNTRACKED_TABLES
        if tables:
            connection.info.setdefault(_WRITTEN, set()).update(tables)

    @event.listens_for(engine, "before_execute")
    def _read(_connection, clause, _multiparams, _params, _options) -> None:
        capture = _capture.get()
        if capture is not None:
            capture.clause(clause)

    @event.listens_for(engine, "commit")
    def _move_versions(connection) -> None:
        tables = connection.info.pop(_WRITTEN, None)
        if not tables:
            return
        cursor = connection.connection.cursor()
        try:
            if _has_version_table(connection, cursor):
                for table in sorted(tables):  # one order for every transaction: no deadlock between them
                    cursor.execute(bump, (table,))
        finally:
            cursor.close()

    def _forget(connection, *_args) -> None:
        if connection.invalidated:  # a dropped connection: its DBAPI connection, and what we noted on it, are gone
            return
        connection.info.pop(_WRITTEN, None)

    for name in ("begin", "rollback"):
        event.listen(engine, name, _forget)


def _has_version_table(connection: Connection, cursor: Any) -> bool:
    """Known once per database connection when present; an older schema (a migration test writing at an
    earlier revision) is asked again, since a migration may create it."""
    known = connection.connection.info
    if known.get(_PRESENT):
        return True
    if connection.dialect.name == "sqlite":
        cursor.execute(f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{VERSION_TABLE}'")
    else:
        cursor.execute(f"SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = '{VERSION_TABLE}'")
    present = bool(cursor.fetchone()[0])
    if present:
        known[_PRESENT] = True
    return present


def migrating(connection: Connection) -> None:
    """For the transaction of a migration: its statements are not tracked one by one (the counters' table
    may not exist yet); `moved_by_migration` starts a new history at its end if the schema changed."""
    connection.info[_SUSPENDED] = True


def moved_by_migration(connection: Connection, *, schema_changed: bool) -> None:
    connection.info.pop(_SUSPENDED, None)
    connection.info.pop(_WRITTEN, None)
    if schema_changed:
        start_new_history(connection)


def start_new_history(connection: Connection) -> None:
    """Draw a new epoch: no entry cached before is served again. After a migration (data may have been
    rewritten without the counters) and a restore (the restored counters may repeat numbers of another
    history); an app start that migrates nothing keeps the other processes' caches."""
    if VERSION_TABLE in sa.inspect(connection).get_table_names():
        connection.execute(
            sa.text(f"UPDATE {VERSION_TABLE} SET version = :epoch WHERE table_name = :row"),
            {"epoch": secrets.randbelow(2**62), "row": EPOCH_ROW},
        )


def versions(session: Session) -> dict[str, int]:
    """Every counter (and the epoch) as this session sees them."""
    rows = session.execute(sa.text(f"SELECT table_name, version FROM {VERSION_TABLE}")).all()
    return {name: int(version) for name, version in rows}


# --- reading what a computation depends on -------------------------------------------------------------


class _Capture:
    """The tables read by the statements run while a cached aggregate is computed."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self._clause_seen = False

    def clause(self, clause: Any) -> None:
        found = {element.name for element in visitors.iterate(clause) if isinstance(element, sa.Table)}
        self.tables |= found or {EVERY_TABLE}  # plain SQL text: cannot tell, depend on everything
        self._clause_seen = True

    def cursor_statement(self) -> None:
        if not self._clause_seen:  # driver-level SQL, no statement object: depend on everything
            self.tables.add(EVERY_TABLE)
        self._clause_seen = False


_capture: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar("parcours_capture", default=None)


@contextmanager
def _capturing() -> Iterator[_Capture]:
    capture = _Capture()
    token = _capture.set(capture)
    try:
        yield capture
    finally:
        _capture.reset(token)


# --- the cache -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    depends_on: frozenset[str]  # table names, or EVERY_TABLE
    versions: tuple[tuple[str, int], ...]  # of those tables and of the epoch, when the computation started
    result: Any


_cache: LRUCache = LRUCache(maxsize=CACHE_ENTRIES)
_lock = threading.Lock()


def _versions_of(all_versions: dict[str, int], tables: frozenset[str]) -> tuple[tuple[str, int], ...]:
    names = set(all_versions) if EVERY_TABLE in tables else tables | {EPOCH_ROW}
    return tuple(sorted((name, all_versions.get(name, 0)) for name in names))


def cached_aggregate(session: Session, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or its earlier result while no table it read has been written since.

    The versions are read before computing: a write committed during the computation leaves the result
    stored under older versions, which the next call finds moved. A transaction that has written computes
    without the cache (its writes are not committed and may be rolled back). Results must be aggregates
    and must not be mutated by callers (they are shared between sessions).

    Cached aggregates nest: one computed inside another (a dashboard made of query families) is cached on
    its own, and the enclosing one depends on the tables the inner one read, whether computed or served.
    So a save recomputes the enclosing figure from the inner ones it did not touch."""
    connection = session.connection()
    if connection.info.get(_WRITTEN):
        return compute()
    enclosing = _capture.get()
    token = _capture.set(None)  # reading the counters is not a dependency of the enclosing figure
    try:
        current = versions(session)
    finally:
        _capture.reset(token)
    if EPOCH_ROW not in current:
        return compute()  # a schema without the counters (an old database during its migration)
    with _lock:
        entry = _cache.get((name, key))
    if entry is not None and _versions_of(current, entry.depends_on) == entry.versions:
        if enclosing is not None:
            enclosing.tables |= entry.depends_on
        return entry.result
    with _capturing() as capture:
        result = compute()
    if enclosing is not None:
        enclosing.tables |= capture.tables
    if capture.tables & UNTRACKED_TABLES:
        return result  # reads bookkeeping that moves no version (the audit log): never cached
    depends_on = frozenset(capture.tables)
    with _lock:
        _cache[(name, key)] = _Entry(depends_on, _versions_of(current, depends_on), result)
    return result


def clear_cache() -> None:
    """Forget every cached aggregate."""
    with _lock:
        _cache.clear()
