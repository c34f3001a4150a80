"""`make load`: N simulated users against a running app, at the Streamlit WebSocket protocol level.

Each simulated user does what a browser tab does, without a browser: it opens the session's WebSocket
(`/_stcore/stream`, Streamlit's own BackMsg / ForwardMsg protobufs), asks for the first run, finds the
login form's widgets in the elements the server sends (Identifiant, Mot de passe, Se connecter) and
submits them as widget states (the real login form, the real password check), then walks the pages of
its role's menu (the `navigation` message of the signed-in run) one after the other, with a think time
of a few seconds between two clicks, until the duration is over. A page counts as rendered when its run
finished, showed the page's title and no exception or error alert; its time is from the click (the
BackMsg sent) to the end of the run (`script_finished`), as a browser would wait for it.

What a browser does and this does not: load the static files (nginx or Streamlit serve them, no script
runs), and answer the cookie components (the login cookie: one more run after the sign-in, in a browser).

Through the deploy/ proxy, each simulated user first asks `/_stcore/health` for its sticky cookie, so its
WebSocket stays on one process, as a browser's does.

A plain asyncio driver, not Locust: one process, one event loop, a coroutine per user; no gevent, and the
timings are the driver's own (the driver's CPU share is one coroutine switch per message).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import ssl
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.report import percentile

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"
TARGET_P95_MS = 1000.0
RUN_TIMEOUT_S = 120.0
LOGIN = "login"  # the row of the sign-in run (the login form submitted, the home page drawn)
# The demo accounts of every role (services/accounts/demo.py), handed out in turn to the simulated users.
DEFAULT_ACCOUNTS = (
    "ts.lyon",
    "direction",
    "chef.lyon",
    "cip.grenoble",
    "fle.lyon",
    "gestion",
    "financeur.agrasc",
    "admin",
)
LOGIN_LABELS = ("Identifiant", "Mot de passe", "Se connecter")
REFUSED_MESSAGE = "Vous n'avez pas accès à cette page."


def expected_titles() -> dict[str, str]:
    """The text each page shows at its top (its st.title), by url path; the home page greets by name."""
    from services.platform.pages import PageKey
    from ui.platform.navigation import PAGE_SPECS

    titles = {key.value: spec.title for key, spec in PAGE_SPECS.items()}
    titles[PageKey.HOME.value] = "Bonjour"
    return titles


# --- one run of the script, as the browser sees it ------------------------------------------------


@dataclass
class RunOutcome:
    """What one script run sent: its elements' texts, the login widgets, the menu, the problems."""

    headings: list[str] = field(default_factory=list)
    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)  # label → (kind, widget id)
    pages: list[tuple[str, str]] = field(default_factory=list)  # (url path, page script hash), menu order
    problems: list[str] = field(default_factory=list)
    finished: bool = False


def _read_element(element: Any, outcome: RunOutcome) -> None:
    kind = element.WhichOneof("type")
    if kind == "heading":
        outcome.headings.append(element.heading.body)
    elif kind == "exception":
        outcome.problems.append(f"exception {element.exception.type}: {element.exception.message}"[:300])
    elif kind == "alert":
        from streamlit.proto.Alert_pb2 import Alert

        if element.alert.format == Alert.ERROR:
            outcome.problems.append(f"error shown: {element.alert.body}"[:300])
    elif kind == "text_input":
        outcome.widgets[element.text_input.label] = ("text", element.text_input.id)
    elif kind == "button":
        outcome.widgets[element.button.label] = ("trigger", element.button.id)


def read_forward_msg(message: Any, outcome: RunOutcome) -> None:
    """Fold one ForwardMsg into the run's outcome."""
    kind = message.WhichOneof("type")
    if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
        _read_element(message.delta.new_element, outcome)
    elif kind == "navigation":
        # The default page (the home page) has an empty url path.
        outcome.pages = [(page.url_pathname or "home", page.page_script_hash) for page in message.navigation.app_pages]
    elif kind == "page_not_found":
        outcome.problems.append(f"page not found: {message.page_not_found.page_name}")
    elif kind == "script_finished":
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        status = message.script_finished
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            outcome.problems.append("script compile error")
        # A run stopped for a rerun (st.rerun, st.switch_page) is followed by the run that counts.
        if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            outcome.finished = True


class Session:
    """One browser session: a WebSocket to /_stcore/stream and the runs asked over it."""

    def __init__(self, base_url: str, *, locale: str = "fr-FR") -> None:
        self.base_url = base_url.rstrip("/")
        self.locale = locale
        self.cookies: dict[str, str] = {}
        self._socket: Any = None

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.base_url.startswith("https"):
            return None
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # a proxy on this machine, with its self-signed certificate
        return context

    def _health(self) -> None:
        """GET /_stcore/health: what the browser's first request does for the cookies (nginx's sticky key)."""
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=self._ssl()))
        with opener.open(f"{self.base_url}/_stcore/health", timeout=30) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                self.cookies.update({name: morsel.value for name, morsel in jar.items()})

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        await asyncio.to_thread(self._health)
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None
        self._socket = await connect(
            f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream",
            origin=f"{parts.scheme}://{parts.netloc}",
            subprotocols=["streamlit"],
            additional_headers=headers,
            ssl=self._ssl(),
            max_size=None,
            compression=None,
            open_timeout=60,
            ping_interval=None,
            proxy=None,
        )

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def run(
        self, *, page_script_hash: str = "", widgets: Sequence[tuple[str, str, Any]] = ()
    ) -> tuple[float, RunOutcome]:
        """Ask for a run (a click) and wait for its end: (milliseconds, outcome)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        state = message.rerun_script
        state.page_script_hash = page_script_hash
        context = state.context_info
        context.locale = self.locale
        context.timezone = "Europe/Paris"
        context.url = self.base_url + "/"
        for kind, widget_id, value in widgets:
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            if kind == "trigger":
                widget.trigger_value = bool(value)
            else:
                widget.string_value = str(value)
        outcome = RunOutcome()
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        async with asyncio.timeout(RUN_TIMEOUT_S):
            while not outcome.finished:
                received = ForwardMsg()
                received.ParseFromString(await self._socket.recv())
                read_forward_msg(received, outcome)
        return (time.perf_counter() - started) * 1000, outcome


# --- a simulated user ------------------------------------------------------------------------------


@dataclass
class Sample:
    page: str
    ms: float
    error: str | None = None


@dataclass
class LoadConfig:
    url: str
    users: int
    duration_s: float
    think_s: float = 3.0
    ramp_s: float = 0.5  # between two users' arrivals
    password: str = "parcours-demo"
    accounts: tuple[str, ...] = DEFAULT_ACCOUNTS
    seed: int = 15


def check_page(page: str, ms: float, outcome: RunOutcome, titles: dict[str, str]) -> Sample:
    """A page rendered: its run finished with its title shown and no exception or error alert."""
    problems = list(outcome.problems)
    expected = titles.get(page)
    if expected is not None and not any(heading.startswith(expected) for heading in outcome.headings):
        problems.append(f"title {expected!r} not shown (headings: {outcome.headings[:3]})")
    return Sample(page, ms, "; ".join(problems) if problems else None)


async def simulated_user(index: int, config: LoadConfig, deadline: float, samples: list[Sample]) -> None:
    titles = expected_titles()
    rng = random.Random(config.seed * 1000 + index)
    username = config.accounts[index % len(config.accounts)]
    session = Session(config.url)
    try:
        await session.connect()
        _ms, first = await session.run()
        missing = [label for label in LOGIN_LABELS if label not in first.widgets]
        if first.problems or missing:
            samples.append(Sample(LOGIN, _ms, f"login form not drawn: {first.problems or missing}"))
            return
        fields = [first.widgets[label] for label in LOGIN_LABELS]
        ms, signed_in = await session.run(
            widgets=[(*fields[0], username), (*fields[1], config.password), (*fields[2], True)]
        )
        login = check_page("home", ms, signed_in, titles)
        if not signed_in.pages and login.error is None:
            login.error = f"not signed in as {username} (no menu after the login form)"
        samples.append(Sample(LOGIN, ms, login.error))
        if login.error:
            return
        # The role's menu, from the second page on (the sign-in run drew the home page), then round again.
        menu = signed_in.pages
        position = 1 % len(menu)
        while True:
            await asyncio.sleep(config.think_s * rng.uniform(0.5, 1.5))
            if time.monotonic() >= deadline:
                return
            page, page_hash = menu[position]
            ms, outcome = await session.run(page_script_hash=page_hash)
            samples.append(check_page(page, ms, outcome, titles))
            position = (position + 1) % len(menu)
    except TimeoutError:
        samples.append(Sample("(session)", RUN_TIMEOUT_S * 1000, f"user {index} ({username}): no end of run"))
    except Exception as exc:  # a closed socket, a refused connection: an error of this user, the others go on
        samples.append(Sample("(session)", 0.0, f"user {index} ({username}): {type(exc).__name__}: {exc}"[:300]))
    finally:
        with contextlib.suppress(Exception):
            await session.close()


async def run_load(config: LoadConfig) -> list[Sample]:
    samples: list[Sample] = []
    started = time.monotonic()
    deadline = started + config.duration_s
    tasks = []
    for index in range(config.users):
        tasks.append(asyncio.create_task(simulated_user(index, config, deadline, samples)))
        await asyncio.sleep(config.ramp_s)
    await asyncio.gather(*tasks)
    return samples


# --- the figures -------------------------------------------------------------------------------------


@dataclass
class PageLoad:
    page: str
    samples: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    errors: int
    first_error: str | None


def summarise_load(samples: Sequence[Sample]) -> list[PageLoad]:
    """p50 / p95 / max of the rendered runs of each page, and its errors; login first, then by page name."""
    by_page: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_page[sample.page].append(sample)
    rows = []
    for page in sorted(by_page, key=lambda name: (name != LOGIN, name)):
        good = [s.ms for s in by_page[page] if s.error is None]
        bad = [s for s in by_page[page] if s.error is not None]
        rows.append(
            PageLoad(
                page=page,
                samples=len(good),
                p50_ms=round(percentile(good, 50), 1) if good else None,
                p95_ms=round(percentile(good, 95), 1) if good else None,
                max_ms=round(max(good), 1) if good else None,
                errors=len(bad),
                first_error=bad[0].error if bad else None,
            )
        )
    return rows


def overall(samples: Sequence[Sample]) -> dict[str, Any]:
    """Every page run but the sign-in: what a user waits for at a click."""
    good = [s.ms for s in samples if s.error is None and s.page != LOGIN]
    return {
        "page_runs": len(good),
        "errors": sum(1 for s in samples if s.error is not None),
        "p50_ms": round(percentile(good, 50), 1) if good else None,
        "p95_ms": round(percentile(good, 95), 1) if good else None,
        "within_target": bool(good) and percentile(good, 95) <= TARGET_P95_MS,
        "target_p95_ms": TARGET_P95_MS,
    }


def format_load_table(rows: Sequence[PageLoad], totals: dict[str, Any]) -> str:
    header = ("page", "runs", "p50_ms", "p95_ms", "max_ms", "errors")

    def cell(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    lines = [(r.page, str(r.samples), cell(r.p50_ms), cell(r.p95_ms), cell(r.max_ms), str(r.errors)) for r in rows]
    lines.append(
        (
            "all pages",
            str(totals["page_runs"]),
            cell(totals["p50_ms"]),
            cell(totals["p95_ms"]),
            "",
            str(totals["errors"]),
        )
    )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)).rstrip()

    out = [fmt(header), fmt(["-" * w for w in widths]), *(fmt(line) for line in lines)]
    errors = [(r.page, r.first_error) for r in rows if r.first_error]
    if errors:
        out.append("")
        out.append("First error of each page:")
        out.extend(f"  - {page}: {error}" for page, error in errors)
    return "\n".join(out)


def load_document(
    config: LoadConfig, samples: Sequence[Sample], *, label: str, load_before: Any, load_after: Any
) -> dict[str, Any]:
    rows = summarise_load(samples)
    parts = urlsplit(config.url)
    return {
        "label": label,
        "target": f"{parts.scheme}://{parts.netloc}",
        "users": config.users,
        "duration_s": config.duration_s,
        "think_s": config.think_s,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1_5_15_before": load_before,
        "load_average_1_5_15_after": load_after,
        "cpus": os.cpu_count(),
        "totals": overall(samples),
        "pages": [asdict(row) for row in rows],
    }


def write_load_section(path: Path, run: dict[str, Any]) -> None:
    """results.json keeps the bench's document; `load` holds one entry per label (the last run of each)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = {}
    document.setdefault("load", {})[run["label"]] = run
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _load_average() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="N simulated users (Streamlit WebSocket protocol) against a running Parcours: p50/p95 per page.",
    )
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="the app, or the proxy (default %(default)s)")
    parser.add_argument("--users", type=int, default=10, help="simulated users (default %(default)s)")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load after the first arrival")
    parser.add_argument("--think", type=float, default=3.0, help="mean think time between two clicks, seconds")
    parser.add_argument("--ramp", type=float, default=0.5, help="seconds between two users' arrivals")
    parser.add_argument(
        "--password",
        default=os.environ.get("PARCOURS_DEMO_PASSWORD", "parcours-demo"),
        help="password of the demo accounts (default PARCOURS_DEMO_PASSWORD, else parcours-demo)",
    )
    parser.add_argument("--label", help="name of this run in results.json's load section (default: N users)")
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help="results file (default bench/results.json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = LoadConfig(
        url=args.url,
        users=args.users,
        duration_s=args.duration,
        think_s=args.think,
        ramp_s=args.ramp,
        password=args.password,
    )
    before = _load_average()
    print(
        f"Load: {config.users} users on {config.url}, {config.duration_s:.0f} s, think {config.think_s} s, "
        f"one arrival every {config.ramp_s} s (load average {before})…",
        flush=True,
    )
    samples = asyncio.run(run_load(config))
    after = _load_average()
    run = load_document(
        config, samples, label=args.label or f"{config.users} users", load_before=before, load_after=after
    )
    write_load_section(args.results, run)
    print()
    print(format_load_table(summarise_load(samples), run["totals"]))
    totals = run["totals"]
    verdict = "within" if totals["within_target"] else "OVER"
    print(
        f"\np95 of every page run {totals['p95_ms']} ms: {verdict} the target of {TARGET_P95_MS:.0f} ms. "
        f"Load average {before} before, {after} after, on {os.cpu_count()} CPUs. Results: {args.results}."
    )
    return 1 if totals["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
