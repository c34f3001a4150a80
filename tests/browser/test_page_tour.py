"""Every page, at phone and desktop width, for the role that shows the most of it (page_tour.richest_role):
every chart drawn tall enough to read and within the window (issue 19: the Aller-vers charts were 20 px
high). The pages, roles and charts are found, not listed (tests/browser/page_tour.py). One role a page,
not every role: a chart is built the same for every role that sees it, and each visit costs seconds of
CI (the accessibility test opens every page for every role).

`make screenshots` runs this tour with PARCOURS_UPDATE_SCREENSHOTS=1: on the way, each page is also
photographed, phone and desktop, for the role that shows the most of it, into docs/screenshots/.
"""

from __future__ import annotations

import os
import time

import pytest

from models.organisation import Role
from services.platform.config import PROJECT_ROOT
from tests.browser.conftest import RunningApp
from tests.browser.page_tour import (
    VIEWPORTS,
    charts_of_every_tab,
    open_directly,
    pages_of,
    richest_role,
    save_screenshot,
    screenshot_name,
    sign_in_as,
)

pytestmark = pytest.mark.browser

# A chart whose plotting area is at least 160 px (ui.platform.charts.MIN_CHART_HEIGHT) is drawn taller than
# this with its axis; a squashed one (the old Aller-vers charts: 20 px of bars in 200) has a drawing this low.
MIN_DRAWN_HEIGHT = 150
MIN_PLOT_HEIGHT = 100  # from its highest axis to its lowest (about 70 px in the squashed charts)
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = os.environ.get("PARCOURS_UPDATE_SCREENSHOTS") == "1"


def _shown_by(role: Role) -> list:
    """The pages this role is the richest role of, in menu order."""
    return [key for key in pages_of(role) if richest_role(key) == role]


@pytest.mark.parametrize("viewport_name", list(VIEWPORTS))
@pytest.mark.parametrize("role", [role for role in Role if _shown_by(role)], ids=lambda role: role.value)
def test_every_chart_is_tall_enough_and_inside_the_window(
    new_page, running_app: RunningApp, role: Role, viewport_name: str
) -> None:
    viewport = VIEWPORTS[viewport_name]
    page = new_page(viewport=viewport)
    sign_in_as(page, running_app, role)
    problems, measured, timings = [], 0, []
    for key in _shown_by(role):
        started = time.monotonic()
        open_directly(page, running_app, key)
        for chart in charts_of_every_tab(page):
            measured += 1
            where = f"{key.value} {chart.where}: chart « {chart.title[:60]} »"
            if chart.drawing_height < MIN_DRAWN_HEIGHT:
                problems.append(f"{where} drawn {chart.drawing_height:.0f} px high (< {MIN_DRAWN_HEIGHT})")
            if chart.plot_height < MIN_PLOT_HEIGHT:
                problems.append(f"{where}: plotting area {chart.plot_height:.0f} px high (< {MIN_PLOT_HEIGHT})")
            right = max(chart.x + chart.width, chart.drawing_right)
            if chart.width < 1 or chart.x < 0 or right > viewport["width"] + 1:
                problems.append(f"{where} spans x {chart.x:.0f}–{right:.0f}; the window is {viewport['width']} px")
        if UPDATE_SCREENSHOTS:
            save_screenshot(page, SCREENSHOTS / screenshot_name(key, role, viewport_name), viewport_name)
        timings.append(f"{key.value} {time.monotonic() - started:.1f} s")
    print(f"{role.value} {viewport_name}: {measured} charts measured; {', '.join(timings)}")
    assert not problems, "\n".join(problems)
