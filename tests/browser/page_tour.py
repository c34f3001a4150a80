"""A tour of every page of the app in a real browser, shared by the chart-size test and `make screenshots`.

Nothing here lists pages or charts by hand: the pages are the table of services/platform/pages.py
(`PAGE_ACCESS`, their titles from ui/platform/navigation.py), the accounts are the demo accounts of the
seed (services/accounts/demo.py, one per role), and the charts are whatever Vega-Lite charts a page draws
(`[data-testid="stVegaLiteChart"]`, every st.altair_chart goes through ui.platform.charts.show).
A page added to the table is toured, and its charts checked, the day it is added.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from models.organisation import Role
from services.accounts.demo import DEMO_ACCOUNTS
from services.platform.db import make_engine
from services.platform.pages import PAGE_ACCESS, PageKey
from tests.browser.conftest import WAIT_MS, RunningApp
from tests.browser.journey import Account, expect_, open_settled, sign_in
from tests.browser.script_runs import poll, wait_settled
from ui.platform.navigation import PAGE_SPECS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

# The role whose view of a page shows the most (charts of every site, identities, the editing forms), for the
# screenshots: the first of this order that opens the page. A new role falls to the end of the order.
RICHEST_FIRST = (Role.DIRECTION, Role.CHEF_SERVICE, Role.GESTION, Role.INTERVENANT, Role.FORMATEUR, Role.FINANCEUR)

# A screenshot stops here: the top of a page and its first charts, not a giant capture of a long page.
SCREENSHOT_MAX_HEIGHT = {"phone": 2400, "desktop": 1800}
SCREENSHOT_COLOURS = 128  # a palette PNG: a quarter of the size of a full-colour one, the same to the eye

# The person file shown: the Lyon file of the demo data with the most barrier assessments (its chart).
PERSON_FILE_SQL = """
SELECT p.code FROM person p JOIN barrier_assessment b ON b.person_id = p.id
WHERE p.code LIKE 'LYO-%' GROUP BY p.code ORDER BY count(*) DESC, p.code LIMIT 1
"""


def demo_account(role: Role, password: str) -> Account:
    """The first demo account of the role (the one the README lists)."""
    found = next(account for account in DEMO_ACCOUNTS if account.role == role)
    return Account(found.username, found.display_name, password)


def pages_of(role: Role) -> list[PageKey]:
    return [key for key in PageKey if role in PAGE_ACCESS.get(key, frozenset())]


def richest_role(key: PageKey) -> Role:
    roles = PAGE_ACCESS.get(key, frozenset())
    order = [*RICHEST_FIRST, *sorted(set(Role) - set(RICHEST_FIRST))]
    return next(role for role in order if role in roles)


@cache
def _person_code(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(PERSON_FILE_SQL)).scalar_one()
    finally:
        engine.dispose()


def page_url(app: RunningApp, key: PageKey) -> str:
    if key == PageKey.HOME:  # the default page lives at the root
        return app.url
    query = f"?code={_person_code(app.database_url)}" if key == PageKey.PERSON_FILE else ""
    return f"{app.url}/{key.value}{query}"


def open_directly(page, app: RunningApp, key: PageKey) -> None:
    """Open the page by its address (the browser is signed in: the cookie re-login opens it) and wait until
    its run is over and every chart on it is drawn."""
    open_settled(page, page_url(app, key))
    title = page.get_by_role("heading", level=1)
    expect_()(title.first).to_be_visible(timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    wait_charts_drawn(page)


_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
  .filter(chart => chart.checkVisibility())
  .every(chart => chart.querySelector('canvas, svg.marks')?.getBoundingClientRect().height > 0)"""
DRAWING_WAIT_MS = 10_000


def wait_charts_drawn(page) -> None:
    """Vega draws a chart after the run that sent it, and a chart of a tab when the tab shows: wait until every
    visible chart has a drawing. One still empty after DRAWING_WAIT_MS is left to the caller's measure (0 px)."""
    try:
        poll(page, lambda: page.evaluate(_CHARTS_DRAWN), "every chart of the page drawn", DRAWING_WAIT_MS)
    except AssertionError:
        return
    page.wait_for_timeout(300)  # a chart drawn at once in a narrow column is redrawn at its column's width


@dataclass(frozen=True)
class ChartBox:
    """A chart as drawn: the Streamlit element and the Vega drawing inside it (CSS pixels)."""

    title: str
    x: float
    width: float
    height: float
    drawing_height: float
    drawing_right: float  # where the Vega drawing ends on the right (wider than its element: it overflows)
    plot_height: float  # from its highest axis to its lowest: the plotting area and the labels below it
    where: str = ""  # the tab it is in, if any


_CHART_BOXES = """root => [...document.querySelectorAll(root + ' [data-testid="stVegaLiteChart"]')]
  .filter(chart => chart.checkVisibility())
  .map(chart => {
    const box = chart.getBoundingClientRect();
    const drawing = chart.querySelector('canvas, svg.marks');
    const title = chart.querySelector('[aria-label]')?.getAttribute('aria-label')
      || drawing?.getAttribute('aria-label') || '';
    return {title, x: box.x, width: box.width, height: box.height,
            drawingHeight: drawing ? drawing.getBoundingClientRect().height : 0,
            drawingRight: drawing ? drawing.getBoundingClientRect().right : 0,
            plotHeight: (boxes => boxes.length
              ? Math.max(...boxes.map(box => box.bottom)) - Math.min(...boxes.map(box => box.top)) : 0)(
              [...chart.querySelectorAll('[aria-roledescription="axis"]')].map(axis => axis.getBoundingClientRect()))};
  })"""


def chart_boxes(page, where: str = "", root: str = "") -> list[ChartBox]:
    """Every chart visible on the page (those of the tabs not selected are hidden: `charts_of_every_tab`),
    or inside the elements `root` selects."""
    return [
        ChartBox(
            box["title"],
            box["x"],
            box["width"],
            box["height"],
            box["drawingHeight"],
            box["drawingRight"],
            box["plotHeight"] or box["drawingHeight"],
            where,
        )
        for box in page.evaluate(_CHART_BOXES, root)
    ]


def charts_of_every_tab(page) -> list[ChartBox]:
    """The charts of the page as opened, then of each of its other tabs (st.tabs switch in the browser,
    without a run); the first tab is selected again at the end, as the page was opened."""
    boxes = chart_boxes(page)
    tabs = page.get_by_role("tab")
    names = [name.strip() for name in tabs.all_inner_texts()]
    for index, name in enumerate(names[1:], start=1):
        tabs.nth(index).click()
        expect_()(tabs.nth(index)).to_have_attribute("aria-selected", "true")
        wait_settled(page, WAIT_MS)  # a tab may run the script (a lazy tab)
        wait_charts_drawn(page)
        boxes += chart_boxes(page, where=name, root='[role="tabpanel"]:not([hidden])')
    if len(names) > 1:
        tabs.first.click()
        wait_settled(page, WAIT_MS)
        wait_charts_drawn(page)
    return boxes


def save_screenshot(page, path: Path, viewport_name: str) -> int:
    """The page as shown, from its top down to SCREENSHOT_MAX_HEIGHT, as a palette PNG; returns its size."""
    from PIL import Image

    height = min(
        SCREENSHOT_MAX_HEIGHT[viewport_name],
        page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0")
        or VIEWPORTS[viewport_name]["height"],
    )
    # Streamlit scrolls its main block, not the document: make the window as tall as the capture.
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    try:
        wait_charts_drawn(page)
        png = page.screenshot(full_page=False, animations="disabled", caret="hide")
    finally:
        page.set_viewport_size(size)
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=SCREENSHOT_COLOURS, dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)
    return path.stat().st_size


def screenshot_name(key: PageKey, role: Role, viewport_name: str) -> str:
    return f"{key.value}-{role.value}-{viewport_name}.png"


def sign_in_as(page, app: RunningApp, role: Role) -> Account:
    account = demo_account(role, app.demo_password)
    sign_in(page, app, account)
    return account


__all__ = [
    "DESKTOP",
    "PAGE_SPECS",
    "PHONE",
    "VIEWPORTS",
    "ChartBox",
    "chart_boxes",
    "open_directly",
    "pages_of",
    "richest_role",
    "save_screenshot",
    "screenshot_name",
    "sign_in_as",
]
