"""The person file's sections drawn once opened (ui.platform.lazy_sections says why): its tabs, the
expanders of its head (situation, closing, consents, danger flag, transfer, the person's rights) and the
correction forms folded in its tabs. Drawing every form of a file at every run was most of the page's run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ui.platform import lazy_sections

# The expanders of the file (tests open them by name): those of its head, then those inside its tabs.
SITUATION, CLOSING, CONSENT, SAFETY, TRANSFER, RIGHTS = (
    "situation",
    "closing",
    "consent",
    "safety",
    "transfer",
    "rights",
)
BARRIER_CORRECTION, APPOINTMENT_CHANGE = "barrier_correction", "appointment_change"


def psp_decision(episode_id: int) -> str:
    """The expander of one PSP request's commission, decision, APS and AFIS (one per request of the file)."""
    return f"psp_decision_{episode_id}"


OPENED = "person_file_sections"  # (code, names of the sections opened on that file)


def expander_key(name: str, code: str) -> str:
    """The key of the expander `name` of the file `code`: its state is True when it is open (tests open it
    through it). One per file: a file opened afterwards shows its own sections closed."""
    return lazy_sections.section_key(OPENED, name, code)


def tabs_to_draw(code: str, links: Sequence[str], tabs: Sequence) -> set[str]:
    """The link names of the file's tabs to draw: those opened on the file `code`, the open one included."""
    return lazy_sections.tabs_to_draw(OPENED, code, links, tabs)


def section(
    parent, name: str, label: str, *, code: str, icon: str, draw: Callable[[], None], expanded: bool = False
) -> None:
    """The expander `name` of the file `code` in `parent`; `draw()` fills it when it is open or was opened
    before on this file (lazy_sections.owned_section)."""
    lazy_sections.owned_section(
        parent,
        label,
        memory=OPENED,
        owner=code,
        name=name,
        draw=draw,
        icon=icon,
        expanded=expanded,
    )
