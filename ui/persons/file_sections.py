"""The person file's sections drawn once opened: its tabs and the expanders of its head (situation, closing,
consents, danger flag, transfer, the person's rights).

A section never opened on the file draws nothing: nobody can have typed in its forms, and drawing every
form of a file at every run was most of the page's run. A section opened before on the file keeps drawing
its forms when it is closed again: what was typed in a form and not yet sent lives in the browser, and
leaves it with a form that a run does not draw. Opening a section reruns the page (Streamlit's lazy tabs
and expanders, `on_change="rerun"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ui.platform.text import md

# The expanders of the file (tests open them by name).
SITUATION, CLOSING, CONSENT, SAFETY, TRANSFER, RIGHTS = (
    "situation",
    "closing",
    "consent",
    "safety",
    "transfer",
    "rights",
)
EXPANDERS = (SITUATION, CLOSING, CONSENT, SAFETY, TRANSFER, RIGHTS)

OPENED = "person_file_opened_sections"  # (code, names of the sections opened on that file)
EXPANDER_KEY = "person_file_section"  # + the section's name and the file's code: open or closed, per file


def opened_on(code: str, open_now: set[str]) -> set[str]:
    """The names of the sections opened on the file `code` since it was opened, `open_now` included
    (opening another file starts afresh: the forms of the one before left the browser with its page)."""
    kept_code, kept = st.session_state.get(OPENED, (None, frozenset()))
    opened = (set(kept) if kept_code == code else set()) | open_now
    st.session_state[OPENED] = (code, frozenset(opened))
    return opened


def expander_key(name: str, code: str) -> str:
    """The key of the expander `name` of the file `code`: its state is True when it is open (tests open it
    through it). One per file: a file opened afterwards shows its own sections closed."""
    return f"{EXPANDER_KEY}_{name}_{code}"


@contextmanager
def section(parent, name: str, label: str, *, code: str, icon: str, expanded: bool = False) -> Iterator[bool]:
    """The expander `name` of the file `code` in `parent`, entered; yields whether to draw its content (open
    now, or opened before on this file). `label` is escaped (ui.platform.text.md) like any text of a label."""
    box = parent.expander(md(label), expanded=expanded, icon=icon, key=expander_key(name, code), on_change="rerun")
    with box:
        yield name in opened_on(code, {name} if box.open else set())
