"""The first visitor of a new process gets the login page as fast as the next ones (issue 14).

A process used to answer its health check at once and then warm up on the first visit: the login page
came about 11 s after the health check. Now it warms up before it serves (ui/platform/warmup.py): a
new process (a restart, nginx sending a visitor to a process that systemd just restarted) shows the
login page within FIRST_VISIT_S of answering its health check.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request

import pytest

import clock
from services.platform.config import PROJECT_ROOT
from tests.browser.conftest import BIN, STARTUP_TIMEOUT, VIEWPORT, WAIT_MS, RunningApp, _free_port

pytestmark = pytest.mark.browser

# The goal is 3 s on an idle machine. On a loaded 2-core CI machine the login page of a process that has
# long been warm takes 2 to 5 s to draw in a new browser (the page's scripts, its WebSocket, the cookie
# component); a process warming up on the visit took 13 s more. 6 s keeps the test quiet under load and
# still fails if the warm-up is lost.
FIRST_VISIT_S = 6.0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def test_a_new_process_shows_the_login_page_soon_after_its_health_check_answers(
    browser, running_app: RunningApp, tmp_path
) -> None:
    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "PARCOURS_MODE": "demo",
            "PARCOURS_DATABASE_URL": running_app.database_url,  # made by ops.bootstrap, as `make run` does
            "PARCOURS_LOGIN_SLEEP_TIME": "0",
            "PARCOURS_CLOCK": clock.now().isoformat(),
        }
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORT)  # ready before the process answers
    tab = context.new_page()
    log_path = tmp_path / "streamlit.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                *(str(BIN / "streamlit"), "run", "server.py", "--server.port", str(port)),
                *("--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(url):
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"not healthy after {STARTUP_TIMEOUT} s:\n{log_path.read_text()}"
            time.sleep(0.05)
        healthy_at = time.monotonic()
        tab.goto(url)
        tab.get_by_role("button", name="Se connecter").wait_for(state="visible", timeout=WAIT_MS)
        shown_after = time.monotonic() - healthy_at
        print(f"first visit: login page {shown_after:.1f} s after the health check")
        assert shown_after <= FIRST_VISIT_S, f"the login page came {shown_after:.1f} s after the health check"
    finally:
        context.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
