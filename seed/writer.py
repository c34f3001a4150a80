"""Bulk insertion of the generated rows, parents before children, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from models.types import EncryptedText
from services.platform import data_version
from services.platform.db import refresh_planner_statistics

CHUNK_ROWS = 5_000


def write_rows(
    engine: Engine,
    rows_by_table: dict[str, list[dict]],
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, int]:
    """Insert every queued row with executemany (no ORM objects); return row counts per table."""
    tables = [table for table in SQLModel.metadata.sorted_tables if rows_by_table.get(table.name)]
    total = sum(len(rows_by_table[table.name]) for table in tables) or 1
    done = 0
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        use_copy = connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"
        derived = _derived_of({table.name for table in tables}) if use_copy else {}
        _set_triggers(connection, derived, enabled=False)
        for table in tables:
            rows = rows_by_table[table.name]
            columns = [column.name for column in table.columns]
            insert = sa.insert(table)
            for offset in range(0, len(rows), CHUNK_ROWS):
                chunk = rows[offset : offset + CHUNK_ROWS]
                if use_copy:
                    _copy(connection, table, columns, chunk)
                else:
                    connection.execute(insert, [_complete(row, columns) for row in chunk])
                done += len(chunk)
                if progress is not None and len(rows) > CHUNK_ROWS:
                    progress(f"{table.name} : {min(offset + CHUNK_ROWS, len(rows))}/{len(rows)}", done / total)
            counts[table.name] = len(rows)
            if progress is not None:
                progress(f"{table.name} : {len(rows)} lignes", done / total)
        for name in derived:  # kept by triggers, disabled while COPY ran: every row computed once
            connection.execute(sa.text(f"SELECT {name}_rebuild()"))
        _set_triggers(connection, derived, enabled=True)
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection, tables)
        if use_copy:  # COPY moves no data version: the figures an app process cached before are of another history
            data_version.start_new_history(connection)
    refresh_planner_statistics(engine)  # so the first queries (and benchmarks) get sensible plans
    return counts


def _derived_of(loaded: set[str]) -> dict[str, frozenset[str]]:
    """The tables the database keeps by triggers from tables being loaded (data_version.DERIVED_FROM), with
    their sources loaded."""
    return {name: sources & loaded for name, sources in data_version.DERIVED_FROM.items() if sources & loaded}


def _set_triggers(connection: Connection, derived: dict[str, frozenset[str]], *, enabled: bool) -> None:
    """PostgreSQL: the triggers of these sources off (a trigger per copied row: a minute and a half for the
    large dataset's assessments) or on again, in the load's transaction."""
    for source in sorted(set().union(*derived.values())):
        connection.execute(sa.text(f"ALTER TABLE {source} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER"))


def _copy(connection: Connection, table: sa.Table, columns: list[str], rows: list[dict]) -> None:
    """PostgreSQL: COPY … FROM STDIN on the transaction's own connection (several times faster).

    COPY bypasses SQLAlchemy's type processing, so enums are sent by value, JSON as its text and free
    text about a person through `models.types.EncryptedText` (encrypted) here; the other values (int,
    str, bool, date, time, tz-aware datetime, None) psycopg adapts.
    """
    preparer = connection.dialect.identifier_preparer
    enum_columns = [i for i, c in enumerate(table.columns) if isinstance(c.type, sa.Enum)]
    json_columns = [i for i, c in enumerate(table.columns) if isinstance(c.type, sa.JSON)]
    encrypted_columns = [(i, c.type) for i, c in enumerate(table.columns) if isinstance(c.type, EncryptedText)]
    statement = f"COPY {preparer.quote(table.name)} ({', '.join(preparer.quote(c) for c in columns)}) FROM STDIN"
    driver_connection = connection.connection.driver_connection
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row.get(name) for name in columns]
            for i in enum_columns:
                if isinstance(values[i], Enum):
                    values[i] = values[i].value
            for i in json_columns:
                values[i] = json.dumps(values[i])
            for i, column_type in encrypted_columns:
                values[i] = column_type.process_bind_param(values[i], connection.dialect)
            copy.write_row(values)


def _complete(row: dict, columns: list[str]) -> dict:
    """Same keys in every row of an executemany, in column order; helper keys are dropped."""
    if len(row) == len(columns) and all(name in row for name in columns):
        return row
    return {name: row.get(name) for name in columns}


def _advance_sequences(connection: Connection, tables: list[sa.Table]) -> None:
    """Ids were assigned in Python: move each serial past the highest id so the app can insert."""
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        id_column = table.c.get("id")
        if id_column is None or not id_column.primary_key or not isinstance(id_column.type, sa.Integer):
            continue
        quoted = preparer.quote(table.name)
        connection.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence(:name, 'id'), (SELECT MAX(id) FROM {quoted}))"),
            {"name": quoted},
        )
