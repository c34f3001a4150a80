"""The person file's sections drawn once opened (ui.platform.lazy_sections says why): its tabs and the
expanders of its head (situation, closing, consents, danger flag, transfer, the person's rights). Drawing
every form of a file at every run was most of the page's run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ui.platform import lazy_sections
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
    """The names of the sections opened on the file `code` since it was opened, `open_now` included."""
    return lazy_sections.opened_on(OPENED, code, open_now)


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
