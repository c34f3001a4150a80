"""Which room may import which: the layers of README « Where things live », read from the source.

Data flows one way: page scripts → ui → services → models, with i18n and the clock under everything.
Inside services and ui, a module whose name starts with `_` is private to its package (an unscoped
query helper, say): only modules of that package reach it, the rest of the app goes through the
package's public modules, which check permissions. Only ops/ (and the tests and the bench) import the
demo seed. Each rule is first shown a bad example.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A room (top-level folder or module) → the rooms of the app it may import (itself included).
MAY_IMPORT: dict[str, set[str]] = {
    "clock": set(),
    "i18n": {"i18n", "clock"},
    "models": {"models", "i18n", "clock"},
    "services": {"services", "models", "i18n", "clock"},
    "ui": {"ui", "services", "models", "i18n", "clock"},
    "app_pages": {"ui", "services", "models", "i18n", "clock"},
    "app": {"ui", "services", "models", "i18n", "clock"},
    "seed": {"seed", "services", "models", "i18n", "clock"},
    "ops": {"ops", "seed", "services", "models", "i18n", "clock"},
    "migrations": {"models", "services"},  # the database URL comes from services.platform.config
}
APP_ROOMS = set(MAY_IMPORT) | {"bench", "tests"}


def room_of(module: str) -> str:
    return module.split(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(tree: ast.AST, importer: str) -> list[tuple[str, int]]:
    """(module imported, line) for every import of the app's own code; `from a import b` gives `a.b`
    (b may be a module or a name: both are checked)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importer's package
                base = importer.split(".")[: -node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, node.lineno))
            found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return [(module, line) for module, line in found if room_of(module) in APP_ROOMS]


def layer_violations(importer: str, tree: ast.AST) -> list[str]:
    allowed = MAY_IMPORT.get(room_of(importer))
    if allowed is None:
        return []
    return [f"{module} line {line}" for module, line in imports_of(tree, importer) if room_of(module) not in allowed]


def is_module(dotted: str) -> bool:
    path = ROOT / dotted.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def private_violations(importer: str, tree: ast.AST) -> list[str]:
    """A private module `a.b._c` imported from outside package `a.b`, or a private name `_x` of module
    `a.b.m` imported from outside package `a.b` (a private helper serves its whole package)."""
    found = []
    for module, line in imports_of(tree, importer):
        parts = module.split(".")
        for index, part in enumerate(parts):
            if part.startswith("_") and part != "_" and not part.startswith("__"):  # `_` is gettext
                is_name = not is_module(".".join(parts[: index + 1]))
                owner = ".".join(parts[: index - 1] if is_name else parts[:index])
                if importer != owner and not importer.startswith(owner + "."):
                    found.append(f"{module} line {line}")
                break
    return found


def app_files() -> list[Path]:
    files = [ROOT / "app.py", ROOT / "clock.py"]
    for room in ("i18n", "models", "services", "ui", "app_pages", "seed", "ops", "migrations"):
        files += sorted((ROOT / room).rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


def all_violations(detector) -> dict[str, list[str]]:
    result = {}
    for path in app_files():
        importer = module_name(path)
        found = detector(importer, ast.parse(path.read_text(encoding="utf-8")))
        if found:
            result[str(path.relative_to(ROOT))] = found
    return result


@pytest.mark.parametrize(
    ("detector", "importer", "bad", "good"),
    [
        (layer_violations, "services.persons.files", "import streamlit\nfrom ui.platform import layout", "import os"),
        (layer_violations, "models.persons", "from services.platform.db import unit_of_work", "import clock"),
        (
            layer_violations,
            "ui.persons.header",
            "from seed.generator import seed_database",
            "from services import home",
        ),
        (layer_violations, "app_pages.finance.budget", "from ops import cli", "from ui.finance import budget_text"),
        (layer_violations, "clock", "from i18n import _", "import os"),
        (layer_violations, "i18n.formats", "from models.labels import label", "from clock import PARIS"),
        (
            private_violations,
            "ui.reporting.tiles",
            "from services.reporting._indicators import Indicator",
            "from services.reporting.dashboard import Indicator",
        ),
        (
            private_violations,
            "services.finance.forecast",
            "from services.reporting import _indicators",
            "from services.finance import _staff_queries",
        ),
        (
            private_violations,
            "app_pages.persons.intake",
            "from services.persons.files import _search",
            "from services.persons.files import search",
        ),
        (
            private_violations,
            "services.reporting.funder_space",
            "from services.finance.consumption import _report",
            "from services.finance.funded import funded_consumption",
        ),
        (  # a private helper of a module serves its whole package
            private_violations,
            "services.reporting.funder_space",
            "from services.finance.consumption import _report",
            "from services.reporting.dashboard import _site_rows",
        ),
    ],
)
def test_detectors(detector, importer, bad, good):
    assert detector(importer, ast.parse(bad))
    assert not detector(importer, ast.parse(good))


def test_relative_imports_are_resolved():
    found = imports_of(ast.parse("from ._indicators import x"), "services.reporting.dashboard")
    assert ("services.reporting._indicators", 1) in found


def test_there_is_code_to_check():
    rooms = {room_of(module_name(path)) for path in app_files()}
    assert {"services", "ui", "app_pages", "models", "seed", "ops"} <= rooms


def test_each_room_imports_only_the_rooms_below_it():
    assert all_violations(layer_violations) == {}


def test_private_modules_stay_inside_their_package():
    assert all_violations(private_violations) == {}


def platform_violations(importer: str, tree: ast.AST) -> list[str]:
    """services.platform is the floor of the services: it imports no domain above it."""
    if not importer.startswith("services.platform"):
        return []
    return [
        f"{module} line {line}"
        for module, line in imports_of(tree, importer)
        if module.startswith("services.") and not module.startswith("services.platform")
    ]


def test_the_platform_detector_finds_a_domain_import():
    assert platform_violations("services.platform.records", ast.parse("from services.persons.access import x"))
    assert not platform_violations("services.persons.records", ast.parse("from services.persons.access import x"))


def test_the_platform_of_the_services_imports_no_domain():
    assert all_violations(platform_violations) == {}


def test_only_ops_imports_the_demo_seed():
    importers = {
        path
        for path, found in all_violations(
            lambda importer, tree: [m for m, _ in imports_of(tree, importer) if room_of(m) == "seed"]
        ).items()
    }
    assert {path for path in importers if not path.startswith(("seed/", "ops/"))} == set()
