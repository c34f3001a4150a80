"""Time each page under AppTest, signed in as a given user, with the SQL it issues.

Everything runs in this process: AppTest runs `app.py` (login check, role
navigation) then the page, in a script thread of this process, so the app's
engine (`ui.platform.runtime.runtime()`, an `st.cache_resource`) and its `st.cache_data`
entries persist between runs, as in a live server. A listener on the SQLAlchemy
`Engine` class sums the DBAPI time (execute + fetch) and counts statements and
fetched rows of each timed run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from bench.config import APP_SCRIPT
from bench.report import BUDGET_MS, PageResult, RunSample, summarise
from i18n import use_language
from models.organisation import Role, Site, User
from services.accounts.demo import DEMO_ACCOUNTS
from services.platform import data_version
from services.platform.db import make_engine, unit_of_work
from services.platform.pages import PageKey, pages_for

REFUSED_MESSAGE = "Vous n'avez pas accès à cette page."
RUN_TIMEOUT_S = 120


@dataclass(frozen=True)
class BenchUser:
    role: Role
    username: str

    @property
    def display_name(self) -> str:
        return next((a.display_name for a in DEMO_ACCOUNTS if a.username == self.username), self.username)


# All sites (direction), one site's social worker, and each role whose pages nobody above opens:
# the Lyon head of service, the Lyon French teacher, finance, and the AGRASC funder.
BENCH_USERS: tuple[BenchUser, ...] = (
    BenchUser(Role.DIRECTION, "direction"),
    BenchUser(Role.INTERVENANT, "ts.lyon"),
    BenchUser(Role.CHEF_SERVICE, "chef.lyon"),
    BenchUser(Role.FORMATEUR, "fle.lyon"),
    BenchUser(Role.GESTION, "gestion"),
    BenchUser(Role.FINANCEUR, "financeur.agrasc"),
)


class _TimedCursor:
    """Stands in for the DBAPI cursor a result fetches from: times and counts the fetches."""

    __slots__ = ("_cursor", "_recorder")

    def __init__(self, cursor: Any, recorder: SqlRecorder) -> None:
        object.__setattr__(self, "_cursor", cursor)
        object.__setattr__(self, "_recorder", recorder)

    def _timed(self, method: str, *args: Any) -> Any:
        started = time.perf_counter()
        rows = getattr(self._cursor, method)(*args)
        self._recorder.add_fetch(time.perf_counter() - started, rows)
        return rows

    def fetchone(self) -> Any:
        return self._timed("fetchone")

    def fetchmany(self, *args: Any) -> Any:
        return self._timed("fetchmany", *args)

    def fetchall(self) -> Any:
        return self._timed("fetchall")

    def __iter__(self) -> Any:
        return iter(self.fetchall())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._cursor, name, value)


class SqlRecorder:
    """Sums the SQL of the runs it is active for; listens on every Engine of the process."""

    def __init__(self) -> None:
        self.active = False
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.seconds = 0.0
        self.queries = 0
        self.rows = 0

    def install(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def remove(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
        event.remove(Engine, "after_cursor_execute", self._after)

    def add_fetch(self, seconds: float, rows: Any) -> None:
        if not self.active:
            return
        with self._lock:
            self.seconds += seconds
            if isinstance(rows, list):
                self.rows += len(rows)
            elif rows is not None:
                self.rows += 1

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active:
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        stack = conn.info.get("bench_started")
        if not self.active or not stack:
            return
        elapsed = time.perf_counter() - stack.pop()
        with self._lock:
            self.seconds += elapsed
            self.queries += 1
        # Rows come later, when the result fetches: route those fetches through a timing proxy.
        if (
            context is not None
            and not executemany
            and context.cursor is cursor
            and cursor.description is not None
            and not isinstance(cursor, _TimedCursor)
        ):
            context.cursor = _TimedCursor(cursor, self)

    def sample(self, wall_seconds: float) -> RunSample:
        return RunSample(wall_ms=wall_seconds * 1000, sql_ms=self.seconds * 1000, queries=self.queries, rows=self.rows)


class RequestErrors(logging.Handler):
    """The page errors the app logged (services.platform.oplog.REQUESTS): the error boundary
    (ui.platform.error_boundary) turns a page's exception into a message, which `at.exception` never sees."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def take(self) -> str | None:
        first = self.messages[0] if self.messages else None
        self.messages.clear()
        return first


REQUEST_ERRORS = RequestErrors()


def _problem(at: Any) -> str | None:
    """Why a run does not count: an exception (raised, or logged by the error boundary), a refusal, or no
    signed-in session."""
    logged = REQUEST_ERRORS.take()
    if logged:
        return f"page error logged by the app: {logged}"[:500]
    if at.exception:
        first = at.exception[0].proto
        more = f" (+{len(at.exception) - 1} more)" if len(at.exception) > 1 else ""
        return f"{first.type or 'Exception'}: {first.message}{more}".strip()
    if any(element.value == REFUSED_MESSAGE for element in at.error):
        return "page refused to this role"
    if not at.session_state["authentication_status"]:
        return "not signed in after the run (session ended)"
    return None


def _timed_run(at: Any, recorder: SqlRecorder) -> RunSample:
    recorder.reset()
    recorder.active = True
    started = time.perf_counter()
    try:
        at.run(timeout=RUN_TIMEOUT_S)
    finally:
        wall = time.perf_counter() - started
        recorder.active = False
    return recorder.sample(wall)


def time_page(
    user: BenchUser,
    page: PageKey,
    script: str,
    *,
    runs: int,
    recorder: SqlRecorder,
    budget_ms: float = BUDGET_MS,
    query_params: dict[str, str] | None = None,
    language: str = "fr",
    after_write: Callable[[], None] | None = None,
) -> PageResult:
    """One fresh signed-in session: open the app, switch to the page, one warm-up run, then `runs` timed runs,
    then runs each just after `after_write()` (a committed write: every cached aggregate is recomputed)."""
    # AppTest formats the widgets' values again in this thread between runs (format_func): in the
    # page's language too, or an English option would be looked for among French ones.
    with use_language(language):
        return _time_page(
            user,
            page,
            script,
            runs=runs,
            recorder=recorder,
            budget_ms=budget_ms,
            query_params=query_params,
            language=language,
            after_write=after_write,
        )


def _time_page(
    user: BenchUser,
    page: PageKey,
    script: str,
    *,
    runs: int,
    recorder: SqlRecorder,
    budget_ms: float,
    query_params: dict[str, str] | None,
    language: str,
    after_write: Callable[[], None] | None,
) -> PageResult:
    from streamlit.testing.v1 import AppTest

    from ui.platform.language_switch import LANGUAGE_KEY

    samples: list[RunSample] = []
    cold: list[RunSample] = []
    first_ms: float | None = None
    error: str | None = None
    try:
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=RUN_TIMEOUT_S)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = user.username
        at.session_state["name"] = user.display_name
        at.session_state[LANGUAGE_KEY] = language
        at.run()
        error = _problem(at)
        if error is None:
            at.switch_page(script)
            for key, value in (query_params or {}).items():
                at.query_params[key] = value
            first_ms = _timed_run(at, recorder).wall_ms
            error = _problem(at)
        while error is None and len(samples) < runs:
            samples.append(_timed_run(at, recorder))
            error = _problem(at)
        while error is None and after_write is not None and len(cold) < cold_runs(runs):
            after_write()
            cold.append(_timed_run(at, recorder))
            error = _problem(at)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    return summarise(
        page=page.value,
        role=user.role.value,
        username=user.username,
        script=script,
        samples=samples if error is None else [],
        cold_samples=cold if error is None else [],
        first_run_ms=first_ms,
        error=error,
        budget_ms=budget_ms,
    )


def cold_runs(runs: int) -> int:
    return max(1, runs // 2)


def write_nothing_but_the_version(
    url: str, tables: Collection[str] = (), site: str | None = None
) -> Callable[[], None]:
    """Move the versions a save of `tables` (default: every table) at the site coded `site` moves, without
    changing any row of data. Without `site`, a save whose sites cannot be told: every figure computed
    per site is recomputed for every site; with no `tables` either, every cached aggregate is recomputed
    at the next run (worse than any single save)."""
    engine = make_engine(url)
    chosen = sorted(tables) or sorted(data_version.tracked_tables())
    with unit_of_work(engine) as session:
        place = data_version.ANY_SITE if site is None else session.exec(select(Site.id).where(Site.code == site)).one()

    def write() -> None:
        with unit_of_work(engine) as session:
            data_version.move_as_a_write(session, chosen, place)
            session.commit()

    return write


def _drop_missing_context_warning(record: logging.LogRecord) -> bool:
    return "missing ScriptRunContext" not in record.getMessage()


def share_one_script_cache() -> Callable[[], None]:
    """Compile each script once for the whole bench, as a server does: its Runtime holds one ScriptCache for
    every session, while AppTest makes a new one at each run (app_test.py, local_script_runner.py), so that
    every timed run compiled app.py and the page again (5–8 ms of a 50 ms page on the large dataset).
    Patches the names where AppTest looks them up; returns what puts them back."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    saved = app_test.ScriptCache, local_script_runner.ScriptCache
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared

    def restore() -> None:
        app_test.ScriptCache, local_script_runner.ScriptCache = saved

    return restore


def _quiet_streamlit() -> None:
    """AppTest driven from the main thread logs "missing ScriptRunContext" for each session_state write.

    A filter, not a level: Streamlit resets its loggers' level whenever it (re)reads its config.
    """
    from streamlit.runtime.scriptrunner_utils import script_run_context

    logger = script_run_context._LOGGER
    if _drop_missing_context_warning not in logger.filters:
        logger.addFilter(_drop_missing_context_warning)


def _missing_user(url: str, user: BenchUser) -> str | None:
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            found_role = session.exec(select(User.role).where(User.username == user.username)).first()
    finally:
        engine.dispose()
    if found_role is None:
        return f"user {user.username!r} is not in the bench database"
    if found_role != user.role:
        return f"user {user.username!r} has role {found_role}, expected {user.role.value}"
    return None


def _richest_file_code(url: str, user: BenchUser) -> str | None:
    """The person file of the user's scope with the most French-course attendance: the worst case."""
    import sqlalchemy as sa

    from models.courses import CourseAttendance
    from models.organisation import UserSite
    from models.persons import Person

    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            user_id = session.exec(select(User.id).where(User.username == user.username)).first()
            statement = (
                select(Person.code)
                .join(CourseAttendance, CourseAttendance.person_id == Person.id)
                .group_by(Person.id, Person.code)
                .order_by(sa.func.count().desc(), Person.id)
                .limit(1)
            )
            if user.role != Role.DIRECTION:
                statement = statement.where(
                    Person.site_id.in_(select(UserSite.site_id).where(UserSite.user_id == user_id))
                )
            return session.exec(statement).first()
    finally:
        engine.dispose()


def run_benchmark(
    url: str,
    *,
    runs: int,
    users: Iterable[BenchUser] = BENCH_USERS,
    budget_ms: float = BUDGET_MS,
    on_result: Callable[[PageResult], None] | None = None,
    language: str = "fr",
    pages: Collection[PageKey] | None = None,
    after_writes: bool = True,
    written: Collection[str] = (),
    written_at: str | None = None,
) -> list[PageResult]:
    """Every page each user's role may open (of `pages`, when given), in menu order, in the interface
    `language`; without `after_writes`, no run after a write (cold_ms None); the write before each of
    those runs moves the versions of the `written` tables (default: every table) at the site coded
    `written_at` (default: sites unknown)."""
    from services.platform import oplog
    from ui.platform import warmup
    from ui.platform.navigation import PAGE_SPECS

    _quiet_streamlit()
    # What server.py's warm-up does before the server accepts a visitor: a first run is then timed as the first
    # visitor gets it, not with the import of a library the warm-up had loaded (fpdf: a second), nor with a
    # garbage collection walking every object of the app.
    warmup.import_the_app()
    warmup.freeze_what_is_loaded()
    oplog.REQUESTS.addHandler(REQUEST_ERRORS)
    REQUEST_ERRORS.take()
    recorder = SqlRecorder()
    recorder.install()
    after_write = write_nothing_but_the_version(url, written, written_at) if after_writes else None
    results: list[PageResult] = []
    restore_script_caches = share_one_script_cache()
    try:
        for user in users:
            missing = _missing_user(url, user)
            for page in pages_for(user.role):
                if pages is not None and page not in pages:
                    continue
                spec = PAGE_SPECS.get(page)
                if spec is None:
                    result = summarise(
                        page=page.value,
                        role=user.role.value,
                        username=user.username,
                        script="",
                        samples=[],
                        error="no PageSpec in ui.platform.navigation.PAGE_SPECS",
                        budget_ms=budget_ms,
                    )
                elif missing:
                    result = summarise(
                        page=page.value,
                        role=user.role.value,
                        username=user.username,
                        script=spec.script,
                        samples=[],
                        error=missing,
                        budget_ms=budget_ms,
                    )
                else:
                    params = None
                    if page == PageKey.PERSON_FILE:
                        code = _richest_file_code(url, user)
                        params = {"code": code} if code else None
                    result = time_page(
                        user,
                        page,
                        spec.script,
                        runs=runs,
                        recorder=recorder,
                        budget_ms=budget_ms,
                        query_params=params,
                        language=language,
                        after_write=after_write,
                    )
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        restore_script_caches()
        recorder.remove()
        oplog.REQUESTS.removeHandler(REQUEST_ERRORS)
    return results
