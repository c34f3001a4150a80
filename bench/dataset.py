"""Build or reuse the large synthetic dataset in the benchmark database."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import Engine, make_url

from bench.config import DEFAULT_DATABASE_URL, SideFiles, read_seed_record, sqlite_path
from bench.report import DatasetInfo
from services.platform.crypto import FieldCipher
from services.platform.db import downgrade_to, make_engine, upgrade_to_head

SIZE = "large"
BENCH_BCRYPT_ROUNDS = 4  # the demo accounts' hash: speed over strength in a throw-away database

# Headline sizes: persons, attendance (courses + workshops), outreach rounds, expenses.
MAIN_TABLES: dict[str, tuple[str, ...]] = {
    "persons": ("person",),
    "attendance": ("course_attendance", "workshop_attendance"),
    "outreach_rounds": ("outreach_round",),
    "expenses": ("expense",),
}


class BenchDatabaseError(RuntimeError):
    """The benchmark database cannot be used as is; the message says what to do."""


def display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()


def table_counts(engine: Engine) -> dict[str, int]:
    names = sorted(n for n in inspect(engine).get_table_names() if n != "alembic_version")
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def main_table_counts(counts: dict[str, int]) -> dict[str, int]:
    return {label: sum(counts.get(name, 0) for name in names) for label, names in MAIN_TABLES.items()}


def _wipe(url: str) -> None:
    """--rebuild: a SQLite file is deleted; a server database is migrated down to nothing."""
    path = sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = path.with_name(path.name + suffix)
            candidate.unlink(missing_ok=True)
        return
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)  # a half-migrated database goes down cleanly only from head
        downgrade_to(engine, "base")
    finally:
        engine.dispose()


class _ProgressPrinter:
    """seed_database's progress callback: a line every 5 % or every 10 s, and the last one."""

    def __init__(self) -> None:
        self._started = self._printed_at = time.perf_counter()
        self._last = -1.0

    def __call__(self, step: str, fraction: float) -> None:
        now = time.perf_counter()
        if fraction < 1 and fraction - self._last < 0.05 and now - self._printed_at < 10:
            return
        self._last, self._printed_at = fraction, now
        print(f"  [{now - self._started:6.1f} s] {fraction:4.0%}  {step}", flush=True)


def prepare_dataset(
    url: str,
    *,
    key: str,
    key_created: bool,
    files: SideFiles,
    rebuild: bool,
    demo_password: str,
    log: Callable[[str], None] = print,
    size: str = SIZE,
) -> DatasetInfo:
    """Reuse the benchmark database when it already holds data, otherwise migrate and seed it."""
    from seed.generator import database_is_empty, seed_database
    from services.accounts.passwords import hash_password

    record = read_seed_record(files.seed_record)
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        empty = database_is_empty(engine)
    finally:
        engine.dispose()

    if not empty and not rebuild and (key_created or record is None):
        problem = (
            "its encryption key was missing"
            if key_created
            else f"no seeding record ({files.seed_record.name}): it is incomplete or not a bench database"
        )
        if url != DEFAULT_DATABASE_URL:
            raise BenchDatabaseError(
                f"{display_url(url)} already holds data but {problem}. "
                "Run `python -m bench --rebuild` to empty and re-seed it (its data will be lost)."
            )
        log(f"The bench database holds data but {problem}: rebuilding it.")
        rebuild = True

    if not empty and not rebuild and record is not None and record.get("size", SIZE) != size:
        raise BenchDatabaseError(
            f"{display_url(url)} holds the {record.get('size', SIZE)} dataset, not the {size} one. "
            "Run `python -m bench --rebuild` to empty and re-seed it (its data will be lost)."
        )

    if rebuild:
        log(f"Emptying {display_url(url)} (--rebuild)…")
        files.seed_record.unlink(missing_ok=True)
        _wipe(url)
        empty = True

    engine = make_engine(url)
    try:
        if empty:
            upgrade_to_head(engine)
            log(f"Seeding the {size} synthetic dataset into {display_url(url)} (a few minutes)…")
            started = time.perf_counter()
            seeded = seed_database(
                engine,
                size=size,
                cipher=FieldCipher([key]),
                demo_password_hash=hash_password(demo_password, rounds=BENCH_BCRYPT_ROUNDS),
                progress=_ProgressPrinter(),
            )
            seconds = round(time.perf_counter() - started, 1)
            record = {
                "database": display_url(url),
                "size": size,
                "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seed_seconds": seconds,
                "seeded": {str(k): int(v) for k, v in (seeded or {}).items()},
            }
            files.seed_record.parent.mkdir(parents=True, exist_ok=True)
            files.seed_record.write_text(json.dumps(record, indent=2) + "\n")
            log(f"Seeded in {seconds:.1f} s.")
        else:
            log(
                f"Reusing {display_url(url)}, seeded {record.get('seeded_at')} in {record.get('seed_seconds')} s "
                "(--rebuild to re-seed)."
            )
        counts = table_counts(engine)
    finally:
        engine.dispose()

    return DatasetInfo(
        database=display_url(url),
        backend=backend_of(url),
        size=str(record.get("size", SIZE)),
        reused=not empty,
        seed_seconds=record.get("seed_seconds"),
        seeded_at=record.get("seeded_at"),
        tables=counts,
        main_tables=main_table_counts(counts),
    )
