"""The first visitor of a new process gets the login page as fast as the next ones (issue 14).

A process used to answer its health check at once and then warm up on the first visit: the login page
came about 11 s after the health check. Now it warms up before it serves (ui/platform/warmup.py): a
new process (a restart, nginx sending a visitor to a process that systemd just restarted) shows the
login page about as fast as a process that has served for hours (EXTRA_FIRST_VISIT_S).
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

# The goal: 3 s. What the first visitor waited for the warm-up came on top of what every visitor waits
# (the page's scripts in a new browser, its WebSocket, the cookie component, the login run), which takes
# 5 to 7 s on this 2-core machine shared by seven test runs (load 12) and would fail any fixed 3 s. So
# the test compares the first visit with a second one, from another new browser, to the same process
# once warm: the first may take EXTRA_FIRST_VISIT_S more. Measured at load 12: 4.7 s then 5.2 s with the
# warm-up; 14.8 s then 7.2 s without.
EXTRA_FIRST_VISIT_S = 3.0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _login_page_after(tab, url: str, since: float) -> float:
    tab.goto(url)
    tab.get_by_role("button", name="Se connecter").wait_for(state="visible", timeout=WAIT_MS)
    return time.monotonic() - since


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
        first = _login_page_after(tab, url, healthy_at)
        second_context = browser.new_context(locale="fr-FR", viewport=VIEWPORT)
        try:
            second = _login_page_after(second_context.new_page(), url, time.monotonic())
        finally:
            second_context.close()
        print(f"login page {first:.1f} s after the health check; {second:.1f} s for the next visitor")
        assert first <= second + EXTRA_FIRST_VISIT_S, (
            f"the first visitor waited {first:.1f} s for the login page, the next {second:.1f} s"
        )
    finally:
        context.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
