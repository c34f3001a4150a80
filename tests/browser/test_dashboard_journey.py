"""The director dashboard in a real browser (issue 6): a director (role direction, an account of each
journey's own) opens "Tableau de bord" and sees the activity tiles, the charts and the site comparison
of every site; another period redraws it; a director switches the interface to English and reads the
dashboard in English.

PARCOURS_UPDATE_SCREENSHOTS=1 refreshes docs/dashboard.png (the README's picture) from this journey.
"""

from __future__ import annotations

import os
import re
from datetime import date

import pytest
from sqlalchemy import text

import clock
import i18n
from i18n.formats import day as french_day
from models.organisation import Role
from services.platform.config import PROJECT_ROOT
from services.platform.db import make_engine
from tests import director_answers_sql as expected
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_page, sign_in
from tests.browser.script_runs import wait_settled

pytestmark = pytest.mark.browser

SCREENSHOT = PROJECT_ROOT / "docs" / "dashboard.png"
UPDATE_SCREENSHOTS = os.environ.get("PARCOURS_UPDATE_SCREENSHOTS") == "1"
SITES = ("Lyon", "Grenoble", "Marseille", "Paris")


def _open_dashboard(page) -> None:
    expect = expect_()
    navigation = page.get_by_role("navigation")
    # The menu is always expanded (app.py): with direction's pages Streamlit would fold the last ones.
    expect(navigation.get_by_text(re.compile(r"^View \d+ more$"))).to_have_count(0)
    navigation.get_by_role("link", name="Tableau de bord", exact=True).click()
    title = page.get_by_role("heading", name="Tableau de bord", level=1)
    expect(title).to_have_count(1, timeout=WAIT_MS)  # a rerun may briefly show the old copy beside it
    expect(title).to_be_visible(timeout=WAIT_MS)


def _period_caption(start: date, end: date) -> re.Pattern:
    return re.compile(rf"^Période du {re.escape(french_day(start))} au {re.escape(french_day(end))}, ")


def test_direction_opens_the_dashboard_of_every_site(new_page, running_app: RunningApp) -> None:
    expect = expect_()
    director = an_account(running_app, "direction.dashboard", "Serge Almeida", Role.DIRECTION, site_codes=("*",))
    # Tall window: the whole dashboard in one screenshot.
    page = new_page(viewport={"width": 1440, "height": 4300})
    sign_in(page, running_app, director)
    _open_dashboard(page)
    main = page.get_by_test_id("stMain")
    metrics = main.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Dossiers en file active")).to_have_count(1, timeout=WAIT_MS)
    expect(metrics.filter(has_text="Nouveaux accueils")).to_have_count(1)
    expect(metrics.filter(has_text="Emploi durable")).to_have_count(1)
    expect(main.get_by_role("heading", name="Comparaison des sites")).to_be_visible()
    # The site comparison, and the appointments per site and month.
    expect(main.get_by_test_id("stDataFrame")).to_have_count(2, timeout=WAIT_MS)
    table = main.get_by_test_id("stDataFrame").last
    for site in SITES:  # every site in the comparison table (drawn on a canvas: its accessible cells)
        expect(table.get_by_text(site, exact=True).first).to_be_attached(timeout=WAIT_MS)
    charts = main.locator(".vega-embed")
    expect(charts.nth(6)).to_be_visible(timeout=WAIT_MS)  # trends, funnel, referrals, budget, FTE
    expect(main.get_by_text("Accueillies sur la période").first).to_be_attached()
    expect(main.get_by_text("Une erreur", exact=False)).to_have_count(0)

    # Another period: the caption follows (the current month by default, then the last 12 months).
    today = clock.today()
    expect(main.get_by_text(_period_caption(clock.month_start(today), today))).to_have_count(1)
    main.get_by_text("12 derniers mois", exact=True).click()
    last_12_months = _period_caption(clock.add_months(clock.month_start(today), -11), today)
    expect(main.get_by_text(last_12_months)).to_have_count(1, timeout=WAIT_MS)
    expect(metrics.filter(has_text="Nouveaux accueils")).to_have_count(1, timeout=WAIT_MS)
    if UPDATE_SCREENSHOTS:
        wait_settled(page, WAIT_MS)
        # Every chart drawn (vega-embed puts a canvas or an svg in its box once the chart is rendered).
        page.wait_for_function(
            "() => [...document.querySelectorAll('.vega-embed')].every(e => e.querySelector('canvas, svg'))"
        )
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def _english(french: str) -> str:
    """The catalogue's English for a French text (the journey checks the screen, not the wording)."""
    translated = i18n.catalogue(i18n.ENGLISH).singular[french]
    assert translated != french
    return translated


def test_direction_switches_to_english_and_sees_the_dashboard_in_english(new_page, running_app: RunningApp) -> None:
    expect = expect_()
    director = an_account(running_app, "direction.english", "Mireille Okafor", Role.DIRECTION, site_codes=("*",))
    page = new_page(viewport={"width": 1440, "height": 2400})
    sign_in(page, running_app, director)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("English", exact=True).click()
    navigation = page.get_by_role("navigation")
    dashboard = _english("Tableau de bord")
    expect(navigation.get_by_role("link", name=dashboard, exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(navigation.get_by_role("link", name="Tableau de bord", exact=True)).to_have_count(0)
    open_page(page, dashboard)

    main = page.get_by_test_id("stMain")
    metrics = main.get_by_test_id("stMetric")
    expect(metrics.filter(has_text=_english("Dossiers en file active"))).to_have_count(1, timeout=WAIT_MS)
    expect(metrics.filter(has_text=_english("Nouveaux accueils"))).to_have_count(1)
    expect(main.get_by_role("heading", name=_english("Comparaison des sites"))).to_be_visible()
    expect(main.locator(".vega-embed").nth(6)).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_text("Dossiers en file active")).to_have_count(0)
    expect(main.get_by_text(re.compile(r"\d\s€"))).to_have_count(0)  # money in English: €1,234.56

    # The choice holds for the session: another page, still English; back to French on request.
    open_page(page, _english("Suivi budgétaire"))
    sidebar.get_by_text("Français", exact=True).click()
    expect(navigation.get_by_role("link", name="Tableau de bord", exact=True)).to_be_visible(timeout=WAIT_MS)


# --- issue 18: the director's three questions, read from the top of the page ------------------------------

NNBSP, NBSP = "\u202f", "\u00a0"
PACE = {"behind": "▼ En retard (sous-consommation)", "on_track": "Au rythme", "overspending": "▲ Surconsommation"}


def _html_table(main, header: str) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of the st.table whose header row holds `header` (an HTML table: every column on
    the page, wrapped, none cut off)."""
    table = main.get_by_test_id("stTable").filter(has_text=header).locator("table")
    expect_()(table).to_have_count(1, timeout=WAIT_MS)
    script = """t => [[...t.querySelectorAll('thead th')].map(c => c.textContent.trim()),
                     [...t.querySelectorAll('tbody tr')].map(r => [...r.children].map(c => c.textContent.trim()))]"""
    columns, rows = table.evaluate(script)
    columns = [c for c in columns if c]  # an empty corner cell, if the index header is drawn
    return columns, [row[-len(columns) :] for row in rows]


def _metric(main, label: str) -> str:
    tile = main.get_by_test_id("stMetric").filter(
        has=main.page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    expect_()(tile).to_have_count(1, timeout=WAIT_MS)
    return tile.get_by_test_id("stMetricValue").inner_text().strip()


def _int(text: str) -> int:
    assert re.fullmatch(rf"\d{{1,3}}([{NNBSP} ]\d{{3}})*", text), text
    return int(re.sub(r"\D", "", text))


def _share(text: str) -> float:
    match = re.fullmatch(rf"(\d{{1,3}}),(\d)[{NBSP}{NNBSP} ]%", text)
    assert match, text
    return float(f"{match[1]}.{match[2]}") / 100


def test_a_director_answers_the_three_questions_from_the_top_of_the_dashboard(
    new_page, running_app: RunningApp
) -> None:
    expect = expect_()
    director = an_account(running_app, "direction.answers", "Nadia Ferhat", Role.DIRECTION, site_codes=("*",))
    page = new_page(viewport={"width": 1280, "height": 2400})
    sign_in(page, running_app, director)
    _open_dashboard(page)
    main = page.get_by_test_id("stMain")
    main.get_by_text("12 derniers mois", exact=True).click()
    today = clock.today()
    start = clock.add_months(clock.month_start(today), -11)
    expect(main.get_by_text(_period_caption(start, today))).to_have_count(1, timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    # The answers come first: their heading is the first of the page after the title.
    expect(main.get_by_role("heading", level=2).first).to_have_text("Les trois questions de la direction")

    engine = make_engine(running_app.database_url)
    try:
        with engine.connect() as connection:
            names = dict(connection.execute(text("SELECT code, name FROM site ORDER BY code")).all())
        codes = list(names)
        per_site, total = expected.accompanied(engine, codes, start, today)
        grants = expected.grants(engine, codes, today, national=True)  # every site: the national lines count
        sites = expected.sites(engine, codes, start, today, today)
    finally:
        engine.dispose()

    # 1. How many persons did we accompany? The total and each site's.
    assert _int(_metric(main, "Personnes accompagnées sur la période")) == total > 0
    for code, name in names.items():
        assert _int(_metric(main, name)) == per_site[code], name

    # 2. Is the budget keeping pace with time? Each running grant, its shares and its pace.
    off = sum(g.status != "on_track" for g in grants)
    assert _metric(main, "Financements hors rythme") == f"{off} sur {len(grants)}"
    columns, rows = _html_table(main, "Convention")
    assert columns == ["Convention", "Financeur", "Budget consommé", "Durée écoulée", "Écart", "Rythme"]
    assert [row[0] for row in rows] == [g.name for g in grants]
    for row, grant in zip(rows, grants, strict=True):
        assert abs(_share(row[2]) - float(grant.consumed)) <= 0.0006, grant.name
        assert abs(_share(row[3]) - float(grant.elapsed)) <= 0.0006, grant.name
        assert row[5] == PACE[grant.status], grant.name

    # 3. Which site lags? The ranking, every column readable, the laggards named.
    columns, rows = _html_table(main, "Indice")
    assert columns == [
        "Rang",
        "Site",
        "ETP pourvus",
        "Personnes accompagnées",
        "Actes par ETP",
        "Taux de présence",
        "Niveaux gagnés par apprenant·e",
        "Sorties pour 100 personnes",
        "Indice",
        "Verdict",
    ]
    ranked = sorted(sites, key=lambda r: (r.index is None, -(r.index or 0), names[r.code]))
    assert [row[1] for row in rows] == [names[r.code] for r in ranked]
    for row, site in zip(rows, ranked, strict=True):
        assert _int(row[3]) == site.accompanied, site.code
        marked = [key for key, cell in zip(expected.MEASURES, row[4:8], strict=True) if cell.startswith("▼")]
        assert tuple(marked) == site.marked, site.code
        assert row[8] == ("—" if site.index is None else str(site.index)), site.code
        assert row[9] == ("En retrait" if site.lagging else "Dans la norme"), site.code
    laggards = [names[r.code] for r in ranked if r.lagging]
    assert _metric(main, "Sites en retrait") == (", ".join(laggards) or "Aucun")
    # No column of the comparison is cut off: the table fits in the main column.
    table = main.get_by_test_id("stTable").filter(has_text="Indice").locator("table")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth + 1")
