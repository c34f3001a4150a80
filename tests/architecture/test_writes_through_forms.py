"""Every write a page makes goes through the one form helper, `ui.platform.form_state.submit`.

That helper is where a failed save is caught and shown beside its form with the input kept (a
ValidationFailed, a StaleRecord, a DatabaseUnavailable): a write made elsewhere would fail into the
error boundary's page instead, or worse, confirm before it committed (issue 14). Read from the source:
the service functions that write are those that commit, directly or through another; every call to
one of them from app_pages/ or ui/ must sit in a function or lambda handed to a `submit(...)` (or
called from one, in the same module), unless it is listed below with its reason. The `save` handed to a
`ui.platform.conflicts.VersionedEdit` counts as handed to `submit`: the edit runs it only there.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Writes that are not a user's save: nothing typed to keep, and a failure is the page's (the error boundary
# shows it with a reference). (module, service function) → why.
NOT_A_SAVE = {
    ("app_pages/persons/person_file.py", "get_person_file"): "opening a file records its audit entry",
    ("ui/persons/candidate.py", "get_person_file"): "a look at a look-alike file records its audit entry",
    ("app_pages/persons/caseload.py", "list_caseload"): "a search records its audit entry",
    ("app_pages/finance/financial_report.py", "build_financial_report"): "an export records its audit entry",
    ("app_pages/reporting/funder_space.py", "build_report_pack"): "an export records its audit entry",
    ("app_pages/reporting/activity_report.py", "export_activity_report"): "an export records its audit entry",
    ("app_pages/reporting/dashboard.py", "build_workbook"): "an export records its audit entry",
    ("ui/capitalisation/guide_forms.py", "chapter_document"): "an export records its audit entry",
    ("ui/capitalisation/guide_forms.py", "guide_document"): "an export records its audit entry",
    ("ui/platform/session.py", "authenticate"): "sign-in bookkeeping (lockout, audit)",
    ("ui/platform/session.py", "resume_from_cookie"): "sign-in bookkeeping (session checks)",
    ("ui/platform/session.py", "check_session"): "sign-in bookkeeping (idle timeout)",
    ("ui/platform/session.py", "logout"): "sign-out revokes the session",
    ("ui/platform/session.py", "sign_in_with_identity"): "single sign-on bookkeeping",
    ("ui/platform/download_guard.py", "resume_from_cookie"): "the download guard checks the login cookie",
    ("ui/platform/language_switch.py", "save_language"): "a display preference saved by the language switch",
}


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def service_writers() -> set[str]:
    """Names of the service functions that commit, directly or by calling one that does."""
    calls: dict[str, set[str]] = {}
    writers: set[str] = set()
    for path in (ROOT / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                called = {_called_name(sub) for sub in ast.walk(node) if isinstance(sub, ast.Call)}
                calls.setdefault(node.name, set()).update(name for name in called if name)
                if "commit" in called:
                    writers.add(node.name)
    grown = True
    while grown:
        before = len(writers)
        writers |= {name for name, called in calls.items() if called & writers}
        grown = len(writers) > before
    return writers


def writes_outside_submit(path: Path, writers: set[str]) -> list[tuple[int, str]]:
    """(line, function) of each call of a service writer in `path` not reached from a submitted action."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    functions: dict[str, list[ast.FunctionDef]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            functions.setdefault(node.name, []).append(node)

    def scope(node: ast.AST) -> ast.AST | None:
        """The function a node is written in (None: the module)."""
        node = parents.get(node)
        while node is not None and not isinstance(node, ast.FunctionDef | ast.Lambda):
            node = parents.get(node)
        return node

    def defined(name: str, where: ast.AST) -> list[ast.FunctionDef]:
        """The functions `name` means at `where`: the one of the same scope (several forms in a module
        each have their `save`), else every function of that name."""
        candidates = functions.get(name, [])
        same_scope = [function for function in candidates if scope(function) is scope(where)]
        return same_scope or candidates

    submitted: list[ast.AST] = []  # the actions handed to submit(...), then what they call in this module
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) == "VersionedEdit":
            for keyword in node.keywords:
                if keyword.arg == "save" and isinstance(keyword.value, ast.Lambda):
                    submitted.append(keyword.value)
                elif keyword.arg == "save" and isinstance(keyword.value, ast.Name):
                    submitted += defined(keyword.value.id, node)
        if isinstance(node, ast.Call) and _called_name(node) == "submit":
            for argument in node.args:
                if isinstance(argument, ast.Lambda):
                    submitted.append(argument)
                elif isinstance(argument, ast.Name):
                    submitted += defined(argument.id, node)
    reached: set[int] = set()
    while submitted:
        action = submitted.pop()
        if id(action) in reached:
            continue
        reached.add(id(action))
        for sub in ast.walk(action):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                submitted += defined(sub.func.id, sub)

    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in writers):
            continue
        if not isinstance(node.func.value, ast.Name) or node.func.value.id == "st":
            continue  # st.logout and the like are Streamlit's, not a service
        enclosing = parents.get(node)
        while enclosing is not None and id(enclosing) not in reached:
            enclosing = parents.get(enclosing)
        if enclosing is None:
            found.append((node.lineno, node.func.attr))
    return found


def test_the_scan_finds_a_write_outside_submit_and_accepts_one_inside(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        "def save():\n"
        "    with unit_of_work(engine) as uow:\n"
        "        outreach.log_round(uow, principal, data=data)\n"
        "if clicked:\n"
        "    form_state.submit(form, save, 'ok')\n"
        "if other:\n"
        "    outreach.log_round(uow, principal, data=data)\n"
        "form_state.submit(form, lambda: helper(), 'ok')\n"
        "def helper():\n"
        "    organisation.set_strand_active(uow, principal, 1, active=True)\n"
        "def merged(version, values):\n"
        "    outreach.update_round(uow, principal, expected_version=version, data=values)\n"
        "edit = conflicts.VersionedEdit(form, 1, version=1, values={}, fields={}, save=merged, success='ok')\n"
    )
    writers = {"log_round", "set_strand_active", "update_round"}
    assert writes_outside_submit(page, writers) == [(7, "log_round")]


def test_every_write_of_a_page_goes_through_the_form_helper():
    writers = service_writers()
    assert {"log_round", "update_round", "set_strand_active", "create_intake"} <= writers
    wrong = []
    for folder in ("app_pages", "ui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            for line, function in writes_outside_submit(path, writers):
                if (module, function) not in NOT_A_SAVE:
                    wrong.append(f"{module}:{line} {function}")
    assert wrong == [], "a write outside ui.platform.form_state.submit: " + ", ".join(wrong)
