"""Helpers shared by the browser journeys: an account of one's own, sign in, open a page, fill Streamlit
widgets, read tables.

Streamlit keeps a stale copy of the page beside the new one during a rerun: wait for a locator to
have exactly one match (`to_have_count(1)`) before acting on it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError
from sqlmodel import select

import clock
from models.organisation import Role, Site
from models.persons import Person, PersonStatus
from services.accounts import users
from services.platform.config import load_settings
from services.platform.db import make_engine, unit_of_work
from services.platform.principal import SYSTEM_ACTOR
from tests.browser.conftest import WAIT_MS, RunningApp
from tests.browser.script_runs import mark, poll, requested_since, wait_settled

PASSWORD = "mot de passe du parcours navigateur"  # of every account a journey makes


def expect_():
    """Playwright's expect, waiting 15 s by default instead of 5 (a loaded CI machine draws a rerun slowly;
    the long waits keep their own WAIT_MS)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    return expect


# --- accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    password: str = PASSWORD


def an_account(
    app: RunningApp,
    username: str,
    display_name: str,
    role: Role,
    *,
    site_codes: tuple[str, ...] = (),
    funder_name: str | None = None,
) -> Account:
    """A new account in the running app's database, as an admin would make it, for one journey only:
    what another journey does to its own account (a lockout, a logout that revokes every session of
    the account) cannot touch it. `site_codes=("*",)`: every site."""
    settings = load_settings(database_url=app.database_url)  # bcrypt rounds of the tests (tests/conftest.py)
    engine = make_engine(app.database_url)
    try:
        # Dated when the server started: its clock never reads earlier, so every session it opens
        # is newer than the password (a session older than its password is revoked, services.accounts.auth).
        with clock.pinned(app.clock_at_start), unit_of_work(engine) as session:
            sites = users.list_site_codes(session) if site_codes == ("*",) else list(site_codes)
            users.create_user(
                session,
                settings,
                SYSTEM_ACTOR,
                username=username,
                display_name=display_name,
                role=role,
                password=PASSWORD,
                site_codes=sites,
                funder_name=funder_name,
            )
    finally:
        engine.dispose()
    return Account(username, display_name)


# --- session and navigation ---------------------------------------------------------------------


def has_auth_cookie(page, app: RunningApp) -> bool:
    return any(cookie["name"] == app.cookie_name for cookie in page.context.cookies())


def an_active_file(app: RunningApp, site_code: str, *, with_rows_of: type | None = None, newest: bool = False) -> str:
    """The code of an active file of the site in the running app's demo data, the oldest (the newest with
    `newest`); with `with_rows_of` (a table with a person_id), a file that has rows there."""
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            query = (
                select(Person.code)
                .join(Site, Site.id == Person.site_id)
                .where(Site.code == site_code, Person.status == PersonStatus.ACTIVE)
            )
            if with_rows_of is not None:
                query = query.where(Person.id.in_(select(with_rows_of.person_id)))
            return session.exec(query.order_by(Person.id.desc() if newest else Person.id)).first()
    finally:
        engine.dispose()


def sign_in(page, app: RunningApp, account: Account) -> None:
    """Sign in on the home page and wait until the login has settled: the re-login cookie is in the
    browser (it is what opens a URL typed directly) and the run its writing caused is over."""
    expect = expect_()
    # The cookie manager reports the browser's cookies about a second after the first run, and the
    # script runs again: a click landing in that run can be lost. Wait for that run to be over.
    open_settled(page, app.url)
    submit = page.get_by_role("button", name="Se connecter")
    expect(submit).to_have_count(1, timeout=WAIT_MS)
    page.get_by_role("textbox", name="Identifiant").fill(account.username)
    page.get_by_role("textbox", name="Mot de passe").fill(account.password)
    since = mark(page)
    submit.click()
    greeting = page.get_by_role("heading", name=f"Bonjour {account.display_name}", level=1)
    expect(greeting.first).to_be_visible(timeout=WAIT_MS)
    # The login run writes the cookie through the cookie manager, which reports it and the script runs
    # again: wait for that run to be over, or it may bring the home page back over the page opened next.
    wait_settled(
        page,
        WAIT_MS,
        key="set",
        since=since,
        also=lambda: has_auth_cookie(page, app),
        what=f"the re-login cookie of {account.username} in the browser and the run it caused",
    )
    expect(greeting).to_have_count(1, timeout=WAIT_MS)


def open_settled(page, url: str | None = None) -> None:
    """Open `url` in the page (reload it without one) and wait until the cookie manager has reported the
    browser's cookies and the run that follows is over: with the re-login cookie, that run signs in
    again (a new Streamlit session), and nothing else is pending."""
    since = mark(page)
    if url is None:
        page.reload()
    else:
        page.goto(url)
    wait_settled(page, WAIT_MS, key="init", since=since, what="the cookie manager's report of the browser's cookies")


def open_file(page, app: RunningApp, code: str) -> None:
    """Open the person file `code` by its address, once its heading is shown."""
    open_settled(page, f"{app.url}/person_file?code={code}")
    expect_()(page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)).to_be_visible(timeout=WAIT_MS)


def open_page(page, link: str, heading: str | re.Pattern | None = None) -> None:
    """Click a menu entry and wait for its page title (the menu title unless `heading` says otherwise)
    and for the page's run to be over (its widgets are all drawn)."""
    page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
    title = page.get_by_role("heading", name=heading or link, level=1)
    expect_()(title).to_have_count(1, timeout=WAIT_MS)  # a rerun may briefly show the old copy beside it
    expect_()(title).to_be_visible(timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)


def open_tab(page, name: str):
    """The panel of a tab (a person file's, a page's), selected (a rerun after a save may keep it or not), once
    the run its click asked for is over: the file draws the lists and tables of its open tab only."""
    expect = expect_()
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        wait_settled(page, WAIT_MS)  # a run still drawing the page may redraw the tab bar
        tab = page.get_by_role("tab", name=name, exact=True)
        try:
            # While a rerun replaces the page, the old tab bar may stand beside the new one for a moment, and a
            # run asked for just before (a box chosen) may start after the page looked settled: try again.
            expect(tab).to_have_count(1, timeout=WAIT_MS)
            expect(tab).to_be_visible(timeout=WAIT_MS)
            if tab.get_attribute("aria-selected") != "true":
                tab.click(timeout=3000)
            expect(tab).to_have_attribute("aria-selected", "true", timeout=3000)
            wait_settled(page, WAIT_MS)
            panel = page.get_by_role("tabpanel", name=name, exact=True)
            expect(panel).to_be_visible(timeout=3000)
            return panel
        except (AssertionError, PlaywrightError):
            if time.monotonic() > deadline:
                raise


# --- widgets ------------------------------------------------------------------------------------


def type_date(scope, label: str, value: date) -> None:
    """st.date_input is a day / month / year segmented field: type the digits from the day segment."""
    expect = expect_()
    day_segment = scope.get_by_role("spinbutton", name=f"day, {label}", exact=True)
    day_segment.click()
    day_segment.page.keyboard.type(value.strftime("%d%m%Y"))
    expect(day_segment).to_have_text(f"{value.day:02d}")
    expect(scope.get_by_role("spinbutton", name=f"month, {label}", exact=True)).to_have_text(f"{value.month:02d}")
    expect(scope.get_by_role("spinbutton", name=f"year, {label}", exact=True)).to_have_text(str(value.year))


def _shows(value: str, option: str | re.Pattern) -> bool:
    return bool(option.search(value)) if isinstance(option, re.Pattern) else value == option


def choose(scope, label: str, option: str | re.Pattern, *, typed: str | None = None) -> None:
    """A selectbox (or multiselect) is a combobox: open its list, optionally filter, click the option, and see
    it shown in the box (a chip in a multiselect)."""
    expect = expect_()
    page = scope.page
    wait_settled(page, WAIT_MS)  # a run still drawing the page redraws the box and closes its list
    box = scope.get_by_role("combobox", name=label, exact=True)
    expect(box).to_have_count(1, timeout=WAIT_MS)  # a rerun may briefly show the old copy beside it
    widget = box.locator("xpath=ancestor::div[@data-testid='stSelectbox' or @data-testid='stMultiSelect'][1]")
    multiple = widget.get_attribute("data-testid") == "stMultiSelect"
    chip = widget.get_by_test_id("stMultiSelectTagsContainer").get_by_text(option, exact=True).first
    # Outside a form, a change asks for a run: wait for it, or the next step acts on the page it replaces (a
    # form keyed by the note just chosen drew anew, with the first pick made in the old one lost: CI 2026-12-07).
    asks_for_a_run = widget.locator("xpath=ancestor::div[@data-testid='stForm']").count() == 0 and (
        not chip.is_visible() if multiple else not _shows(box.input_value(), option)
    )
    since = mark(page)
    listbox = page.get_by_role("listbox").first
    # Right after another box was chosen from, the first key (or click) on this one only focuses it.
    # ArrowDown opens the list and leaves an open list open: press it until the list shows.
    # A run landing meanwhile (a cookie component's report, script_runs) may redraw the box and close its
    # list, or leave another box's list on screen: reopen until this box's option shows. The click too: a
    # run redrawing the box between the option showing and the click detaches the option (CI 2026-12-07):
    # pick again until the box shows it.
    deadline = time.monotonic() + WAIT_MS / 1000
    wanted = page.get_by_role("option", name=option).first
    while True:
        box.press("ArrowDown")
        try:
            expect(listbox).to_be_visible(timeout=1000)
            if typed:
                page.keyboard.type(typed)
            expect(wanted).to_be_visible(timeout=3000)
            wanted.click(timeout=3000)
            if multiple:
                expect(chip).to_be_visible(timeout=3000)
            else:
                expect(box).to_have_value(option, timeout=3000)
            break
        except (AssertionError, PlaywrightError):
            if time.monotonic() > deadline:
                raise
            page.keyboard.press("Escape")
            wait_settled(page, WAIT_MS)
            if multiple and chip.is_visible():  # the pick landed after all (a chosen option leaves the list)
                break
    if asks_for_a_run:
        wait_settled(page, WAIT_MS, also=lambda: requested_since(page, since), what=f"the run choosing {option}")


def save_until_shown(page, button, shown, *, first_wait_ms: float = 15_000) -> None:
    """Click a form's save `button` until `shown` (its result) is visible: a click that lands in a run of
    the cookie manager's can be lost (script_runs), so it is clicked once more if nothing came. Only for a
    save whose repetition changes nothing (the same values saved again)."""
    button.click()
    try:
        expect_()(shown).to_be_visible(timeout=first_wait_ms)
    except AssertionError:
        wait_settled(page, WAIT_MS)
        if not shown.is_visible():
            button.click()
    expect_()(shown).to_be_visible(timeout=WAIT_MS)


def close_dropdown(page) -> None:
    page.keyboard.press("Escape")
    expect_()(page.get_by_role("listbox")).to_have_count(0)


def tick(scope, label: str) -> None:
    box = scope.get_by_role("checkbox", name=label, exact=True)
    box.check(force=True)  # the input is visually hidden behind its styled label
    expect_()(box).to_be_checked()


def data_table(scope):
    """st.dataframe draws on a canvas; glide-data-grid keeps an accessible table of the rows inside it."""
    return scope.get_by_test_id("stDataFrame").locator("table[role=grid]")


def table_rows(scope) -> list[tuple[str, ...]]:
    script = "t => [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim()))"
    return [tuple(cells) for cells in data_table(scope).first.evaluate(script)]


def wait_rows(scope, predicate, what: str) -> list[tuple[str, ...]]:
    """Poll the grid until its rows satisfy the predicate: it is redrawn after each rerun, and its
    accessible table may list the rows of a previous run, or part of them, for a moment."""
    expect = expect_()
    expect(data_table(scope).first).to_be_attached(timeout=WAIT_MS)
    rows: list[tuple[str, ...]] = []

    def matches() -> bool:
        rows[:] = table_rows(scope)
        return bool(predicate(list(rows)))

    try:
        poll(scope.page, matches, what, WAIT_MS)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the rows: {rows}") from None
    return list(rows)


def has_row(predicate):
    return lambda rows: any(predicate(row) for row in rows)


def a_lyon_file(app: RunningApp) -> str:
    """The code of a file of the Lyon site in the demo data (a worker of Lyon may open it)."""
    engine = make_engine(app.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT person.code FROM person JOIN site ON site.id = person.site_id "
                    "WHERE site.code = 'LYO' AND person.anonymised_at IS NULL ORDER BY person.code LIMIT 1"
                )
            ).scalar_one()
    finally:
        engine.dispose()
