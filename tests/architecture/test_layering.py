"""Architecture rules of docs/design.md §3-4, read from the source with `ast`.

Each rule's detector is first shown a small bad example, so a detector that stopped
detecting would fail too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = ["app.py", "clock.py", "app_pages", "ui", "services", "models", "seed", "i18n"]


def python_files(*places: str) -> list[Path]:
    files: list[Path] = []
    for place in places:
        path = ROOT / place
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.AST) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def imports_any(tree: ast.AST, *roots: str) -> list[str]:
    return sorted(m for m in imported_modules(tree) if m.split(".")[0] in roots)


def query_building(tree: ast.AST) -> list[str]:
    """Calls that build or run SQL: select(...)/text(...), session.exec/execute/query/scalars."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"select", "text", "update", "delete", "insert"}:
            found.append(f"{func.id}() line {node.lineno}")
        elif isinstance(func, ast.Attribute) and func.attr in {"exec", "execute", "query", "scalars", "scalar"}:
            found.append(f".{func.attr}() line {node.lineno}")
    return found


STREAMLIT_CACHES = {"cache_data", "cache_resource", "cache", "experimental_memo", "experimental_singleton"}


def cache_uses(tree: ast.AST) -> list[str]:
    found = [
        f"{n.attr} line {n.lineno}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and n.attr in STREAMLIT_CACHES
        and isinstance(n.value, ast.Name)
        and n.value.id in {"st", "streamlit"}
    ]
    found += [
        f"import {a.name} line {n.lineno}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("streamlit")
        for a in n.names
        if a.name in STREAMLIT_CACHES
    ]
    return found


def raw_html(tree: ast.AST) -> list[str]:
    """`unsafe_allow_html=<anything but False>`, `st.html(...)`, `components.html(...)` and their imports."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "unsafe_allow_html":
            if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                found.append(f"unsafe_allow_html line {node.value.lineno}")
        elif isinstance(node, ast.Attribute) and node.attr == "html":
            found.append(f".{node.attr} line {node.lineno}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("streamlit"):
            found += [f"import {a.name} line {node.lineno}" for a in node.names if a.name == "html"]
    return found


SERVER_CLOCK_WORDS = {"today", "now"}  # what Streamlit's date/time widgets turn into the server's date
DATE_WIDGETS = {"date_input": 2, "time_input": 2, "datetime_input": 2}  # widget: position of `value`


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def server_dates(tree: ast.AST) -> list[str]:
    """Every way the server's date or time (UTC on a server, yesterday in Paris after midnight) can reach
    the app instead of clock.today() / clock.now():
    - `date.today()`, `datetime.today()`, `datetime.now()` / `datetime.utcnow()` without a zone;
    - the string "today" or "now" anywhere in code (a widget's value, a parameter's default, a branch
      of a conditional: Streamlit reads it as the server's date);
    - a date or time widget without a value (its default is "today" / "now")."""
    found = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, name = node.func.value, node.func.attr
            if isinstance(owner, ast.Name) and owner.id in {"date", "datetime"} and name == "today":
                found.append(f"{owner.id}.today() line {node.lineno}")
            if isinstance(owner, ast.Name) and owner.id == "datetime" and name == "utcnow":
                found.append(f"datetime.utcnow() line {node.lineno}")
            if (
                isinstance(owner, ast.Name)
                and owner.id == "datetime"
                and name == "now"
                and not node.args
                and not node.keywords
            ):
                found.append(f"datetime.now() line {node.lineno}")
            has_value = len(node.args) >= DATE_WIDGETS.get(name, 0) or any(k.arg == "value" for k in node.keywords)
            if name in DATE_WIDGETS and not has_value:
                found.append(f"{name}() without a value line {node.lineno}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.strip().lower() in SERVER_CLOCK_WORDS
            and id(node) not in docstrings
        ):
            found.append(f'"{node.value}" line {node.lineno}')
    return found


def violations(files: list[Path], detector) -> dict[str, list[str]]:
    result = {}
    for path in files:
        found = detector(parse(path))
        if found:
            result[str(path.relative_to(ROOT))] = found
    return result


# --- Markdown: what may be formatted into a call that renders it -------------------------------------

# Streamlit calls that render their text as Markdown (labels of widgets included), and where the text is.
MARKDOWN_BODY = {"markdown", "caption", "write", "title", "header", "subheader", "info", "warning", "error"}
MARKDOWN_BODY |= {"success", "toast", "expander", "popover", "metric", "tabs"}
WIDGET_LABEL = {"checkbox", "radio", "selectbox", "text_input", "number_input", "date_input", "time_input"}
WIDGET_LABEL |= {"button", "toggle", "multiselect", "segmented_control", "pills", "download_button", "text_area"}
WIDGET_LABEL |= {"form_submit_button", "file_uploader", "select_slider", "slider", "link_button", "color_picker"}
NOT_STREAMLIT = {"logger", "log", "logging", "warnings", "parser"}
# Producers of text the code owns: translations of its own texts, labels of choices, the escape itself.
SAFE_CALLS = {"_", "ngettext", "pgettext", "N_", "label", "md", "len"}


def _safe_markdown(node: ast.AST, formatters: set[str]) -> bool:
    """Whether `node` can only produce code-owned text (or escaped data) once formatted."""
    safe = lambda child: _safe_markdown(child, formatters)  # noqa: E731
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):  # a module constant (UPPER_CASE) is the code's own text
        return node.id.isupper()
    if isinstance(node, ast.JoinedStr):
        return all(safe(part.value) for part in node.values if isinstance(part, ast.FormattedValue))
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(safe(element) for element in node.elts)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return safe(node.elt)
    if isinstance(node, ast.DictComp):
        return safe(node.value)
    if isinstance(node, ast.Starred):
        return safe(node.value)
    if isinstance(node, ast.IfExp):
        return safe(node.body) and safe(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(safe(value) for value in node.values)
    if isinstance(node, ast.BinOp):
        return safe(node.left) and safe(node.right)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in {"format", "join"}:
            values = [*node.args, *(keyword.value for keyword in node.keywords)]
            return safe(func.value) and all(safe(value) for value in values)
        if isinstance(func, ast.Name):
            return func.id in SAFE_CALLS or func.id in formatters
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return func.value.id == "formats" or func.attr == "md"
    return False


def markdown_from_data(tree: ast.AST) -> list[str]:
    """Values formatted into Markdown-rendering calls that are not escaped with ui.platform.text.md (a
    name, an attribute, a call): the text of a user or of the database, rendered as Markdown."""
    formatters = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "i18n.formats"
        for alias in node.names
    }
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id in NOT_STREAMLIT:
            continue
        name = node.func.attr
        if name in MARKDOWN_BODY:
            texts = [*node.args[:1], *(k.value for k in node.keywords if k.arg in {"body", "label", "help"})]
        elif name in WIDGET_LABEL or name == "page_link":
            first = [] if name == "page_link" else node.args[:1]
            texts = [*first, *(k.value for k in node.keywords if k.arg in {"label", "help"})]
        else:
            continue
        found += [
            f"{name}({ast.unparse(text)[:60]}) line {node.lineno}"
            for text in texts
            if not _safe_markdown(text, formatters)
        ]
    return found


# --- the detectors catch what they should --------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "bad", "good"),
    [
        (lambda t: imports_any(t, "streamlit"), "import streamlit as st", "import sqlalchemy as sa"),
        (lambda t: imports_any(t, "streamlit"), "from streamlit.runtime import x", "from services import auth"),
        (lambda t: imports_any(t, "sqlalchemy", "sqlmodel"), "from sqlmodel import select", "import streamlit"),
        (query_building, "rows = select(Person)", "rows = home.overview_for(session, p)"),
        (query_building, "session.exec(statement)", "st.write(x)"),
        (cache_uses, "@st.cache_data\ndef f(): pass", "@st.fragment\ndef f(): pass"),
        (cache_uses, "from streamlit import cache_resource", "from streamlit import session_state"),
        (raw_html, "st.markdown(x, unsafe_allow_html=True)", "st.markdown(x, unsafe_allow_html=False)"),
        (raw_html, "st.markdown(x, unsafe_allow_html=flag)", "st.markdown(x)"),
        (raw_html, "st.html(note)", "st.text(note)"),
        (raw_html, "components.html(note)", "st.caption(note)"),
        (server_dates, 'st.date_input("Date", value="today")', 'st.date_input("Date", value=clock.today())'),
        (server_dates, 'def f(value="today"): pass', "def f(value=None): pass"),
        (server_dates, 'd = st.date_input("D", value=row.day or "today")', 'd = st.date_input("D", value=row.day)'),
        (server_dates, 'v = row.day if row else "now"', "v = row.day if row else clock.today()"),
        (server_dates, 'st.date_input("Date")', 'st.date_input("Date", value=None)'),
        (server_dates, 'col.time_input("Heure", key="t")', 'col.time_input("Heure", time(9), key="t")'),
        (server_dates, "day = date.today()", "day = clock.today()"),
        (server_dates, "moment = datetime.now()", "moment = datetime.now(UTC)"),
        (server_dates, "moment = datetime.utcnow()", "moment = clock.now()"),
        (markdown_from_data, "st.markdown(f'**{partner.name}**')", "st.markdown(f'**{md(partner.name)}**')"),
        (
            markdown_from_data,
            "st.caption(_('Par {who}').format(who=row.author))",
            "st.caption(_('Par {who}').format(who=md(row.author)))",
        ),
        (markdown_from_data, "st.title(group.name)", "st.title(_(TITLE))"),
        (markdown_from_data, "st.error(str(exc))", "st.error(md(exc))"),
        (markdown_from_data, "col.checkbox(module.name, key=k)", "col.checkbox(_('Présent'), key=k)"),
        (markdown_from_data, "st.tabs(names)", "st.tabs([md(n) for n in names])"),
        (markdown_from_data, "st.metric(item.label, 3)", "st.metric(LABEL, number(3))"),
        (markdown_from_data, "st.page_link(P, label=f'{row.code}')", "st.page_link(P, label=md(row.code))"),
        (markdown_from_data, "st.write(note.explanation)", "logger.warning(note.explanation)"),
    ],
)
def test_detectors(detector, bad, good):
    assert detector(ast.parse(bad))
    assert not detector(ast.parse(good))


def test_there_is_code_to_check():
    assert len(python_files("services")) >= 10
    assert len(python_files("models")) >= 10
    assert python_files("app_pages")


# --- the rules -------------------------------------------------------------------------------------


def test_services_and_models_never_import_streamlit():
    assert violations(python_files("services", "models"), lambda t: imports_any(t, "streamlit")) == {}


def test_lower_layers_never_import_upper_ones():
    assert violations(python_files("services"), lambda t: imports_any(t, "ui", "app_pages", "app")) == {}
    assert violations(python_files("models"), lambda t: imports_any(t, "services", "ui", "app_pages", "app")) == {}
    # i18n (catalogue, formats) and the clock sit under every layer: they import nothing of the app
    # (i18n reads the clock's time zone).
    upper = ("models", "services", "ui", "app_pages", "app", "seed")
    assert violations(python_files("i18n"), lambda t: imports_any(t, *upper)) == {}
    assert violations(python_files("clock.py"), lambda t: imports_any(t, "i18n", *upper)) == {}


def test_page_scripts_never_touch_the_database_layer():
    assert violations(python_files("app_pages"), lambda t: imports_any(t, "sqlalchemy", "sqlmodel")) == {}
    assert violations(python_files("app.py", "app_pages", "ui"), query_building) == {}


def test_streamlit_caches_only_in_ui_runtime():
    allowed = {"ui/platform/runtime.py"}
    found = violations(python_files(*APP_CODE), cache_uses)
    assert set(found) - allowed == set(), found


def test_no_raw_html_anywhere():
    assert violations(python_files(*APP_CODE), raw_html) == {}


def test_data_never_reaches_markdown_unescaped():
    """User and database text is escaped (ui.platform.text.md) wherever Streamlit renders Markdown."""
    # ui/platform/widgets.py hands its callers' labels on to Streamlit: the callers' labels are checked here.
    found = violations(python_files("app.py", "app_pages", "ui"), markdown_from_data)
    assert {path: problems for path, problems in found.items() if path != "ui/platform/widgets.py"} == {}


def test_today_is_always_paris_today():
    """Between midnight in Paris and midnight UTC the server's date is yesterday: a form dated
    "today" by the server filed a session on the wrong day (found at 00:05, Paris time)."""
    assert violations(python_files(*APP_CODE), server_dates) == {}


def test_every_page_script_starts_with_its_guard():
    for path in python_files("app_pages"):
        calls = [
            node
            for node in parse(path).body
            if isinstance(node, (ast.Assign, ast.Expr)) and isinstance(node.value, ast.Call)
        ]
        assert calls, path
        first = calls[0].value
        assert isinstance(first.func, ast.Name) and first.func.id == "require_page", (
            f"{path.name}: the first call must be require_page(PageKey.…)"
        )


def download_buttons(tree: ast.AST) -> list[str]:
    """Every `<something>.download_button(...)` call."""
    return [
        f"download_button line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "download_button"
    ]


def test_every_download_goes_through_the_one_helper():
    """A download_button with bytes puts them at a /media URL anyone holding it can fetch; the helper
    builds the file on the click and lets only the signed-in user who asked fetch it (issue 12)."""
    assert download_buttons(ast.parse("st.download_button('a', b'x')"))
    assert not download_buttons(ast.parse("offer_download(principal, 'a', build)"))
    found = violations(python_files(*APP_CODE, "server.py"), download_buttons)
    assert set(found) == {"ui/platform/downloads.py"}, found
