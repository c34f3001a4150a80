"""Streamlit's widgets whose own texts an app can set go through ui.platform.widgets, — issue 19 (charts:
tests/architecture/test_charts.py).

A selectbox, multiselect, date input or form created straight from Streamlit shows its English texts in
the French interface (« Choose an option », « Choose options », YYYY/MM/DD, « Press Enter to submit
form »). Read from the source: only ui/platform/widgets.py calls them; elsewhere `widgets.selectbox(...)`
or `widgets.on(column).selectbox(...)`. tests/pages/test_streamlit_texts.py checks what pages draw.
"""

from __future__ import annotations

import ast

import pytest

from tests.architecture.test_layering import ROOT, parse, python_files

WIDGETS = {"selectbox", "multiselect", "date_input", "form"}
HELPERS = "ui/platform/widgets.py"


def _through_helpers(receiver: ast.expr) -> bool:
    """`widgets.x(...)` or `widgets.on(host).x(...)`."""
    if isinstance(receiver, ast.Name):
        return receiver.id == "widgets"
    return (
        isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Attribute)
        and receiver.func.attr == "on"
        and isinstance(receiver.func.value, ast.Name)
        and receiver.func.value.id == "widgets"
    )


def untranslated_widgets(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WIDGETS:
            if not _through_helpers(node.func.value):
                found.append(f".{node.func.attr}() line {node.lineno}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("streamlit"):
            found += [f"import {a.name} line {node.lineno}" for a in node.names if a.name in WIDGETS]
    return found


@pytest.mark.parametrize(
    ("bad", "good"),
    [
        ('st.selectbox("Site", sites)', 'widgets.selectbox("Site", sites)'),
        ('left.multiselect("Statuts", s)', 'widgets.on(left).multiselect("Statuts", s)'),
        ('columns[0].date_input("Du", value=d)', 'widgets.on(columns[0]).date_input("Du", value=d)'),
        ('st.sidebar.selectbox("Site", sites)', 'widgets.on(st.sidebar).selectbox("Site", sites)'),
        ('with st.form("f"):\n    pass', 'with widgets.form("f"):\n    pass'),
        ("from streamlit import selectbox", "from ui.platform import widgets"),
    ],
)
def test_the_detector(bad, good):
    assert untranslated_widgets(ast.parse(bad))
    assert not untranslated_widgets(ast.parse(good))


def test_every_selectbox_multiselect_date_input_and_form_goes_through_the_helpers():
    found = {
        str(path.relative_to(ROOT)): problems
        for path in python_files("app.py", "app_pages", "ui")
        if str(path.relative_to(ROOT)) != HELPERS and (problems := untranslated_widgets(parse(path)))
    }
    assert found == {}
