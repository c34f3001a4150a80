"""The real app in a real browser: Streamlit on a free port, Playwright driving Debian's chromium.

Never `playwright install`: the browser is `/usr/bin/chromium` (apt-get install chromium).
Without it the tests skip, or fail when PARCOURS_REQUIRE_ALL=1 (CI).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import clock
from models.audit import AuditEvent
from services.platform.config import PROJECT_ROOT, load_settings
from services.platform.db import make_engine
from tests.browser.script_runs import watch
from tests.conftest import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 180  # the process warms up before it answers (ui/platform/warmup.py): long on a loaded machine
WAIT_MS = 30_000  # for an action or an expectation: a loaded machine can take seconds for a Streamlit run
VIEWPORT = {"width": 1366, "height": 900}
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class RunningApp:
    url: str
    database_url: str
    demo_password: str
    cookie_name: str
    log_path: Path
    # The moment the server was started at: its clock (clock.py) never reads earlier than this.
    clock_at_start: datetime

    def audit_count(self, username: str, action: str) -> int:
        """How many audit events of this action the server recorded for this username."""
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(
                    sa.select(sa.func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.actor_username == username, AuditEvent.action == action)
                ).scalar_one()
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit not healthy after {STARTUP_TIMEOUT} s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def running_app(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """Demo database made by `python -m ops.bootstrap` (as `make run` does), then `streamlit run server.py`."""
    workdir = tmp_path_factory.mktemp("browser-app")
    database_url = f"sqlite:///{workdir / 'parcours.db'}"
    env = os.environ.copy()  # keys and bcrypt rounds from tests/conftest.py
    env.pop("DATABASE_URL", None)
    env.update({"PARCOURS_MODE": "demo", "PARCOURS_DATABASE_URL": database_url, "PARCOURS_LOGIN_SLEEP_TIME": "0"})
    # The server lives on the tests' clock, at the same moment (not at the pinned morning again).
    env["PARCOURS_CLOCK"] = clock.now().isoformat()
    subprocess.run(
        [str(BIN / "python"), "-m", "ops.bootstrap"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    settings = load_settings(database_url=database_url)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "streamlit.log"
    clock_at_start = clock.now()
    env["PARCOURS_CLOCK"] = clock_at_start.isoformat()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN / "streamlit"),
                "run",
                "server.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log_path)
        yield RunningApp(url, database_url, settings.demo_password, settings.cookie_name, log_path, clock_at_start)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # instead of 5 s
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


_OPEN_TABS: list = []  # the pages of the test under way, for its failure report


def _open_tab(browser, viewport: dict[str, int]):
    """A page in a fresh browser context (no shared cookies), its Streamlit runs watched (script_runs.py)."""
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    watch(tab)
    _OPEN_TABS.append(tab)
    return tab


_SHOWN_MESSAGES = """() => [...document.querySelectorAll(
  '[data-testid="stAlert"], [data-testid="stException"], [data-testid="stToast"]'
)].map(element => element.innerText.trim()).filter(Boolean)"""


def _what_the_pages_showed() -> str:
    lines = []
    for tab in _OPEN_TABS:
        try:
            shown = tab.evaluate(_SHOWN_MESSAGES) if not tab.is_closed() else ["(fermée)"]
            lines.append(f"{tab.url}: " + (" | ".join(shown) or "(aucun message)"))
        except Exception as error:  # a page that crashed or navigated away: say so, report the rest
            lines.append(f"{tab.url}: unreadable ({error.__class__.__name__})")
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A journey that fails in CI says what its pages showed (alerts, errors, toasts) and what the app
    logged: a loaded machine's failure is rarely reproduced on a quiet one."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        report.sections.append(("messages the pages showed", _what_the_pages_showed()))
        app = item.funcargs.get("running_app")
        if app is not None and app.log_path.exists():
            tail = app.log_path.read_text(errors="replace").splitlines()[-60:]
            report.sections.append(("streamlit.log (last 60 lines)", "\n".join(tail)))
    if report.when == "teardown":
        _OPEN_TABS.clear()


@pytest.fixture
def page(browser, running_app: RunningApp) -> Iterator:
    tab = _open_tab(browser, VIEWPORT)
    try:
        yield tab
    finally:
        tab.context.close()


@pytest.fixture
def new_page(browser, running_app: RunningApp):
    """Open pages as `page` does (`new_page(viewport={...})` for another window size); all closed at teardown."""
    contexts = []

    def open_page(viewport: dict[str, int] = VIEWPORT):
        tab = _open_tab(browser, viewport)
        contexts.append(tab.context)
        return tab

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
