"""`make load`'s driver (bench/load.py): simulated users against a real app over Streamlit's WebSocket.

The live test starts the app as `make run` does (demo SQLite database, `streamlit run server.py`) and
lets 3 simulated users sign in through the login form and walk their menus for about 20 s; the others
check, on hand-made protobufs and samples, how a run is judged and how the figures are written.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

import clock
from bench import load
from services.platform.config import PROJECT_ROOT
from tests.browser.conftest import BIN, _free_port, _wait_healthy


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo database made by `python -m ops.bootstrap`, then `streamlit run server.py` on a free port."""
    workdir = tmp_path_factory.mktemp("load-app")
    env = os.environ.copy()  # keys and bcrypt rounds from tests/conftest.py
    env.update(
        {
            "PARCOURS_MODE": "demo",
            "PARCOURS_DATABASE_URL": f"sqlite:///{workdir / 'parcours.db'}",
            "PARCOURS_LOGIN_SLEEP_TIME": "0",
            "PARCOURS_CLOCK": clock.now().isoformat(),
        }
    )
    subprocess.run(
        [str(BIN / "python"), "-m", "ops.bootstrap"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    port = _free_port()
    log_path = workdir / "streamlit.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                *(str(BIN / "streamlit"), "run", "server.py", "--server.port", str(port), "--server.headless", "true"),
                *("--server.address", "127.0.0.1", "--server.fileWatcherType", "none"),
                *("--browser.gatherUsageStats", "false"),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def drive(coroutine):
    """The driver's coroutine on an event loop of its own thread: when the whole suite runs in one process
    (`make test`), the browser tests' Playwright (sync API) leaves an event loop running in this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_three_users_sign_in_and_every_page_they_open_is_rendered(app_url: str, tmp_path: Path) -> None:
    config = load.LoadConfig(url=app_url, users=3, duration_s=20, think_s=1.0, ramp_s=0.5)
    samples = drive(load.run_load(config))

    assert [s for s in samples if s.error] == []
    logins = [s for s in samples if s.page == load.LOGIN]
    assert len(logins) == 3  # ts.lyon, direction, chef.lyon: each through the login form
    pages = [s.page for s in samples if s.page != load.LOGIN]
    assert len(pages) >= 6, pages
    # The first click after the home page is the menu's next entry: « À faire » for the social worker and
    # the head of service, « Tableau de bord » for direction (the menu's sections, top to bottom).
    assert {"worklist", "dashboard"} <= set(pages)

    run = load.load_document(config, samples, label="test", load_before=[1.0, 1.0, 1.0], load_after=None)
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"results": [{"page": "home"}]}))
    load.write_load_section(results, run)
    written = json.loads(results.read_text())
    assert written["results"] == [{"page": "home"}]  # the bench's timings are kept
    assert written["load"]["test"]["users"] == 3
    assert written["load"]["test"]["totals"]["errors"] == 0
    assert {row["page"] for row in written["load"]["test"]["pages"]} == {load.LOGIN, *pages}


def test_a_wrong_password_is_an_error_of_the_login_row(app_url: str) -> None:
    config = load.LoadConfig(url=app_url, users=1, duration_s=5, think_s=1.0, password="not-the-password")
    samples = drive(load.run_load(config))
    assert [(s.page, s.error) for s in samples] == [
        (
            load.LOGIN,
            "error shown: Identifiant ou mot de passe incorrect.; title 'Bonjour' not shown (headings: ['Connexion'])",
        )
    ]


def _delta(**element) -> ForwardMsg:
    message = ForwardMsg()
    kind, values = next(iter(element.items()))
    getattr(message.delta.new_element, kind).MergeFrom(values)
    return message


def _run_of(*messages: ForwardMsg) -> load.RunOutcome:
    outcome = load.RunOutcome()
    for message in messages:
        load.read_forward_msg(message, outcome)
    return outcome


def _finished(status=ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    message = ForwardMsg()
    message.script_finished = status
    return message


def _heading(body: str) -> ForwardMsg:
    message = ForwardMsg()
    message.delta.new_element.heading.body = body
    return message


def test_a_page_with_its_title_and_no_error_is_rendered() -> None:
    outcome = _run_of(_heading("Aller-vers"), _finished())
    assert outcome.finished
    assert load.check_page("outreach", 120.0, outcome, {"outreach": "Aller-vers"}).error is None


def test_an_exception_an_error_alert_or_a_missing_title_is_an_error() -> None:
    crash = ForwardMsg()
    crash.delta.new_element.exception.type = "KeyError"
    crash.delta.new_element.exception.message = "'site'"
    alert = ForwardMsg()
    alert.delta.new_element.alert.body = "Une erreur inattendue est survenue (référence ABC)."
    alert.delta.new_element.alert.format = Alert.ERROR
    info = ForwardMsg()
    info.delta.new_element.alert.body = "Aucune dépense."
    info.delta.new_element.alert.format = Alert.INFO

    sample = load.check_page("outreach", 90.0, _run_of(_heading("Aller-vers"), crash, _finished()), {})
    assert sample.error == "exception KeyError: 'site'"
    sample = load.check_page("outreach", 90.0, _run_of(alert, info, _finished()), {"outreach": "Aller-vers"})
    assert sample.error == (
        "error shown: Une erreur inattendue est survenue (référence ABC).; title 'Aller-vers' not shown (headings: [])"
    )


def test_a_run_stopped_for_a_rerun_is_not_the_end() -> None:
    outcome = _run_of(_finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN))
    assert not outcome.finished
    load.read_forward_msg(_finished(), outcome)
    assert outcome.finished


def test_percentiles_per_page_count_rendered_runs_and_errors_apart() -> None:
    samples = [
        load.Sample("login", 800.0),
        *(load.Sample("home", float(ms)) for ms in range(100, 1100, 100)),  # 100 … 1000
        load.Sample("home", 30_000.0, "title 'Bonjour' not shown (headings: [])"),
        load.Sample("outreach", 50.0),
    ]
    rows = {row.page: row for row in load.summarise_load(samples)}
    assert [row.page for row in load.summarise_load(samples)] == ["login", "home", "outreach"]
    assert (rows["home"].samples, rows["home"].p50_ms, rows["home"].p95_ms, rows["home"].max_ms) == (
        10,
        550.0,
        955.0,
        1000.0,
    )
    assert rows["home"].errors == 1 and rows["home"].first_error.startswith("title 'Bonjour'")
    totals = load.overall(samples)
    assert (totals["page_runs"], totals["errors"], totals["within_target"]) == (11, 1, True)
    table = load.format_load_table(load.summarise_load(samples), totals)
    assert "\nhome         10     550     955    1000       1\n" in table
