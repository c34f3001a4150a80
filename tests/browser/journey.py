"""Helpers shared by the browser journeys: sign in, open a page, fill Streamlit widgets, read tables.

Streamlit keeps a stale copy of the page beside the new one during a rerun: wait for a locator to
have exactly one match (`to_have_count(1)`) before acting on it.
"""

from __future__ import annotations

import re
import time
from datetime import date

from services import users
from services.db import make_engine, unit_of_work
from services.principal import SYSTEM_ACTOR
from tests.browser.conftest import RunningApp

WAIT_MS = 30_000


try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixtures skip these tests without Playwright
    PlaywrightTimeout = TimeoutError


def expect_():  # noqa: ANN202
    from playwright.sync_api import expect

    return expect


# --- session and navigation ---------------------------------------------------------------------


def unlock(app: RunningApp, username: str) -> None:
    """As an admin would (test_login_journey locks cip.grenoble in the same app when run first)."""
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            users.unlock(session, SYSTEM_ACTOR, username)
    finally:
        engine.dispose()


def has_auth_cookie(page, app: RunningApp, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not [c for c in page.context.cookies() if c["name"] == app.cookie_name]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def sign_in(page, app: RunningApp, username: str) -> None:  # noqa: ANN001
    """Sign in on the home page; the re-login cookie must then be written (ui/session.py writes
    it again until the browser reports it), since it is what opens a URL typed directly.
    The account is unlocked first: test_login_journey locks one on purpose in the same app."""
    unlock(app, username)
    expect = expect_()
    page.goto(app.url)
    submit = page.get_by_role("button", name="Se connecter")
    expect(submit).to_be_visible(timeout=WAIT_MS)
    # The cookie component reports the browser's cookies about a second after the first run and
    # reruns the script; a click landing in that rerun can be dropped (a person clicks again).
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(app.demo_password)
    greeting = page.get_by_role("heading", name=re.compile(r"^Bonjour ")).first
    for _ in range(3):
        submit.click()
        try:
            expect(greeting).to_be_visible(timeout=WAIT_MS // 3)
            break
        except AssertionError:
            if not submit.is_visible():
                raise
    expect(greeting).to_be_visible(timeout=WAIT_MS)
    assert has_auth_cookie(page, app, timeout=10), f"no re-login cookie for {username} 10 s after login"
    # The cookie component reruns the script after writing the cookie: let that settle before
    # navigating, or that rerun may bring the home page back over the page just opened.
    page.wait_for_timeout(1000)


def open_page(page, link: str, heading: str | re.Pattern | None = None) -> None:  # noqa: ANN001
    """Click a menu entry and wait for its page title (the menu title unless `heading` says otherwise)."""
    page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
    title = page.get_by_role("heading", name=heading or link, level=1)
    expect_()(title).to_have_count(1, timeout=WAIT_MS)  # a rerun may briefly show the old copy beside it
    expect_()(title).to_be_visible(timeout=WAIT_MS)


def open_tab(page, name: str):  # noqa: ANN001, ANN202
    """The panel of a person-file tab, selected (a rerun after a save may keep it or not)."""
    expect = expect_()
    tab = page.get_by_role("tab", name=name, exact=True)
    # While a rerun replaces the page, the old tab bar may stand beside the new one for a moment.
    expect(tab).to_have_count(1, timeout=WAIT_MS)
    expect(tab).to_be_visible(timeout=WAIT_MS)
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    expect(tab).to_have_attribute("aria-selected", "true", timeout=WAIT_MS)
    panel = page.get_by_role("tabpanel", name=name, exact=True)
    expect(panel).to_be_visible(timeout=WAIT_MS)
    return panel


# --- widgets ------------------------------------------------------------------------------------


def type_date(scope, label: str, value: date) -> None:  # noqa: ANN001
    """st.date_input is a day / month / year segmented field: type the digits from the day segment."""
    expect = expect_()
    day_segment = scope.get_by_role("spinbutton", name=f"day, {label}", exact=True)
    day_segment.click()
    day_segment.page.keyboard.type(value.strftime("%d%m%Y"))
    expect(day_segment).to_have_text(f"{value.day:02d}")
    expect(scope.get_by_role("spinbutton", name=f"month, {label}", exact=True)).to_have_text(f"{value.month:02d}")
    expect(scope.get_by_role("spinbutton", name=f"year, {label}", exact=True)).to_have_text(str(value.year))


def choose(scope, label: str, option: str | re.Pattern, *, typed: str | None = None) -> None:  # noqa: ANN001
    """A selectbox (or multiselect) is a combobox: open it, optionally filter, click the option."""
    page = scope.page
    box = scope.get_by_role("combobox", name=label, exact=True)
    for _ in range(3):
        box.click()
        try:  # right after another selectbox was chosen from, a first click only focuses this one
            page.get_by_role("listbox").first.wait_for(state="visible", timeout=2000)
            break
        except PlaywrightTimeout:
            continue
    if typed:
        page.keyboard.type(typed)
    page.get_by_role("option", name=option).first.click()


def close_dropdown(page) -> None:  # noqa: ANN001
    page.keyboard.press("Escape")
    expect_()(page.get_by_role("listbox")).to_have_count(0)


def tick(scope, label: str) -> None:  # noqa: ANN001
    box = scope.get_by_role("checkbox", name=label, exact=True)
    box.check(force=True)  # the input is visually hidden behind its styled label
    expect_()(box).to_be_checked()


def data_table(scope):  # noqa: ANN001, ANN202
    """st.dataframe draws on a canvas; glide-data-grid keeps an accessible table of the rows inside it."""
    return scope.get_by_test_id("stDataFrame").locator("table[role=grid]")


def table_rows(scope) -> list[tuple[str, ...]]:  # noqa: ANN001
    script = "t => [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim()))"
    return [tuple(cells) for cells in data_table(scope).first.evaluate(script)]


def wait_rows(scope, predicate, what: str) -> list[tuple[str, ...]]:  # noqa: ANN001
    """Poll the grid until its rows satisfy the predicate: it is redrawn after each rerun, and its
    accessible table may list the rows of a previous run, or part of them, for a moment."""
    expect = expect_()
    expect(data_table(scope).first).to_be_attached(timeout=WAIT_MS)
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        rows = table_rows(scope)
        if predicate(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not in {rows}")
        time.sleep(0.25)


def has_row(predicate):  # noqa: ANN001, ANN202
    return lambda rows: any(predicate(row) for row in rows)
