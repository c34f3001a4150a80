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

Per site too: a write of a table that has a `site_id` column also moves the row `table@site` of each site
whose rows it wrote (the inserted rows' sites; for an UPDATE or DELETE, the sites of the rows its WHERE
matches, read just before it, locked on PostgreSQL; for an UPDATE that moves rows to another site, a
transfer, the site they leave and the one they reach), or `table@*` when it cannot tell (plain SQL, an
INSERT … SELECT or upsert, rows moved to a site the database computes, rows deleted by a cascade). A figure
computed per site (`cached_by_site`) whose query filters such a table on `site_id` depends on `table@site`
and `table@*` only: a roll call at Lyon recomputes Lyon's attendance figures, not the eleven other sites'.
The row `table` still moves at every write of the table, so every other figure behaves as before.

A person's consent history (`FOLLOWS_THE_PERSON`) is read per site too, though no figure filters it on
`site_id`: whether a fact counts depends on the consent history of the fact's person
(services.persons.consent.counted), and a figure of one site reads the history of the persons of its own
facts. Those rows sit at the site of the person's file and follow it when it moves (an UPDATE of their
`site_id`); the facts stay at the site where they happened, which was the file's
site then (every service records a fact at its person's site). So a write of these rows also moves their
counter at each site the persons' files were transferred from: an intake's or a withdrawal's consent at
Lyon recomputes the figures of Lyon (and of the sites the file came from), not of the eleven others.

The other way round, some figures group persons by the site of their file now and read their facts wherever
they happened (`READ_AT_THE_PERSONS_SITE`: a learner's hours and assessments before her file moved count for
her new site's level gains). A write of those facts also moves their counter at the site of each person's
file: such a figure, filtered on `person.site_id`, may then declare them scoped. The frame of those facts
(`READ_AT_THE_LEARNERS_SITES`: a class's day and length, a group) is read the same way, through the learners
marked at the class or enrolled in the group: an UPDATE or DELETE of it also moves its counter at the site
of each such learner's file. A class or group just created has no learner yet: its own site only.

A table the database keeps from others by triggers (`DERIVED_FROM`: each learner's levels, from the assessments
and consents; her minutes present per day, from the marks and classes; the workshop rolls, class minutes and
appointments per site and day, from those facts and the consents) is written by the database itself, in the
transaction of the write that changed its sources, by no statement this module sees: a figure that reads it
depends on those sources, by site as they are.

What is tracked: every table but the bookkeeping that no figure reads (audit log, login throttling,
enrolment codes, the schema version). The counters are moved at commit, in the order of their names, so
two writing transactions never wait for each other's counters in opposite orders (no deadlock). A
migration draws a new epoch: every cached entry is then forgotten.

One computation at a time: sessions of a process asking for the same stale figure (same name and key) at the
same moment wait for the first one's computation (at most `WAIT_FOR_ANOTHER_S`), then take its result if it holds
for their own versions, as any cached result; else they compute.

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
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
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
_WRITTEN_PLACES = "parcours_sites_written"  # "table@site" and "table@*" rows to move at commit
_FINDING_SITES = "parcours_finding_sites"
ANY_SITE = "*"
# Tables of a person's history read by the figures of every site where the person has facts (see above).
FOLLOWS_THE_PERSON = frozenset({"consent_change"})
# Facts about a person, at the site where they happened, read by figures of the person's site now (see above).
READ_AT_THE_PERSONS_SITE = frozenset({"course_attendance", "course_enrolment", "language_assessment"})
# The frame of those facts, read through them (see above): which learners each row's writes concern.
READ_AT_THE_LEARNERS_SITES = frozenset({"course_session", "course_group"})
# Tables the database keeps from others by triggers, in the transaction of each write of those (no statement
# seen here writes them): a figure that reads one depends on the tables it is kept from.
DERIVED_FROM = {
    "language_level_summary": frozenset({"language_assessment", "consent_change"}),
    "course_presence_day": frozenset({"course_attendance", "course_session"}),
    "workshop_site_day": frozenset({"workshop_attendance", "workshop_session", "consent_change"}),
    "course_site_day": frozenset({"course_attendance", "course_session", "consent_change"}),
    "appointment_site_day": frozenset({"appointment", "consent_change"}),
}
_TRANSFERS = "person_transfer"  # (person_id, from_site_id): the sites a file was transferred from
_PERSONS = "person"
_PERSONS_PER_READ = 500  # ids per IN list: far below the bound parameters SQLite and PostgreSQL allow
NATIONAL = "national"  # the rows without a site (a national expense, budget line or post)
_SUSPENDED = "parcours_tracking_suspended"
_READ_IN_TRANSACTION = "parcours_versions_read"  # (transaction, every counter as it read them)
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


def site_row(table: str, site: int | str | None) -> str:
    """The name of the counter of `table`'s rows of one site (`ANY_SITE`: of rows of unknown sites)."""
    return f"{table}@{NATIONAL if site is None else site}"


@functools.cache
def _site_column(table: str) -> sa.Column | None:
    import models  # noqa: F401 - registers every table in the metadata

    found = SQLModel.metadata.tables.get(table)
    return None if found is None else found.c.get("site_id")


_SET_CLAUSE = re.compile(r"\bSET\b(.*?)(?:\bWHERE\b|\bFROM\b|$)", re.I | re.S)


def _moves_rows_to_another_site(statement: str) -> bool:
    """An UPDATE whose SET names `site_id`."""
    found = _SET_CLAUSE.search(statement)
    return found is None or re.search(r"\bsite_id\b", found.group(1)) is not None


def _sites_written(connection: Connection, context: Any, statement: str, table: str) -> set[str]:
    """The `table@site` counters a write of `table` moves (see the module's docstring); none for a table
    without a `site_id` column (no figure is computed per site from it)."""
    column = _site_column(table)
    if column is None:
        return set()
    unknown = {site_row(table, ANY_SITE)}
    construct = getattr(getattr(context, "compiled", None), "statement", None)
    parameters = getattr(context, "compiled_parameters", None) or [{}]
    if not isinstance(construct, sa.Insert | sa.Update | sa.Delete) or construct.table.name != table:
        return unknown
    follows = table in FOLLOWS_THE_PERSON or table in READ_AT_THE_PERSONS_SITE  # the rows' persons matter
    framing = table in READ_AT_THE_LEARNERS_SITES  # the learners of the rows matter (found from their ids)
    destinations: set[int | None] = set()  # the sites an UPDATE moves rows to
    if isinstance(construct, sa.Insert):
        if construct.select is not None or construct._post_values_clause is not None or construct._prefixes:
            return unknown  # INSERT … SELECT, an upsert or INSERT OR REPLACE: may change rows of another site
        if any("site_id" not in row or (follows and row.get("person_id") is None) for row in parameters):
            return unknown
        rows = {(row["site_id"], row.get("person_id")) for row in parameters}
    elif construct.whereclause is None:
        return unknown  # every row
    else:
        if isinstance(construct, sa.Update) and _moves_rows_to_another_site(statement):
            found = _destinations(construct, parameters)
            if found is None:
                return unknown  # moved to a site computed by the database
            destinations = found
        person = column.table.c.person_id if follows else column.table.c.id if framing else sa.null()
        matched = sa.select(column, person).where(construct.whereclause)
        if connection.dialect.name != "sqlite":
            matched = matched.with_for_update(of=column.table)  # no transfer moves them before this write commits
        with _finding_sites(connection):
            rows = {(site, who) for row in parameters for site, who in connection.execute(matched, row)}
        if not rows:
            destinations = set()  # nothing matched: nothing moved
    sites = {site for site, _person in rows} | destinations
    persons = {who for _site, who in rows}  # for a frame of the courses: the rows' own ids
    if table in FOLLOWS_THE_PERSON:
        transfers = SQLModel.metadata.tables[_TRANSFERS]
        sites |= _sites_of(connection, persons, transfers.c.person_id, transfers.c.from_site_id)
    if table in READ_AT_THE_PERSONS_SITE:
        files = SQLModel.metadata.tables[_PERSONS]
        sites |= _sites_of(connection, persons, files.c.id, files.c.site_id)
    if framing and not isinstance(construct, sa.Insert):  # a new class or group has no learner yet
        sites |= _learners_sites(connection, table, persons)
    return {site_row(table, site) for site in sites}


def _learners_sites(connection: Connection, table: str, row_ids: Collection[int]) -> set[int]:
    """The sites of the files of the learners marked at these classes (`course_session`), or enrolled in or
    marked at a class of these groups (`course_group`)."""
    tables = SQLModel.metadata.tables
    files, marks, classes = tables[_PERSONS], tables["course_attendance"], tables["course_session"]
    enrolments = tables["course_enrolment"]
    found: set[int] = set()
    with _finding_sites(connection):
        for chunk in _in_chunks(row_ids):
            if table == "course_session":
                learners = sa.select(marks.c.person_id).where(marks.c.session_id.in_(chunk))
            else:
                learners = sa.union(
                    sa.select(enrolments.c.person_id).where(enrolments.c.group_id.in_(chunk)),
                    sa.select(marks.c.person_id)
                    .join(classes, classes.c.id == marks.c.session_id)
                    .where(classes.c.group_id.in_(chunk)),
                )
            found.update(
                connection.execute(sa.select(files.c.site_id).where(files.c.id.in_(learners)).distinct()).scalars()
            )
    return found


def _destinations(construct: sa.Update, parameters: Sequence[Mapping[str, Any]]) -> set[int | None] | None:
    """The sites an UPDATE that sets `site_id` moves its rows to: the values bound to its SET (`site_id=5` is
    sent as the parameter named after the column; the WHERE's own parameters get another name), or None when
    the new site is not such a value (a column, an expression, a parameter of another name)."""
    # SQLAlchemy's record of the SET clause (private: read defensively, a change of it falls back on table@*).
    values = getattr(construct, "_values", None) or {}
    assigned = {getattr(target, "key", target): value for target, value in values.items()}
    if "site_id" in assigned:
        value = assigned["site_id"]
        if not isinstance(value, sa.BindParameter) or not getattr(value, "_is_crud", False):
            return None
    found: set[int | None] = set()
    for row in parameters:
        site = row.get("site_id", "")
        if site is not None and not isinstance(site, int):
            return None
        found.add(site)  # None: to no site (a post or budget line made national)
    return found


def _sites_of(connection: Connection, person_ids: Collection[int], person: sa.Column, site: sa.Column) -> set[int]:
    """The distinct `site` of the rows whose `person` is one of `person_ids` (the sites their files were
    transferred from, or are at now)."""
    found: set[int] = set()
    with _finding_sites(connection):
        for chunk in _in_chunks(person_ids):
            found.update(connection.execute(sa.select(site).where(person.in_(chunk)).distinct()).scalars())
    return found


def _in_chunks(ids: Collection[int]) -> Iterator[list[int]]:
    """The ids, sorted, a bounded IN list at a time."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), _PERSONS_PER_READ):
        yield ordered[start : start + _PERSONS_PER_READ]


@contextmanager
def _finding_sites(connection: Connection) -> Iterator[None]:
    """The reads that find which sites a write touches are not writes to track."""
    connection.info[_FINDING_SITES] = True
    try:
        yield
    finally:
        connection.info.pop(_FINDING_SITES, None)


def _bump_statement(dialect: str) -> str:
    placeholder = "?" if dialect == "sqlite" else "%s"
    return (
        f"INSERT INTO {VERSION_TABLE} (table_name, version) VALUES ({placeholder}, 1) "
        f"ON CONFLICT (table_name) DO UPDATE SET version = {VERSION_TABLE}.version + 1"
    )


def track_writes(engine: Engine) -> None:
    """Make every committed transaction of `engine` move the versions of the tracked tables it wrote;
    let `cached_aggregate` see which tables a computation reads."""

    @event.listens_for(engine, "before_cursor_execute")
    def _note(connection, _cursor, statement, _parameters, context, _executemany) -> None:
        capture = _capture.get()
        if capture is not None:
            capture.cursor_statement()
        if connection.info.get(_SUSPENDED) or connection.info.get(_FINDING_SITES):
            return
        match = _WRITE.match(statement)
        if match is None:
            return
        tables = written_tables(statement) - UNTRACKED_TABLES
        if tables:
            connection.info.setdefault(_WRITTEN, set()).update(tables)
            places = connection.info.setdefault(_WRITTEN_PLACES, set())
            target = match.group(2).lower()
            for table in tables:
                if table == target:
                    places |= _sites_written(connection, context, statement, table)
                elif _site_column(table) is not None:
                    places.add(site_row(table, ANY_SITE))  # changed by a cascade: which sites, the database knows

    @event.listens_for(engine, "before_execute")
    def _read(_connection, clause, _multiparams, _params, _options) -> None:
        capture = _capture.get()
        if capture is not None:
            capture.clause(clause)

    @event.listens_for(engine, "commit")
    def _move_versions(connection) -> None:
        tables = connection.info.pop(_WRITTEN, None)
        places = connection.info.pop(_WRITTEN_PLACES, None) or set()
        if tables:
            _move(connection, tables | places)

    def _forget(connection, *_args) -> None:
        if connection.invalidated:  # a dropped connection: its DBAPI connection, and what we noted on it, are gone
            return
        connection.info.pop(_WRITTEN, None)
        connection.info.pop(_WRITTEN_PLACES, None)

    for name in ("begin", "rollback"):
        event.listen(engine, name, _forget)


def _move(connection: Connection, names: Collection[str]) -> None:
    cursor = connection.connection.cursor()
    try:
        if _has_version_table(connection, cursor):
            bump = _bump_statement(connection.dialect.name)
            for name in sorted(names):  # one order for every transaction: no deadlock between them
                cursor.execute(bump, (name,))
    finally:
        cursor.close()


def tracked_tables() -> frozenset[str]:
    import models  # noqa: F401 - registers every table in the metadata

    return frozenset(SQLModel.metadata.tables) - UNTRACKED_TABLES


def move_as_a_write(session: Session, tables: Collection[str], site: int | str = ANY_SITE) -> None:
    """Move the counters a save of `tables` at `site` (`ANY_SITE`: a save whose sites cannot be told)
    moves, without writing any row: the benchmark's runs after a write. Committed with the session."""
    names = set(tables) | {site_row(table, site) for table in tables if _site_column(table) is not None}
    _move(session.connection(), names)


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
    connection.info.pop(_WRITTEN_PLACES, None)
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


def _versions_of_this_transaction(session: Session) -> dict[str, int]:
    """Every counter, read once per transaction: when a save has moved many counters, each figure of the page
    run finds its parts stale, and they all use this one read instead of reading every counter again (after a
    write of every table, 25 figures and parts on the dashboard).

    Safe: a part computed after a save that committed meanwhile is stored under the versions from before it, so
    the next run finds them moved and computes it again; a part served by this read was current when it was
    made, in this transaction."""
    found = _read_in_this_transaction(session)
    if found is None:
        found = versions(session)
        connection = session.connection()
        connection.info[_READ_IN_TRANSACTION] = (connection.get_transaction(), found)
    return found


def _read_in_this_transaction(session: Session) -> dict[str, int] | None:
    """Every counter as this transaction read them, or None when it has not."""
    connection = session.connection()
    read = connection.info.get(_READ_IN_TRANSACTION)
    return read[1] if read is not None and read[0] is connection.get_transaction() else None


# --- reading what a computation depends on -------------------------------------------------------------


class _Capture:
    """The tables read by the statements run while a cached aggregate is computed."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self._clause_seen = False

    def clause(self, clause: Any) -> None:
        found = {element.name for element in visitors.iterate(clause) if isinstance(element, sa.Table)}
        for derived in found & DERIVED_FROM.keys():
            found |= DERIVED_FROM[derived]
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
    tables: frozenset[str]  # the tables its computation read, or EVERY_TABLE (an enclosing figure reads them too)
    versions: tuple[tuple[str, int], ...]  # of the counters it depends on, and of the epoch, when it started
    result: Any


_cache: LRUCache = LRUCache(maxsize=CACHE_ENTRIES)
_lock = threading.Lock()
# One computation at a time of a figure and key in this process: sessions asking for the same cold figure at the same
# moment (the first users of a process, everyone after a save) wait for the first one and take its result, instead
# of each computing it on the same cores. A lock forgotten by the LRU only lets two compute side by side again.
_computing: LRUCache = LRUCache(maxsize=CACHE_ENTRIES)
WAIT_FOR_ANOTHER_S = 10.0  # then compute anyway: a slow figure never blocks another page for longer


def _computation(name: str, key: Hashable) -> threading.RLock:
    with _lock:
        flight = _computing.get((name, key))
        if flight is None:
            flight = _computing[(name, key)] = threading.RLock()
        return flight


def _counters(tables: frozenset[str], scoped: Collection[str] = (), site: int | None = None) -> frozenset[str] | None:
    """The counters a result depends on: the epoch and each table it read (None: every counter), except the
    tables in `scoped`, which it read only where `site_id` is `site`: their `table@site` and `table@*`."""
    if EVERY_TABLE in tables:
        return None
    names = {EPOCH_ROW}
    for table in tables:
        names |= {site_row(table, site), site_row(table, ANY_SITE)} if table in scoped else {table}
    return frozenset(names)


def _versions_of(current: dict[str, int], counters: frozenset[str] | None) -> tuple[tuple[str, int], ...]:
    names = set(current) if counters is None else counters
    return tuple(sorted((name, current.get(name, 0)) for name in names))


def _counters_now(session: Session, entries: Iterable[_Entry]) -> dict[str, int]:
    """The counters these cached entries were stored under, as this session sees them now (one read)."""
    names: set[str] = set()
    for entry in entries:
        if EVERY_TABLE in entry.tables:
            return _versions_of_this_transaction(session)
        names.update(name for name, _version in entry.versions)
    rows = session.execute(
        sa.text(f"SELECT table_name, version FROM {VERSION_TABLE} WHERE table_name IN :names").bindparams(
            sa.bindparam("names", expanding=True)
        ),
        {"names": sorted(names)},
    ).all()
    return {name: int(version) for name, version in rows}


@contextmanager
def _not_a_dependency() -> Iterator[None]:
    """Reading the counters is not a dependency of the enclosing figure."""
    token = _capture.set(None)
    try:
        yield
    finally:
        _capture.reset(token)


def cached_aggregate(session: Session, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or its earlier result while no table it read has been written since.

    The versions are read before computing: a write committed during the computation leaves the result
    stored under older versions, which the next call finds moved. A transaction that has written computes
    without the cache (its writes are not committed and may be rolled back). Results must be aggregates
    and must not be mutated by callers (they are shared between sessions).

    Cached aggregates nest: one computed inside another (a dashboard made of query families) is cached on
    its own, and the enclosing one depends on the tables the inner one read, whether computed or served.
    So a save recomputes the enclosing figure from the inner ones it did not touch."""
    return cached_by_site(session, name, key, [None], lambda _sites: {None: compute()})[None]


def cached_by_site(
    session: Session,
    name: str,
    key: Hashable,
    sites: Sequence[int | None],
    compute: Callable[[list[int | None]], Mapping[int | None, T]],
    *,
    scoped: Collection[str] = (),
) -> dict[int | None, T]:
    """Per site, the result `compute(sites)` gives for it, cached per site: `compute` is called once, for
    the sites whose earlier result is missing or has moved, and must answer for each of them.

    `scoped`: the tables that `compute` reads only where their own `site_id` column is one of the sites
    it was given (its query filters them so). A site's result then depends on those tables' rows of that
    site only (`table@site`, `table@*`) and on every other table it read as a whole: after a save at Lyon,
    only Lyon's result is computed again. Otherwise as `cached_aggregate`."""
    if session.connection().info.get(_WRITTEN):
        return dict(compute(list(sites)))
    enclosing = _capture.get()
    with _lock:
        entries = {site: _cache.get((name, key, site)) for site in sites}
    found = [entry for entry in entries.values() if entry is not None]
    with _not_a_dependency():
        current = _read_in_this_transaction(session)  # every counter, if this transaction read them already
        if current is None:  # not read yet: the entries' own counters if all are cached (one small read), else all
            current = (
                _counters_now(session, found) if len(found) == len(entries) else _versions_of_this_transaction(session)
            )
        served = {site: entry for site, entry in entries.items() if _holds(entry, current)}
        if len(served) < len(entries):
            current = _versions_of_this_transaction(session)  # read before computing: a save meanwhile shows next
    results = {site: entry.result for site, entry in served.items()}
    read: set[str] = set()
    for entry in served.values():
        read |= entry.tables
    stale = [site for site in sites if site not in served]
    if stale:
        computation = _computation(name, key)
        waited = computation.acquire(timeout=WAIT_FOR_ANOTHER_S)
        try:
            if waited:  # what another session computed meanwhile, if it holds for this transaction's versions
                for site, entry in _valid_entries(name, key, stale, current).items():
                    results[site] = entry.result
                    read |= entry.tables
                stale = [site for site in stale if site not in results]
            if stale:
                read |= _compute_and_store(name, key, stale, compute, scoped, current, results)
        finally:
            if waited:
                computation.release()
    if enclosing is not None:
        enclosing.tables |= read
    return results


def _holds(entry: _Entry | None, current: dict[str, int]) -> bool:
    """The entry was computed under the versions `current` holds for what it read."""
    return entry is not None and _versions_of(current, _stored_counters(entry)) == entry.versions


def _valid_entries(name: str, key: Hashable, sites: Sequence[int | None], current: dict[str, int]) -> dict:
    with _lock:
        entries = {site: _cache.get((name, key, site)) for site in sites}
    return {site: entry for site, entry in entries.items() if _holds(entry, current)}


def _compute_and_store(
    name: str,
    key: Hashable,
    stale: list[int | None],
    compute: Callable[[list[int | None]], Mapping[int | None, T]],
    scoped: Collection[str],
    current: dict[str, int],
    results: dict[int | None, T],
) -> set[str]:
    """Compute the stale sites, put their results in `results`, cache them; the tables the computation read."""
    with _capturing() as capture:
        computed = compute(stale)
    tables = frozenset(capture.tables)
    for site in stale:
        results[site] = computed[site]
    # Not cached: a schema without the counters (an old database during its migration), or a figure
    # reading bookkeeping that moves no version (the audit log).
    if EPOCH_ROW in current and not tables & UNTRACKED_TABLES:
        with _lock:
            for site in stale:
                counters = _counters(tables, scoped, site)
                _cache[(name, key, site)] = _Entry(tables, _versions_of(current, counters), computed[site])
    return set(tables)


def _stored_counters(entry: _Entry) -> frozenset[str] | None:
    return None if EVERY_TABLE in entry.tables else frozenset(name for name, _version in entry.versions)


def clear_cache() -> None:
    """Forget every cached aggregate."""
    with _lock:
        _cache.clear()
