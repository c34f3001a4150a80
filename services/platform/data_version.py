"""The data version: a counter that every committed write moves, so that aggregates can be cached exactly.

Why: the directors' and funders' figures aggregate whole tables; recomputing them at every click costs
hundreds of milliseconds at national scale, and a cache that expires after some seconds would show a
figure without the save just made, or without another process's save. Instead, every transaction that
writes a tracked table increments one row (`data_version`) in that same transaction, before its first
write, so the new version becomes visible exactly when the write does, in every process on the same
database. A cached aggregate is stored under the version read at the start of its computation: one
primary-key read per cached call tells whether it still holds.

What is tracked: every table but the bookkeeping that no figure reads (audit log, login throttling,
enrolment codes, the schema version). The bump goes through its own DBAPI cursor from an engine event,
so ORM flushes, bulk statements and Core statements alike are seen. Every writing transaction takes the
counter's row lock first, before any row it writes: writers queue on it (short transactions, a small
team) and, all taking it first, cannot deadlock on it.

What is cached (`cached_aggregate`): results of aggregate queries only (counts, sums, slots of the
publication grid), never a person's row or text; keys say what the figure depends on (scope, period,
day); the cache is bounded and lives in the process.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
from cachetools import LRUCache
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

VERSION_TABLE = "data_version"
UNTRACKED_TABLES = frozenset({VERSION_TABLE, "alembic_version", "audit_event", "login_throttle", "account_enrolment"})
CACHE_ENTRIES = 256

_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][A-Za-z0-9_]*)', re.I)
_BUMPED = "parcours_data_version_bumped"
_PRESENT = "parcours_data_version_present"
_BUMP = f"UPDATE {VERSION_TABLE} SET version = version + 1 WHERE id = 1"

T = TypeVar("T")


def written_table(statement: str) -> str | None:
    """The table an INSERT / UPDATE / DELETE statement writes (None for anything else)."""
    match = _WRITE.match(statement)
    return match.group(1).lower() if match else None


def track_writes(engine: Engine) -> None:
    """Make every transaction of `engine` that writes a tracked table move the data version."""

    @event.listens_for(engine, "before_cursor_execute")
    def _bump_before_first_write(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        if connection.info.get(_BUMPED):
            return
        table = written_table(statement)
        if table is None or table in UNTRACKED_TABLES:
            return
        cursor = connection.connection.cursor()  # its own cursor: the statement's results stay untouched
        try:
            if _has_version_table(connection, cursor):
                cursor.execute(_BUMP)
        finally:
            cursor.close()
        connection.info[_BUMPED] = True

    def _forget(connection, *_args) -> None:
        connection.info.pop(_BUMPED, None)

    # A new transaction bumps again; a rolled-back savepoint may have undone the bump.
    for name in ("begin", "commit", "rollback", "rollback_savepoint"):
        event.listen(engine, name, _forget)


def _has_version_table(connection: Connection, cursor) -> bool:
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
    """For the transaction of a migration: its statements are not tracked one by one (the counter's table
    may not exist yet); `moved_by_migration` moves the version once at its end."""
    connection.info[_BUMPED] = True


def moved_by_migration(connection: Connection) -> None:
    if VERSION_TABLE in sa.inspect(connection).get_table_names():
        connection.exec_driver_sql(_BUMP)


def current_version(session: Session) -> tuple[str, int] | None:
    """(epoch, version) of the database as this session sees it; None when the row is missing."""
    row = session.execute(text(f"SELECT epoch, version FROM {VERSION_TABLE} WHERE id = 1")).first()
    return (row[0], int(row[1])) if row else None


_cache: LRUCache = LRUCache(maxsize=CACHE_ENTRIES)
_lock = threading.Lock()


def cached_aggregate(session: Session, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per data version, `name` and `key` (what the result depends on besides the data).

    The version is read before computing: a write committed during the computation leaves the stored
    result under the older version, which the next call no longer asks for. A transaction that has
    written computes without the cache (its version number is not committed and may be rolled back).
    Results must be aggregates and must not be mutated by callers (they are shared between sessions)."""
    if session.connection().info.get(_BUMPED):
        return compute()  # this transaction wrote: its figures are not those of any committed version
    version = current_version(session)
    if version is None:
        return compute()
    full_key = (name, version, key)
    with _lock:
        if full_key in _cache:
            return _cache[full_key]
    result = compute()
    with _lock:
        _cache[full_key] = result
    return result


def clear_cache() -> None:
    """Forget every cached aggregate (tests that rebuild a database under the same engine)."""
    with _lock:
        _cache.clear()
