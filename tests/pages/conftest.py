"""AppTest fixtures: the app database seeded once with the demo data, signed-in apps, pages.

The app reads PARCOURS_DATABASE_URL (set by tests/conftest.py to a temporary SQLite
file) through `ui.platform.runtime.runtime()`; these fixtures seed that same database once per
test session. Tests that write (lockout, logout, password change…) use a dedicated
account from `new_account`, never a demo account, so the other tests keep working.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest

import clock
from models.organisation import Role, User
from services.accounts import passwords, users
from services.accounts.auth import load_principal
from services.accounts.demo import AGRASC_FUNDER_NAME, DEMO_ACCOUNTS
from services.platform import config, oplog
from services.platform.config import PROJECT_ROOT, Settings, get_settings
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work, upgrade_to_head
from services.platform.pages import PageKey
from services.platform.principal import ALL_SITES_ROLES, SYSTEM_ACTOR, Principal
from tests.conftest import APP_DB_URL, TEST_ENCRYPTION_KEY
from ui.persons import file_sections
from ui.platform.navigation import PAGE_SPECS
from ui.platform.runtime import runtime
from ui.platform.session import STARTED_AT

APP_SCRIPT = str(PROJECT_ROOT / "app.py")
TIMEOUT = 30
NO_ACCESS = "Vous n'avez pas accès à cette page."
# Pseudonymous person code, e.g. LYO-2026-0042 (docs/design.md §4).
PERSON_CODE = re.compile(r"\b[A-Z]{3}-\d{4}-\d{3,}\b")

# One demo account per role (the first of that role in services/accounts/demo.py).
ACCOUNT_OF_ROLE: dict[Role, str] = {}
for _account in DEMO_ACCOUNTS:
    ACCOUNT_OF_ROLE.setdefault(_account.role, _account.username)


_NUMBERS = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test of this run uses (the app database is fresh for each run): deterministic,
    unlike a random suffix, so that a failure replays the same."""
    return f"{prefix}{next(_NUMBERS):04d}"


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: Role


@pytest.fixture(scope="session", autouse=True)
def components_scanned_once() -> Iterator[None]:
    """Every new AppTest scans the installed packages for Streamlit components (0.1 s, 0.4 s on a loaded
    machine): the packages do not change during a test run, so the first scan serves every AppTest."""
    original = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.lru_cache(maxsize=1)(original)
    yield
    manifest_scanner.scan_component_manifests = original


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_unexpected_request_error(request: pytest.FixtureRequest) -> Iterator[list[logging.LogRecord]]:
    """The error boundary (ui.platform.error_boundary) turns a page's exception into a message, so
    `at.exception` no longer sees it: a page test fails when a page run logged a request error, unless
    it asks for `request_errors` (the records, to check them itself)."""
    handler = _Records()
    logger = logging.getLogger(oplog.REQUESTS.name)
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
    if "request_errors" not in request.fixturenames:
        errors = [record.getMessage() for record in handler.records if record.levelno >= logging.ERROR]
        assert not errors, f"a page run ended in an error: {errors}"


@pytest.fixture
def request_errors(no_unexpected_request_error: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return no_unexpected_request_error


@pytest.fixture(scope="session")
def app_settings() -> Settings:
    """The settings the app itself uses (same environment, same cache)."""
    return get_settings()


@pytest.fixture(scope="session")
def app_engine() -> Iterator[Engine]:
    engine = make_engine(APP_DB_URL)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_database(app_engine: Engine, app_settings: Settings) -> Settings:
    """Seed the app database once with the demo data; returns the settings (demo password…)."""
    from seed.generator import database_is_empty, seed_database

    if database_is_empty(app_engine):
        seed_database(
            app_engine,
            size="demo",
            cipher=FieldCipher([TEST_ENCRYPTION_KEY]),
            demo_password_hash=passwords.hash_password(app_settings.demo_password, rounds=4),
        )
    return app_settings


@pytest.fixture(scope="session")
def demo_password(demo_database: Settings) -> str:
    return demo_database.demo_password


def signed_in_app(username: str, *, started_at: datetime | None = None) -> AppTest:
    """An AppTest of app.py whose session is already authenticated as `username` (not run yet)."""
    at = AppTest.from_file(APP_SCRIPT, default_timeout=TIMEOUT)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state[STARTED_AT] = started_at or clock.now()
    return at


def open_page(at: AppTest, page: PageKey) -> AppTest:
    """Run the app once (so st.navigation registers the pages), then open `page`."""
    at.run()
    assert not at.exception, at.exception
    return at.switch_page(PAGE_SPECS[page].script).run()


def login_app() -> AppTest:
    """The app as a visitor sees it: the login form, after one run."""
    return AppTest.from_file(APP_SCRIPT, default_timeout=TIMEOUT).run()


def submit_login(at: AppTest, username: str, password: str) -> AppTest:
    """Fill and submit the login form drawn by streamlit-authenticator."""
    text_input(at, "Identifiant").input(username)
    text_input(at, "Mot de passe").input(password)
    return button(at, "Se connecter").click().run()


def text_input(at: AppTest, label: str):
    found = [widget for widget in at.text_input if widget.label == label]
    assert found, f"no text input labelled {label!r}: {[w.label for w in at.text_input]}"
    return found[0]


def button(at: AppTest, label: str):
    found = [widget for widget in at.button if widget.label == label]
    assert found, f"no button labelled {label!r}: {[b.label for b in at.button]}"
    return found[0]


def is_login_form(at: AppTest) -> bool:
    return "Se connecter" in [b.label for b in at.button] and not at.session_state["authentication_status"]


def texts(elements) -> list[str]:
    return [str(element.value) for element in elements]


def all_text(at: AppTest) -> str:
    """Every text the run drew (titles, markdown, metrics, tables, charts' data), for 'never shown' checks."""
    chunks: list[str] = []

    def walk(node) -> None:
        children = getattr(node, "children", None)
        if children:
            for child in children.values():
                walk(child)
            return
        if getattr(node, "type", None) in ("dataframe", "table"):
            chunks.append(node.value.to_string())
        proto = getattr(node, "proto", None)
        if proto is not None:
            chunks.append(str(proto))

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(chunks)


# The person file draws the lists, tables and charts of its open tab only, and the forms of a tab once it was
# opened on the file (app_pages/persons/person_file.py, TAB_KEY; ui/persons/file_sections.py); a click on a
# tab reruns the page with that tab open, as this key does.
PERSON_FILE_TAB_KEY = "person_file_tab"
COURSES_TAB_KEY = "courses_tab"  # the course page's (app_pages/activities/courses.py), drawn once opened too
PROGRESS_TAB_KEY = "progress_view"  # app_pages/activities/language_progress.py TAB_KEY


def file_tab_labels(at: AppTest) -> list[str]:
    """The person file's own tabs, in order (not the tabs drawn inside one of them)."""

    def first_tab_row(node) -> list[str] | None:
        children = list((getattr(node, "children", None) or {}).values())
        if children and all(getattr(child, "type", None) == "tab" for child in children):
            return [child.label for child in children]
        for child in children:
            found = first_tab_row(child)
            if found is not None:
                return found
        return None

    return first_tab_row(at.main) or []


def page_tab(at: AppTest, label: str):
    """The tab `label` of the page (its elements: `.dataframe`, `.caption`, `.get("vega_lite_chart")`…)."""
    found = [candidate for candidate in at.tabs if candidate.label == label]
    assert found, [candidate.label for candidate in at.tabs]
    return found[0]


def open_file_tab(at: AppTest, label: str) -> AppTest:
    """Open the person file's tab `label`, as a click on it does."""
    assert label in file_tab_labels(at), (label, file_tab_labels(at))
    at.session_state[PERSON_FILE_TAB_KEY] = label
    at.run()
    assert not at.exception, at.exception
    return at


def _open_file_code(at: AppTest) -> str:
    """The code of the file open in `at` (its title: « Fiche personne · LYO-2026-0042 »)."""
    [title] = [t.value for t in at.title]
    return title.rsplit(" · ", 1)[1]


def open_file_section(at: AppTest, name: str) -> AppTest:
    """Open the person file's expander `name` (situation, closing, consent, safety, transfer, rights:
    ui.persons.file_sections), as a click on it does; its content is drawn from then on."""
    at.session_state[file_sections.expander_key(name, _open_file_code(at))] = True
    at.run()
    assert not at.exception, at.exception
    return at


def open_sections(at: AppTest, *keys: str) -> AppTest:
    """Open the page's expanders kept under `keys` (ui.platform.lazy_sections), as clicks on them do:
    their forms are drawn from then on. A key of an expander the role does not get opens nothing."""
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def open_page_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open the tab `label` of the page's tabs kept under `key` (e.g. the course page's « courses_tab »), as a
    click on it does: a page whose tabs are drawn once opened (ui.platform.lazy_sections)."""
    assert label in file_tab_labels(at), (label, file_tab_labels(at))
    at.session_state[key] = label
    at.run()
    assert not at.exception, at.exception
    return at


def every_page_tab_text(at: AppTest, key: str) -> str:
    """all_text of the page with each of its tabs (kept under `key`) open in turn: for 'never shown' checks."""
    return "\n".join([all_text(at), *(all_text(open_page_tab(at, key, label)) for label in file_tab_labels(at))])


def _expander_key(expander) -> str | None:
    """The key of an expander drawn with one (those of ui.platform.lazy_sections), from its element id
    (« $$ID-<hash>-<key> »); None for an expander without a key (its content is drawn at every run)."""
    element_id = expander.proto.id
    return element_id.split("-", 2)[2] if element_id.startswith("$$ID-") else None


def open_every_section(at: AppTest) -> AppTest:
    """Open every expander of the page whose content is drawn once opened, those that an opened one reveals
    included, as clicks on them do."""
    opened: set[str] = set()
    while keys := {key for key in map(_expander_key, at.expander) if key} - opened:
        for key in keys:
            at.session_state[key] = True
        opened |= keys
        at.run()
        assert not at.exception, at.exception
    return at


def every_tab_text(at: AppTest) -> str:
    """all_text of the person file with each of its tabs open in turn and every section opened: for 'never
    shown' checks of a file (a section or a tab draws its content once opened)."""
    chunks = [all_text(open_every_section(at))]
    for label in file_tab_labels(at):
        chunks.append(all_text(open_every_section(open_file_tab(at, label))))
    return "\n".join(chunks)


def drawn_in_order(node) -> list:
    """The elements of a block (at.main, a form…) in the order they are drawn."""
    children = getattr(node, "children", None)
    if children is None:
        return [node]
    return [element for index in sorted(children) for element in drawn_in_order(children[index])]


def error_after(at: AppTest, widget) -> str | None:
    """The error message drawn right after `widget` (a field), or None."""
    elements = drawn_in_order(at.main)
    index = next(i for i, element in enumerate(elements) if getattr(element, "id", None) == widget.id)
    following = elements[index + 1] if index + 1 < len(elements) else None
    return following.value if following is not None and following.type == "error" else None


def metric_labels(at: AppTest) -> list[str]:
    return [metric.label for metric in at.metric]


def principal_of(engine: Engine, username: str) -> Principal:
    with unit_of_work(engine) as session:
        principal = load_principal(session, username)
    assert principal is not None, username
    return principal


def user_row(engine: Engine, username: str) -> User | None:
    with unit_of_work(engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is not None:
            session.expunge(user)  # keep its loaded values after the unit of work ends
        return user


def cookie_token(settings: Settings, username: str, *, issued_at: datetime | None = None) -> str:
    """A re-authentication cookie exactly as streamlit-authenticator 0.4.2 writes it: on the real clock
    (naive local time), which the server brings back to the app's clock (clock.from_wall)."""
    issued = issued_at or datetime.now()
    expires = issued + timedelta(days=settings.session_max_hours / 24)
    return jwt.encode({"username": username, "exp_date": expires.timestamp()}, settings.cookie_key, algorithm="HS256")


@pytest.fixture
def browser_cookies(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], None]:
    """Make `st.context.cookies` return the given cookies (AppTest has no way to send any)."""

    def use(cookies: dict[str, str]) -> None:
        monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: dict(cookies)))

    return use


@pytest.fixture
def new_account(app_engine: Engine, demo_database: Settings) -> Callable[..., Account]:
    """Create a throw-away account (unique username) for a test that changes account state."""

    def create(
        role: Role = Role.INTERVENANT, *, password: str = "mot de passe de test 1", display_name: str | None = None
    ) -> Account:
        username = unique(f"test.{role.value.replace('_', '-')}.")
        sites = [] if role in ALL_SITES_ROLES or role == Role.FINANCEUR else ["LYO"]
        with unit_of_work(app_engine) as session:
            users.create_user(
                session,
                demo_database,
                SYSTEM_ACTOR,
                username=username,
                display_name=display_name or f"Test {role.value}",
                role=role,
                password=password,
                site_codes=sites,
                funder_name=AGRASC_FUNDER_NAME if role == Role.FINANCEUR else None,
            )
        return Account(username, password, role)

    return create


@pytest.fixture
def app_on(tmp_path, monkeypatch):
    """app_on(statements..., mode=...) -> the login page of the app on a new migrated SQLite database where
    `statements` (SQL written here, not by the code under test) were run."""
    engines = []

    def start(*statements: str, mode: str = "demo") -> AppTest:
        url = f"sqlite:///{tmp_path / f'db{len(engines)}.db'}"
        engine = make_engine(url)
        engines.append(engine)
        upgrade_to_head(engine)
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("PARCOURS_MODE", mode)
        if mode == "production":  # random secrets, no pinned day (the clock stays pinned in-process)
            monkeypatch.setenv("PARCOURS_COOKIE_KEY", secrets.token_urlsafe(48))
            monkeypatch.delenv("PARCOURS_CLOCK")
        config.get_settings.cache_clear()
        runtime.clear()
        return AppTest.from_file(APP_SCRIPT, default_timeout=TIMEOUT).run()

    yield start
    config.get_settings.cache_clear()
    runtime.clear()
    for engine in engines:
        engine.dispose()
