"""Chart specs are checked against the Vega-Lite schema in the tests, not at each run of the live app."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest
from altair.utils.schemapi import SchemaValidationError

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
