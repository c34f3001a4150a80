"""The application reads "today" and "now" from `clock` only, so that tests and CI's shifted day pin it.

Two ways around the clock, both found by reading the source (no import, no run):
- a direct read of the server's time: `date.today()`, `datetime.now()`, `datetime.utcnow()`,
  `datetime.today()`, `time.time()` anywhere in the application (clock.py itself excepted);
- a Streamlit date field without `value=`: Streamlit then fills it with the browser server's today, not the
  pinned clock, and a form saved on CI's 29 February would carry the real date.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ["app.py", "server.py", "app_pages", "ui", "services", "models", "ops", "seed", "i18n"]

# (receiver, method) pairs that read the server's clock.
SERVER_TIME = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("time", "time")}


def _sources() -> list[Path]:
    files: list[Path] = []
    for name in APPLICATION:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            receiver_name = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", None)
            yield node, receiver_name, node.func.attr


def test_the_source_list_is_not_empty() -> None:
    assert len(_sources()) > 100  # a renamed folder would otherwise make both tests pass on nothing


def test_no_server_clock_outside_clock_module() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} {receiver}.{method}()"
        for path in _sources()
        for node, receiver, method in _calls(path)
        if (receiver, method) in SERVER_TIME
    ]
    assert not found, "read clock.today() / clock.now() instead: " + ", ".join(found)


def test_every_date_field_has_a_value() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _sources()
        for node, _receiver, method in _calls(path)
        if method == "date_input" and len(node.args) < 2 and "value" not in {keyword.arg for keyword in node.keywords}
    ]
    assert not found, "st.date_input without value= fills in the server's today, not clock.today(): " + ", ".join(found)
