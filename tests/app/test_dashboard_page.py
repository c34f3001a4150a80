"""Tableau de bord: direction sees every site, chef_service only its own; the figures drawn are the
service's (DESIGN.md §2)."""

from __future__ import annotations

import pytest

from models.organisation import Site
from services import dashboard
from services.clock import today
from services.db import unit_of_work
from services.indicators import MAIN_KEYS, OUTCOME_KEYS
from services.pages import PageKey
from tests.app.conftest import all_text, open_page, principal_of, signed_in_app
from ui.dashboard_filters import PRESET_KEY, PRESETS
from ui.dashboard_tiles import delta_text, value_text

pytestmark = pytest.mark.usefixtures("demo_database")


def _dashboard_of(app_engine, username: str, preset: str = "Mois en cours", site_ids=None):  # noqa: ANN001, ANN202
    start, end = PRESETS[preset](today())
    with unit_of_work(app_engine) as session:
        return dashboard.director_dashboard(
            session, principal_of(app_engine, username), start=start, end=end, site_ids=site_ids
        )


def _site_names(app_engine) -> dict[str, str]:  # noqa: ANN001
    with unit_of_work(app_engine) as session:
        return {site.code: site.name for site in session.query(Site).all()}


def _tiles(at) -> dict[str, tuple[str, str | None]]:  # noqa: ANN001
    return {metric.label: (metric.value, metric.proto.delta or None) for metric in at.metric}


def test_direction_sees_every_tile_with_the_service_figures_and_every_site(app_engine) -> None:
    at = open_page(signed_in_app("direction"), PageKey.DASHBOARD)
    assert not at.exception, at.exception
    assert at.title[0].value == "Tableau de bord"
    board = _dashboard_of(app_engine, "direction")
    shown = _tiles(at)
    for key in MAIN_KEYS + OUTCOME_KEYS:
        current, previous = board.pair(key)
        assert shown[current.label] == (value_text(current), delta_text(current, previous)), key
    assert len(board.sites) == len(_site_names(app_engine)) >= 2
    table = at.dataframe[0].value
    assert list(table["Site"]) == [site.name for site in board.sites]
    for row in board.site_rows:
        line = table[table["Site"] == row.site.name].iloc[0]
        for key in MAIN_KEYS + OUTCOME_KEYS:
            assert line[row.indicators.get(key).label] == value_text(row.indicators.get(key)), (row.site.code, key)
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 7  # four trends, funnel, referrals, budget, FTE


def test_chef_lyon_sees_only_lyon(app_engine) -> None:
    at = open_page(signed_in_app("chef.lyon"), PageKey.DASHBOARD)
    assert not at.exception, at.exception
    board = _dashboard_of(app_engine, "chef.lyon")
    assert [site.code for site in board.sites] == ["LYO"]
    assert not at.multiselect  # a single site: nothing to choose
    assert not at.dataframe  # no comparison with a single site
    shown = _tiles(at)
    for key in MAIN_KEYS:
        current, previous = board.pair(key)
        assert shown[current.label] == (value_text(current), delta_text(current, previous)), key
    text = all_text(at)
    names = _site_names(app_engine)
    for code, name in names.items():
        if code != "LYO":
            assert name not in text


def test_direction_narrows_to_one_site_and_another_period(app_engine) -> None:
    at = signed_in_app("direction")
    at.session_state[PRESET_KEY] = "12 derniers mois"
    at = open_page(at, PageKey.DASHBOARD)
    box = next(m for m in at.multiselect if m.label == "Sites")
    grenoble = next(site.id for site in _dashboard_of(app_engine, "direction").sites if site.code == "GRE")
    at = box.set_value([grenoble]).run()
    assert not at.exception, at.exception
    board = _dashboard_of(app_engine, "direction", "12 derniers mois", site_ids=[grenoble])
    everywhere = _dashboard_of(app_engine, "direction", "12 derniers mois")
    shown = _tiles(at)
    for key in MAIN_KEYS:
        current, previous = board.pair(key)
        assert shown[current.label] == (value_text(current), delta_text(current, previous)), key
    # Grenoble alone is not the whole association (the filter really applies).
    assert board.current.get("new_intakes").value < everywhere.current.get("new_intakes").value
    assert not at.dataframe  # one site chosen: no comparison table


def test_an_empty_site_choice_asks_for_one(app_engine) -> None:
    at = open_page(signed_in_app("direction"), PageKey.DASHBOARD)
    at = next(m for m in at.multiselect if m.label == "Sites").set_value([]).run()
    assert not at.exception, at.exception
    assert "Choisissez au moins un site." in [w.value for w in at.warning]
    assert not at.metric
