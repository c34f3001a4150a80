"""Day arithmetic said in SQL, one construct for SQLite and PostgreSQL (SQLite stores a day as ISO text and has
no date type: its date functions take and give 'YYYY-MM-DD')."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class year_month(FunctionElement):
    """'YYYY-MM' of a date column: one cheap call per row."""

    type = sa.String()
    inherit_cache = True


@compiles(year_month)
def _year_month(element: year_month, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(year_month, "sqlite")
def _year_month_sqlite(element: year_month, compiler, **kw) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


class plus_days(FunctionElement):
    """`plus_days(day, days)`: the day `days` (an integer column or value, may be negative) after `day`, a date."""

    type = sa.Date()
    inherit_cache = True


@compiles(plus_days)
def _plus_days(element: plus_days, compiler, **kw) -> str:
    day, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({day} + CAST({days} AS INTEGER))"  # date + integer is a date


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler, **kw) -> str:
    day, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date({day}, printf('%+d days', {days}))"
