"""The operators' log: one line per request error and per job run, on standard output.

What an operator needs to find a fault and what it cost, never who it was about: a line carries an
error reference, a page, a role, a job's counts and duration; never a username, a display name, an
alias, a first name or any free text. A request error's exception message is not logged either (it
may quote what someone typed, or a row's values): its type, its causes' types and the frames of its
traceback in Parcours' code, on the same line, are enough to find the line of code.
`tests/browser/test_operator_log.py` scans the log of a whole journey for the demo people's names and
the demo accounts' names.

`configure()` is called at start by the app (app.py) and the operators' commands (ops.cli); calling
it again changes nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.platform.config import PROJECT_ROOT

LOGGER = "parcours"
REQUESTS = logging.getLogger(f"{LOGGER}.requests")
JOBS = logging.getLogger(f"{LOGGER}.jobs")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _StandardOutput(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is at the time of the line (a test may have replaced it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure() -> None:
    """Send the `parcours` loggers to standard output, once per process."""
    root = logging.getLogger(LOGGER)
    if any(isinstance(handler, _StandardOutput) for handler in root.handlers):
        return
    handler = _StandardOutput()
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False  # Streamlit's own handlers would print each line a second time
    root.info("log-start pid=%s", os.getpid())


def new_reference() -> str:
    """A short random reference the user reads out to the administrator: 8 hexadecimal characters."""
    return secrets.token_hex(4)


def _frames(error: BaseException) -> str:
    """The traceback on one line, without any exception's message: the frames in Parcours' own code
    (file:line in function, innermost last; a library's frames are left out), then the chain of causes'
    types."""
    frames = [
        f"{Path(frame.filename).resolve().relative_to(PROJECT_ROOT)}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(error.__traceback__)
        if _own_code(frame.filename)
    ]
    causes = []
    cause = error.__cause__ or error.__context__
    while cause is not None and len(causes) < 5:
        causes.append(type(cause).__name__)
        cause = cause.__cause__ or cause.__context__
    return f"at={' > '.join(frames) or '-'}" + (f" cause={' < '.join(causes)}" if causes else "")


def _own_code(filename: str) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(PROJECT_ROOT) and not any(part in {".venv", "site-packages"} for part in path.parts)


def request_error(error: BaseException, *, page: str, role: str | None) -> str:
    """Log an error that ended a page run, with a new reference, and return that reference."""
    reference = new_reference()
    retry = getattr(error, "retry", None)
    REQUESTS.error(
        "request-error ref=%s page=%s role=%s error=%s%s %s",
        reference,
        page,
        role or "-",
        type(error).__name__,
        "" if retry is None else f" retry={'yes' if retry else 'no'}",
        _frames(error),
    )
    return reference


def form_error(error: BaseException, *, form: str, retry: bool) -> str:
    """Log a save the database refused (the form shows it to the user), and return its reference."""
    reference = new_reference()
    REQUESTS.warning(
        "save-refused ref=%s form=%s error=%s retry=%s",
        reference,
        form,
        type(error).__name__,
        "yes" if retry else "no",
    )
    return reference


@dataclass
class JobRun:
    """Counts a job reports (name → number), logged on its last line."""

    counts: dict[str, int]


@contextmanager
def job(name: str) -> Iterator[JobRun]:
    """One line when the job starts, one when it ends: outcome, counts, duration."""
    run = JobRun(counts={})
    started = time.perf_counter()
    JOBS.info("job-start job=%s", name)
    try:
        yield run
    except BaseException as error:
        JOBS.error(
            "job-end job=%s outcome=failed error=%s duration_s=%.2f",
            name,
            type(error).__name__,
            time.perf_counter() - started,
        )
        raise
    counts = "".join(f" {key}={value}" for key, value in sorted(run.counts.items()))
    JOBS.info("job-end job=%s outcome=ok%s duration_s=%.2f", name, counts, time.perf_counter() - started)
