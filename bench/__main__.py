"""`make bench` → `python -m bench [--runs N] [--rebuild] [--database-url URL] [--language en] [--page P]…`."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import config
from bench.report import (
    BUDGET_MS,
    COLD_BUDGET_MS,
    format_regressions,
    format_summary,
    format_table,
    read_previous,
    regressions,
    results_document,
    write_results,
)
from services.platform.pages import PageKey

DEFAULT_RUNS = 7


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            f"Page timings of Parcours on the large synthetic dataset (budgets: {BUDGET_MS:.0f} ms warm, "
            f"{COLD_BUDGET_MS:.0f} ms just after a write)."
        ),
    )
    parser.add_argument(
        "--runs",
        type=_positive,
        default=DEFAULT_RUNS,
        help=f"timed runs per page after one warm-up run; the median is reported (default {DEFAULT_RUNS})",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="empty the bench database and seed it again (default: reuse it when it holds data)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="bench database (default: BENCH_DATABASE_URL, else sqlite:///data/bench.db)",
    )
    parser.add_argument(
        "--language", choices=("fr", "en"), default="fr", help="interface language of the timed pages (default fr)"
    )
    parser.add_argument(
        "--page",
        action="append",
        dest="pages",
        metavar="PAGE",
        choices=[page.value for page in PageKey],
        help="time only this page (its url path, e.g. worklist); repeat for several (default: every page)",
    )
    parser.add_argument(
        "--size",
        choices=("large", "demo"),
        default="large",
        help="dataset seeded into an empty bench database (default large; demo: the CI check on PostgreSQL)",
    )
    parser.add_argument(
        "--write",
        action="append",
        dest="written",
        default=[],
        metavar="TABLE",
        help="the write before each after-a-write run moves this table's version, as a save of it does (e.g. "
        "course_attendance for a roll call); repeat for several (default: every table, the worst case)",
    )
    parser.add_argument(
        "--write-site",
        metavar="CODE",
        help="the write is a save at this site (e.g. LYO): figures computed per site recompute that site's "
        "part only (default: a save whose sites cannot be told, every site's part recomputed)",
    )
    parser.add_argument(
        "--no-writes",
        action="store_true",
        help="no runs after a write (the after-write column stays empty): the quick check of CI",
    )
    parser.add_argument(
        "--results",
        metavar="PATH",
        type=Path,
        default=config.RESULTS_FILE,
        help="where the results are written (default bench/results.json)",
    )
    return parser.parse_args(argv)


def machine_info() -> dict[str, object]:
    """What the timings ran on; a load above the CPU count means other work competed with the bench."""
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": load,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    url = config.resolve_database_url(args.database_url)
    files = config.side_files(url)
    key, key_created = config.load_or_create_key(files.key)
    # Before anything reads (and caches) the settings: the app under test runs in this process.
    config.configure_environment(url, key)

    from bench.dataset import BenchDatabaseError, prepare_dataset
    from bench.harness import cold_runs, run_benchmark
    from services.platform.config import get_settings

    try:
        dataset = prepare_dataset(
            url,
            key=key,
            key_created=key_created,
            files=files,
            rebuild=args.rebuild,
            demo_password=get_settings().demo_password,
            size=args.size,
        )
    except BenchDatabaseError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    sizes = ", ".join(f"{name} {count:,}".replace(",", " ") for name, count in dataset.main_tables.items())
    print(f"Dataset ({dataset.size}, {dataset.backend}): {sizes}.")

    print(
        f"Timing pages: 1 first run, {args.runs} warm runs and {0 if args.no_writes else cold_runs(args.runs)} "
        "after a write each, "
        f"budget {BUDGET_MS:.0f} ms warm and {COLD_BUDGET_MS:.0f} ms after a write…",
        flush=True,
    )

    def progress(result) -> None:
        shown = "ERROR" if result.error else f"{result.median_ms:8.1f} ms  {result.status}"
        print(f"  {result.role:<12} {result.page:<24} {shown}", flush=True)

    machine = machine_info()
    pages = {PageKey(page) for page in args.pages} if args.pages else None
    results = run_benchmark(
        url,
        runs=args.runs,
        on_result=progress,
        language=args.language,
        pages=pages,
        after_writes=not args.no_writes,
        written=args.written,
        written_at=args.write_site,
    )
    document = results_document(
        results,
        dataset,
        runs_per_page=args.runs,
        machine=machine,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        written=args.written,
        written_at=args.write_site,
    )
    previous = read_previous(args.results)
    if previous and "load" in previous:  # `make load`'s figures stay beside the page timings
        document["load"] = previous["load"]
    write_results(args.results, document)

    print()
    print(format_table(results))
    print()
    print(format_summary(results))
    print(format_regressions(regressions(previous, results), colour=sys.stdout.isatty()))
    load, cpus = machine["load_average_1_5_15"], machine["cpus"]
    if load and cpus and load[0] > cpus:
        print(
            f"Note: load average {load[0]} on {cpus} CPUs when timing started; other work competed, "
            "timings are pessimistic and noisy."
        )
    seeding = (
        f"reused (seeded {dataset.seeded_at} in {dataset.seed_seconds} s)"
        if dataset.reused
        else f"seeded in {dataset.seed_seconds} s"
    )
    print(f"Dataset {seeding}. Results: {args.results}. Total {time.perf_counter() - started:.0f} s.")
    # A measurement, not a test: over budget still exits 0; a page that fails does not.
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
