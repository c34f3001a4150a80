"""Every chart of every page goes through ui.platform.charts.show, the one place that gives a chart its
minimum height, keeps it readable on a phone (issue 19: the Aller-vers charts were drawn 20 px high) and
gives it a text alternative (an unnamed chart reaches a screen reader as an unnamed image).

Read from the source with `ast`: no page or ui module calls Streamlit's chart elements itself.
"""

from __future__ import annotations

import ast

from tests.architecture.test_layering import ROOT, parse, python_files

# Streamlit's chart elements, called on `st`, a column, a container or a tab (st.map is left out: pandas'
# Series.map has the same name, and the app draws no map).
CHART_ELEMENTS = {
    "altair_chart",
    "vega_lite_chart",
    "line_chart",
    "bar_chart",
    "area_chart",
    "scatter_chart",
    "pyplot",
    "plotly_chart",
    "bokeh_chart",
    "graphviz_chart",
    "pydeck_chart",
}
THE_HELPER = ROOT / "ui" / "platform" / "charts.py"


def direct_chart_calls(tree: ast.AST) -> list[str]:
    """Calls such as st.altair_chart(...), column.line_chart(...) (a method of that name on anything)."""
    return [
        f".{node.func.attr}() line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CHART_ELEMENTS
    ]


def test_the_detector_sees_direct_chart_calls() -> None:
    bad = ast.parse(
        "import streamlit as st\n"
        "st.altair_chart(chart, width='stretch')\n"
        "left, right = st.columns(2)\n"
        "right.line_chart(frame)\n"
        "charts.show(chart, title, summary, where=column)\n"
    )
    assert direct_chart_calls(bad) == [".altair_chart() line 2", ".line_chart() line 4"]


def test_pages_and_ui_draw_charts_only_through_show() -> None:
    offenders = {
        str(path.relative_to(ROOT)): calls
        for path in python_files("app.py", "app_pages", "ui")
        if path != THE_HELPER and (calls := direct_chart_calls(parse(path)))
    }
    assert not offenders, f"draw charts with ui.platform.charts.show: {offenders}"


def test_the_helper_is_the_one_place_that_calls_streamlit_charts() -> None:
    """Twice, both in show: a chart built at the run, and a chart of aggregates prepared once (from_aggregates)."""
    assert sorted(direct_chart_calls(parse(THE_HELPER))) == sorted(
        [
            ".altair_chart() line " + _line_of(".altair_chart(_unchecked_unless_testing(readable("),
            ".vega_lite_chart() line " + _line_of(".vega_lite_chart(spec="),
        ]
    )


def _line_of(text: str) -> str:
    lines = THE_HELPER.read_text(encoding="utf-8").splitlines()
    return str(next(number for number, line in enumerate(lines, start=1) if text in line))
