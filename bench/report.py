"""Pure part of the benchmark: statistics, result records, the printed table, results.json.

Nothing here imports Streamlit, SQLAlchemy or the services, so it is unit-tested
in milliseconds (tests/ops/test_bench_harness.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BUDGET_MS = 150.0  # warm: a click on a page already open
COLD_BUDGET_MS = 500.0  # the first run after a save (every cached aggregate recomputed)
REGRESSION_TOLERANCE = 0.20

# What the `sql_ms`, `queries` and `rows` columns mean (also written to results.json).
SQL_MEANING = (
    "DBAPI time of the page run's SQL: cursor.execute plus fetching the rows from the driver, "
    "summed over the statements of one run (median over the runs); ORM/pandas processing excluded"
)
QUERIES_MEANING = "SQL statements issued by one run of the page (app.py's login/session check included)"
ROWS_MEANING = "rows fetched from the driver by the SELECTs of one run of the page (app.py's included)"


def percentile(values: Sequence[float], q: float) -> float:
    """q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclass
class RunSample:
    """One timed run of a page: wall time of `AppTest.run()` and what its SQL cost."""

    wall_ms: float
    sql_ms: float
    queries: int
    rows: int


@dataclass
class PageResult:
    page: str
    role: str
    username: str
    script: str
    median_ms: float | None
    p90_ms: float | None
    first_run_ms: float | None
    sql_ms: float | None
    queries: int | None
    rows: int | None
    runs: int
    budget_ms: float = BUDGET_MS
    within_budget: bool = False
    error: str | None = None
    cold_ms: float | None = None  # median of runs each after a write (services.platform.data_version)

    @property
    def status(self) -> str:
        if self.error:
            return "ERROR"
        return "ok" if self.within_budget else "OVER"


def summarise(
    *,
    page: str,
    role: str,
    username: str,
    script: str,
    samples: Sequence[RunSample],
    first_run_ms: float | None = None,
    error: str | None = None,
    budget_ms: float = BUDGET_MS,
    cold_samples: Sequence[RunSample] = (),
) -> PageResult:
    """Medians of the timed runs (warm, and cold after a write); a page with an error is never within
    budget, nor one whose cold median exceeds COLD_BUDGET_MS."""
    if not samples:
        return PageResult(
            page,
            role,
            username,
            script,
            None,
            None,
            first_run_ms,
            None,
            None,
            None,
            0,
            budget_ms,
            False,
            error or "no timed run",
        )
    wall = [s.wall_ms for s in samples]
    median_ms = round(median(wall), 1)
    cold_ms = round(median([s.wall_ms for s in cold_samples]), 1) if cold_samples else None
    return PageResult(
        page=page,
        role=role,
        username=username,
        script=script,
        median_ms=median_ms,
        p90_ms=round(percentile(wall, 90), 1),
        first_run_ms=None if first_run_ms is None else round(first_run_ms, 1),
        sql_ms=round(median([s.sql_ms for s in samples]), 1),
        queries=round(median([s.queries for s in samples])),
        rows=round(median([s.rows for s in samples])),
        runs=len(samples),
        budget_ms=budget_ms,
        within_budget=error is None and median_ms <= budget_ms and (cold_ms is None or cold_ms <= COLD_BUDGET_MS),
        error=error,
        cold_ms=cold_ms,
    )


@dataclass
class DatasetInfo:
    database: str  # URL with the password hidden
    backend: str
    size: str
    reused: bool
    seed_seconds: float | None
    seeded_at: str | None
    tables: dict[str, int] = field(default_factory=dict)
    main_tables: dict[str, int] = field(default_factory=dict)


def result_record(result: PageResult) -> dict[str, Any]:
    record = asdict(result)
    record["status"] = result.status
    return record


def results_document(
    results: Iterable[PageResult],
    dataset: DatasetInfo,
    *,
    runs_per_page: int,
    generated_at: str,
    budget_ms: float = BUDGET_MS,
    machine: dict[str, Any] | None = None,
    written: Sequence[str] = (),
    written_at: str | None = None,
) -> dict[str, Any]:
    results = list(results)
    after = (
        f"a write of {', '.join(sorted(written))} (the cached aggregates that read it recomputed)"
        if written
        else "a write of every table (every cached aggregate recomputed)"
    )
    after += f", at the site {written_at}" if written_at else ", at sites unknown"
    return {
        "generated_at": generated_at,
        "machine": machine or {},
        "budget_ms": budget_ms,
        "runs_per_page": runs_per_page,
        "dataset": asdict(dataset),
        "written": sorted(written),
        "columns": {
            "sql_ms": SQL_MEANING,
            "queries": QUERIES_MEANING,
            "rows": ROWS_MEANING,
            "median_ms": "median wall time of AppTest.run() on the page, warm (after one untimed run)",
            "cold_ms": f"median wall time of a run just after {after}",
            "first_run_ms": "the page's first run in its session (the process already ran other pages)",
        },
        "results": [result_record(r) for r in results],
        "over_budget": [f"{r.page} ({r.role})" for r in results if not r.error and not r.within_budget],
        "failures": [f"{r.page} ({r.role}): {r.error}" for r in results if r.error],
    }


def write_results(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _cell(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


TABLE_COLUMNS = ("page", "role", "median_ms", "p90_ms", "cold_ms", "first_ms", "sql_ms", "queries", "rows", "budget")


def format_table(results: Sequence[PageResult]) -> str:
    """Fixed-width table, one line per (page, role); numbers right-aligned; budget is ok, OVER or ERROR."""
    rows = [
        (
            r.page,
            r.role,
            _cell(r.median_ms, 1),
            _cell(r.p90_ms, 1),
            _cell(r.cold_ms, 1),
            _cell(r.first_run_ms, 1),
            _cell(r.sql_ms, 1),
            _cell(r.queries),
            _cell(r.rows),
            r.status,
        )
        for r in results
    ]
    widths = [
        max(len(header), *(len(row[i]) for row in rows)) if rows else len(header)
        for i, header in enumerate(TABLE_COLUMNS)
    ]
    left_aligned = {0, 1, 9}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if i in left_aligned else cell.rjust(widths[i]) for i, cell in enumerate(cells)
        ).rstrip()

    out = [line(TABLE_COLUMNS), line(["-" * w for w in widths])]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def format_summary(results: Sequence[PageResult]) -> str:
    """The lines after the table: which pages are over budget, which failed."""
    over = [r for r in results if not r.error and not r.within_budget]
    failed = [r for r in results if r.error]
    lines = []
    if over:
        lines.append(
            f"Over the budget of {over[0].budget_ms:.0f} ms warm or {COLD_BUDGET_MS:.0f} ms after a write "
            f"({len(over)}):"
        )
        lines.extend(
            f"  - {r.page} ({r.role}): median {r.median_ms:.0f} ms, after a write {_cell(r.cold_ms)} ms, "
            f"SQL {r.sql_ms:.0f} ms"
            for r in over
        )
    else:
        lines.append("Every page that ran is within budget.")
    if failed:
        lines.append(f"Failed ({len(failed)}):")
        lines.extend(f"  - {r.page} ({r.role}): {r.error}" for r in failed)
    return "\n".join(lines)


def read_previous(path: Path) -> dict[str, Any] | None:
    """The results document of the previous run, if any (read before it is overwritten)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def regressions(
    previous: dict[str, Any] | None, results: Iterable[PageResult], tolerance: float = REGRESSION_TOLERANCE
) -> list[tuple[str, str, float, float]]:
    """(page, role, before, now) of every row whose warm median grew by more than `tolerance`."""
    if not previous:
        return []
    before = {
        (r["page"], r["role"]): r["median_ms"] for r in previous.get("results", []) if r.get("median_ms") is not None
    }
    return [
        (r.page, r.role, before[(r.page, r.role)], r.median_ms)
        for r in results
        if r.median_ms is not None
        and (r.page, r.role) in before
        and r.median_ms > before[(r.page, r.role)] * (1 + tolerance)
    ]


def format_regressions(found: Sequence[tuple[str, str, float, float]], *, colour: bool) -> str:
    """Rows slower than the previous run by more than the tolerance, in red on a terminal."""
    if not found:
        return f"No page slower than the previous run by more than {REGRESSION_TOLERANCE:.0%}."
    red, reset = ("\033[31m", "\033[0m") if colour else ("", "")
    lines = [f"{red}Slower than the previous run by more than {REGRESSION_TOLERANCE:.0%} ({len(found)}):{reset}"]
    lines.extend(f"{red}  - {page} ({role}): {was:.0f} ms → {now:.0f} ms{reset}" for page, role, was, now in found)
    return "\n".join(lines)
