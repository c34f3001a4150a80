"""Chart specs are checked against the Vega-Lite schema in the tests, not at each run of the live app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import altair as alt
import pandas as pd
import pytest
from altair.utils.schemapi import SchemaValidationError
from streamlit.testing.v1 import AppTest

from i18n import use_language
from models.pathway import Barrier, BarrierSeverity
from services.activities.courses.progress import LearnerProgress
from services.persons.pathway import BarrierPoint
from services.platform import config
from ui.platform import charts


class _Column:
    """Stands in for a Streamlit column: keeps the chart a page would draw."""

    def __init__(self) -> None:
        self.drawn: list[alt.TopLevelMixin] = []

    def altair_chart(self, chart: alt.TopLevelMixin, **_options) -> None:
        self.drawn.append(chart)


def _drawn_with(monkeypatch, validate: bool, chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    monkeypatch.setattr(config, "get_settings", lambda: config.Settings(validate_chart_specs=validate))
    monkeypatch.setattr(charts, "get_settings", config.get_settings)
    column = _Column()
    charts.show(chart, "Titre", "Résumé.", where=column)
    return column.drawn[0]


def _broken_chart() -> alt.Chart:
    chart = alt.Chart(pd.DataFrame({"mois": ["janv."], "n": [3]})).mark_bar().encode(x="mois:N", y="n:Q")
    chart["width"] = "très large"  # set without a check: only the whole spec's check refuses it
    return chart


def test_the_tests_check_every_chart_a_page_draws(monkeypatch):
    """Streamlit converts a chart with its to_dict(): under the tests' settings that checks the spec."""
    assert config.get_settings().validate_chart_specs is True
    drawn = _drawn_with(monkeypatch, True, _broken_chart())
    with pytest.raises(SchemaValidationError):
        drawn.to_dict()


def test_the_live_app_draws_without_the_schema_check(monkeypatch):
    drawn = _drawn_with(monkeypatch, False, _broken_chart())
    spec = drawn.to_dict()
    assert spec["width"] == "très large"
    assert spec["description"] == "Titre. Résumé."


def test_the_app_does_not_check_chart_specs_by_default(monkeypatch):
    monkeypatch.delenv("PARCOURS_VALIDATE_CHART_SPECS")
    assert config.Settings().validate_chart_specs is False


# --- charts of aggregates, built and converted once (charts.from_aggregates) ---------------------------


@dataclass(frozen=True)
class _Month:
    month: str
    count: int


def _bars(months: tuple[_Month, ...], *, colour: str = "#7a2e5a") -> alt.Chart:
    _BUILT.append(months)
    frame = pd.DataFrame({"Mois": [m.month for m in months], "Nombre": [m.count for m in months]})
    return alt.Chart(frame, title="Accueils").mark_bar(color=colour).encode(x="Mois:N", y="Nombre:Q")


_BUILT: list = []
FIGURES = (_Month("janv.", 3), _Month("févr.", 5))


def _drawing_script() -> None:
    """Draws the same chart twice: built at the run, then from the cache of charts of aggregates."""
    from tests.pages.test_chart_specs import FIGURES, _bars
    from ui.platform import charts

    charts.show(_bars(FIGURES), "Accueils", "Une barre par mois.", width="stretch")
    charts.show(charts.from_aggregates(_bars, FIGURES), "Accueils", "Une barre par mois.", width="stretch")


def _drawn(element) -> tuple[dict, list[tuple[str, bytes]]]:
    proto = element.proto
    return json.loads(proto.spec), [(dataset.name, dataset.data.data) for dataset in proto.datasets]


def test_a_chart_of_aggregates_reaches_the_browser_as_the_same_chart_drawn_directly():
    """Same spec (description, sizes, locale, axes), same Arrow data: only the building is skipped. Fails if
    a Streamlit upgrade changes the conversion charts.from_aggregates borrows from st.altair_chart."""
    charts.clear_prepared_charts()
    at = AppTest.from_function(_drawing_script).run()
    assert not at.exception
    direct, cached = at.get("vega_lite_chart")
    direct_spec, direct_data = _drawn(direct)
    cached_spec, cached_data = _drawn(cached)
    assert cached_spec == direct_spec
    assert cached_data == direct_data and len(direct_data) == 1
    assert cached_spec["description"] == "Accueils. Une barre par mois."
    assert cached_spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_the_same_figures_are_built_once_and_other_figures_or_another_language_again():
    charts.clear_prepared_charts()
    _BUILT.clear()
    first = charts.from_aggregates(_bars, FIGURES)
    again = charts.from_aggregates(_bars, (_Month("janv.", 3), _Month("févr.", 5)))  # equal figures, new objects
    assert again is first and len(_BUILT) == 1
    one_more = charts.from_aggregates(_bars, (_Month("janv.", 3), _Month("févr.", 6)))
    assert one_more is not first and len(_BUILT) == 2
    assert charts.from_aggregates(_bars, FIGURES, colour="#000000") is not first and len(_BUILT) == 3
    with use_language("en"):
        assert charts.from_aggregates(_bars, FIGURES) is not first
    assert len(_BUILT) == 4
    assert first.title == "Accueils"


def test_values_that_compare_equal_but_are_written_differently_are_different_keys_and_a_list_stays_a_list():
    charts.clear_prepared_charts()
    _BUILT.clear()
    for count in (1, True, 1.0, Decimal("1"), Decimal("1.0")):  # 1 == True == 1.0 == Decimal("1.0") in Python
        charts.from_aggregates(_bars, (_Month("janv.", count),))
    assert len(_BUILT) == 5
    pair = charts.from_aggregates(lambda months: [_bars(months), _bars(months)], FIGURES)
    assert isinstance(pair, list) and len(pair) == 2 and all(isinstance(c, charts.PreparedChart) for c in pair)


@pytest.mark.parametrize(
    "argument",
    [
        pd.DataFrame({"Mois": ["janv."], "Nombre": [3]}),  # its repr would not tell two frames apart
        object(),
        BarrierPoint(date(2026, 3, 1), Barrier.HOUSING, BarrierSeverity.MAJOR),  # one person's data
        LearnerProgress(7, "LYO-0007", None, [], [], 0, 0),
    ],
)
def test_a_person_s_data_or_a_value_that_cannot_be_told_apart_is_never_a_cache_key(argument):
    charts.clear_prepared_charts()
    with pytest.raises(TypeError):
        charts.from_aggregates(lambda _value: _bars(FIGURES), argument)


def test_two_builders_of_the_same_name_never_share_a_chart():
    charts.clear_prepared_charts()
    first = charts.from_aggregates(lambda months: _bars(months, colour="#111111"), FIGURES)
    second = charts.from_aggregates(lambda months: _bars(months, colour="#222222"), FIGURES)
    assert first is not second
    assert json.dumps(first.spec["mark"]) != json.dumps(second.spec["mark"])
