"""The benchmark's pure parts (statistics, results.json, table) and its SQL recorder, on tiny inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench import config
from bench.report import (
    BUDGET_MS,
    DatasetInfo,
    RunSample,
    format_regressions,
    format_summary,
    format_table,
    median,
    percentile,
    regressions,
    results_document,
    summarise,
    write_results,
)

RESULT_KEYS = {"page", "role", "median_ms", "sql_ms", "queries", "rows", "runs", "budget_ms", "within_budget"}


def _samples(*wall_ms: float) -> list[RunSample]:
    return [RunSample(wall_ms=w, sql_ms=w / 10, queries=4, rows=100) for w in wall_ms]


def _dataset() -> DatasetInfo:
    return DatasetInfo(
        database="sqlite:///data/bench.db",
        backend="sqlite",
        size="large",
        reused=True,
        seed_seconds=95.2,
        seeded_at="2026-01-01T00:00:00+00:00",
        tables={"person": 3000},
        main_tables={"persons": 3000},
    )


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 50, 5.0),
        ([3.0, 1.0, 2.0], 50, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 100, 5.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 90, 4.6),
        ([10.0, 20.0], 25, 12.5),
    ],
)
def test_percentile_interpolates_linearly(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_median_is_the_50th_percentile_and_ignores_order() -> None:
    assert median([900.0, 100.0, 120.0, 110.0, 130.0]) == 120.0
    with pytest.raises(ValueError):
        median([])
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summarise_takes_medians_and_checks_the_budget() -> None:
    fast = summarise(
        page="home",
        role="direction",
        username="direction",
        script="app_pages/home.py",
        samples=_samples(100, 300, 120, 110, 2000),
        first_run_ms=812.34,
    )
    assert (fast.median_ms, fast.sql_ms, fast.queries, fast.rows, fast.runs) == (120.0, 12.0, 4, 100, 5)
    assert fast.first_run_ms == 812.3
    assert fast.within_budget and fast.status == "ok"

    slow = summarise(
        page="budget", role="direction", username="direction", script="x.py", samples=_samples(600, 700, 650)
    )
    assert slow.median_ms == 650.0 and not slow.within_budget and slow.status == "OVER"

    # Warm within 150 ms but 520 ms after a write: over the 500 ms cold budget.
    slow_after_write = summarise(
        page="dashboard",
        role="direction",
        username="d",
        script="x.py",
        samples=_samples(90),
        cold_samples=_samples(520),
    )
    assert slow_after_write.cold_ms == 520.0 and slow_after_write.status == "OVER"
    cold_ok = summarise(page="p", role="r", username="u", script="s", samples=_samples(90), cold_samples=_samples(480))
    assert cold_ok.status == "ok"

    exactly = summarise(page="p", role="r", username="u", script="s", samples=_samples(BUDGET_MS))
    assert exactly.within_budget


def test_a_failed_page_has_no_timing_and_is_never_within_budget() -> None:
    failed = summarise(
        page="home", role="intervenant", username="ts.lyon", script="s", samples=[], error="KeyError: 'x'"
    )
    assert failed.status == "ERROR" and not failed.within_budget
    assert failed.median_ms is None and failed.runs == 0


def test_results_document_shape(tmp_path: Path) -> None:
    results = [
        summarise(page="home", role="direction", username="direction", script="a", samples=_samples(100, 110)),
        summarise(page="audit", role="direction", username="direction", script="b", samples=_samples(900)),
        summarise(page="home", role="intervenant", username="ts.lyon", script="a", samples=[], error="boom"),
    ]
    document = results_document(results, _dataset(), runs_per_page=5, generated_at="2026-01-01T00:00:00+00:00")
    path = tmp_path / "bench" / "results.json"
    write_results(path, document)
    loaded = json.loads(path.read_text())

    assert loaded["budget_ms"] == 150
    assert loaded["runs_per_page"] == 5
    assert loaded["dataset"]["size"] == "large" and loaded["dataset"]["reused"] is True
    assert loaded["dataset"]["seed_seconds"] == 95.2
    assert loaded["dataset"]["main_tables"] == {"persons": 3000}
    assert isinstance(loaded["results"], list) and len(loaded["results"]) == 3
    for record in loaded["results"]:
        assert record.keys() >= RESULT_KEYS
    assert [r["within_budget"] for r in loaded["results"]] == [True, False, False]
    assert loaded["results"][0]["median_ms"] == 105.0
    assert loaded["over_budget"] == ["audit (direction)"]
    assert loaded["failures"] == ["home (intervenant): boom"]
    assert {"sql_ms", "rows", "queries"} <= loaded["columns"].keys()
    assert loaded["machine"] == {}


def test_table_has_one_aligned_line_per_result() -> None:
    results = [
        summarise(page="home", role="direction", username="direction", script="a", samples=_samples(1234.56)),
        summarise(page="account", role="intervenant", username="ts.lyon", script="b", samples=_samples(42)),
        summarise(page="users", role="intervenant", username="ts.lyon", script="c", samples=[], error="boom"),
    ]
    lines = format_table(results).splitlines()
    assert lines[0].split() == [
        "page",
        "role",
        "median_ms",
        "p90_ms",
        "cold_ms",
        "first_ms",
        "sql_ms",
        "queries",
        "rows",
        "budget",
    ]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + len(results)
    assert lines[2].split()[:3] == ["home", "direction", "1234.6"] and lines[2].endswith("OVER")
    assert lines[3].endswith("ok") and lines[4].endswith("ERROR") and "—" in lines[4]
    # Numbers are right-aligned: the median column ends at the same offset on every row.
    end = lines[0].index("median_ms") + len("median_ms")
    assert all(line[end - 1] != " " for line in lines[2:4])

    summary = format_summary(results)
    assert "home (direction): median 1235 ms" in summary
    assert "users (intervenant): boom" in summary


def test_summary_when_everything_is_within_budget() -> None:
    ok = [summarise(page="home", role="direction", username="d", script="a", samples=_samples(10))]
    assert format_summary(ok) == "Every page that ran is within budget."


def test_database_url_and_side_files(tmp_path: Path) -> None:
    assert config.resolve_database_url(None, {}) == config.DEFAULT_DATABASE_URL
    assert config.resolve_database_url(None, {"BENCH_DATABASE_URL": "postgresql://u:p@h/b"}) == (
        "postgresql+psycopg://u:p@h/b"
    )
    assert config.resolve_database_url("sqlite:///x.db", {"BENCH_DATABASE_URL": "postgresql://h/b"}) == (
        "sqlite:///x.db"
    )

    default = config.side_files(config.DEFAULT_DATABASE_URL)
    assert default.key == config.DATA_DIR / "bench.key"
    assert default.seed_record == config.DATA_DIR / "bench.seed.json"
    server = config.side_files("postgresql+psycopg://bench:s3cret@db.local:5432/parcours_bench")
    assert server.key.parent == config.DATA_DIR and "s3cret" not in str(server.key)

    key_file = tmp_path / "k" / "bench.key"
    key, created = config.load_or_create_key(key_file)
    assert created and config.load_or_create_key(key_file) == (key, False)


def test_sql_recorder_counts_statements_rows_and_time() -> None:
    from bench.harness import SqlRecorder

    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
    recorder = SqlRecorder()
    recorder.install()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT n FROM t")).all()  # not recorded: inactive
            recorder.active = True
            assert len(connection.execute(text("SELECT n FROM t")).all()) == 3
            assert connection.execute(text("SELECT n FROM t WHERE n = 2")).scalar_one() == 2
            connection.execute(text("UPDATE t SET n = n + 1"))
            recorder.active = False
        sample = recorder.sample(0.25)
    finally:
        recorder.remove()
        engine.dispose()
    assert sample.queries == 3
    assert sample.rows == 4
    assert 0 < sample.sql_ms < 250
    assert sample.wall_ms == 250


def test_a_row_slower_than_the_previous_run_by_more_than_a_fifth_is_shown_in_red() -> None:
    previous = {
        "results": [
            {"page": "home", "role": "direction", "median_ms": 100.0},
            {"page": "budget", "role": "gestion", "median_ms": 100.0},
            {"page": "gone", "role": "gestion", "median_ms": 100.0},
        ]
    }
    now = [
        summarise(page="home", role="direction", username="d", script="a", samples=_samples(121)),
        summarise(page="budget", role="gestion", username="g", script="b", samples=_samples(119)),
        summarise(page="new", role="gestion", username="g", script="c", samples=_samples(900)),
    ]
    found = regressions(previous, now)
    assert found == [("home", "direction", 100.0, 121.0)]
    assert format_regressions(found, colour=True).startswith("\033[31m")
    assert "home (direction): 100 ms → 121 ms" in format_regressions(found, colour=False)
    assert regressions(None, now) == []


def test_a_page_error_the_error_boundary_logged_fails_the_run() -> None:
    """The boundary shows a message instead of raising: the bench reads the app's request-error log."""
    from bench import harness
    from services.platform import oplog

    oplog.REQUESTS.addHandler(harness.REQUEST_ERRORS)
    try:
        oplog.request_error(RuntimeError("boom"), page="worklist", role="intervenant")
        problem = harness._problem(at=None)  # read before the AppTest: a logged error decides
    finally:
        oplog.REQUESTS.removeHandler(harness.REQUEST_ERRORS)
    assert problem.startswith("page error logged by the app: request-error ref=")
    assert "page=worklist role=intervenant error=RuntimeError" in problem
    assert harness.REQUEST_ERRORS.messages == []  # taken once: the next run starts clean


def test_the_write_before_an_after_a_write_run_moves_what_a_save_of_the_chosen_tables_at_a_site_moves(
    tmp_path: Path,
) -> None:
    from bench.harness import write_nothing_but_the_version

    url = f"sqlite:///{tmp_path / 'versions.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE data_version (table_name VARCHAR PRIMARY KEY, version INTEGER)"))
        connection.execute(text("CREATE TABLE site (id INTEGER PRIMARY KEY, code VARCHAR)"))
        connection.execute(text("INSERT INTO site VALUES (3, 'LYO')"))
        connection.execute(
            text("INSERT INTO data_version VALUES ('course_attendance', 5), ('expense', 7), ('#epoch', 9)")
        )

    def versions() -> dict[str, int]:
        with engine.connect() as connection:
            return dict(connection.execute(text("SELECT table_name, version FROM data_version")).all())

    write_nothing_but_the_version(url, ["course_attendance"], "LYO")()  # a roll call at Lyon
    assert versions() == {"course_attendance": 6, "course_attendance@3": 1, "expense": 7, "#epoch": 9}
    write_nothing_but_the_version(url, ["course_attendance", "funder"])()  # sites unknown; a funder has none
    assert versions() == {
        "course_attendance": 7,
        "course_attendance@3": 1,
        "course_attendance@*": 1,
        "funder": 1,
        "expense": 7,
        "#epoch": 9,
    }
    write_nothing_but_the_version(url)()  # every table
    moved = versions()
    assert moved["expense"] == 8 and moved["expense@*"] == 1 and moved["person@*"] == 1
    assert moved["course_attendance"] == 8 and moved["course_attendance@3"] == 1 and moved["#epoch"] == 9
    assert "audit_event" not in moved  # bookkeeping no figure reads
    engine.dispose()


def test_the_bench_compiles_each_script_once_as_a_server_does(tmp_path: Path, monkeypatch) -> None:
    """A server compiles a page once per process (its Runtime's ScriptCache); AppTest, each run. The bench
    shares one cache while it times, and gives AppTest its own back after."""
    from streamlit.runtime.scriptrunner import script_cache
    from streamlit.testing.v1 import AppTest

    from bench.harness import share_one_script_cache

    script = tmp_path / "page.py"
    script.write_text("import streamlit as st\nst.write('bonjour')\n")
    reads: list[str] = []
    read = script_cache.open_python_file

    def counted(path, *args, **kwargs):
        reads.append(path)
        return read(path, *args, **kwargs)

    monkeypatch.setattr(script_cache, "open_python_file", counted)

    def three_runs() -> int:
        reads.clear()
        at = AppTest.from_file(str(script))
        for _ in range(3):
            at.run()
            assert [m.value for m in at.markdown] == ["bonjour"]
        return reads.count(str(script))

    assert three_runs() == 3  # AppTest alone
    restore = share_one_script_cache()
    try:
        assert three_runs() == 1  # compiled at the first run, then read from the shared cache
    finally:
        restore()
    assert three_runs() == 3
