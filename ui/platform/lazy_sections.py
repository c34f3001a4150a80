"""Tabs and expanders whose content a page draws once they were opened, and keeps drawing after.

Streamlit draws the content of every tab and of every folded expander at each run unless they are lazy
(`on_change="rerun"`: opening one reruns the page, and its `.open` says whether it is open). A page full of
forms spends most of its run drawing forms nobody looks at, so its sections are lazy; but a form that a run
does not draw leaves the browser, and what was typed in it and not yet sent leaves with it. So a section is
drawn from the first time it is opened on what the page shows (a person's file, a course group), open or
not: a section never opened cannot hold anything typed. Another file or group starts afresh: the forms of
the one before left the browser with it.

    tabs = st.tabs(labels, key=TAB_KEY, on_change="rerun")
    drawn = lazy_sections.tabs_to_draw(OPENED, group_id, names, tabs)      # the names of the tabs to draw
    lazy_sections.owned_section(st, _("Modifier une séance"), memory=OPENED, owner=site_id, name="edit",
                                draw=lambda: ...)     # kept open or closed under section_key(OPENED, "edit", site_id)
    lazy_sections.section(_("Nouveau guide"), key="guides_new_guide", draw=lambda: ...)  # one per page

A folded form of a signed-in page goes through `owned_section` or `section`, never a bare `st.expander`. Tests open a
section by its key, as a click does (tests/pages/conftest.py: open_sections, open_every_section).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import streamlit as st

from ui.platform.text import md


def opened_on(memory: str, owner: object, open_now: Iterable[str]) -> set[str]:
    """The names of the sections opened on `owner` since it is shown, `open_now` included; kept in the
    session's state under `memory` (one per page)."""
    kept_owner, kept = st.session_state.get(memory, (None, frozenset()))
    opened = (set(kept) if kept_owner == owner else set()) | set(open_now)
    st.session_state[memory] = (owner, frozenset(opened))
    return opened


def tabs_to_draw(memory: str, owner: object, names: Sequence[str], tabs: Sequence) -> set[str]:
    """The names of the lazy tabs `tabs` (st.tabs, in the order of `names`) to draw: those opened on `owner`,
    the open one included."""
    return opened_on(memory, owner, {name for name, tab in zip(names, tabs, strict=True) if tab.open})


def section_key(memory: str, name: str, owner: object) -> str:
    """The widget key of the section `name` of `owner` (True when it is open): one per owner, so that another
    owner's (another file, site, grant, filter of a list) starts closed. Tests open a section through it."""
    return "_".join(map(str, (memory, name, *(owner if isinstance(owner, tuple) else (owner,)))))


def owned_section(
    parent,
    label: str,
    *,
    memory: str,
    owner: object,
    name: str,
    draw: Callable[[], None],
    icon: str | None = None,
    expanded: bool = False,
    key: str | None = None,
) -> None:
    """A lazy expander `name` in `parent` (st, a tab, a column), filled by `draw()` when it is open or was opened
    before on `owner` (remembered under `memory` with the page's other sections of that owner). Its state is kept
    under `key` (default: `section_key(memory, name, owner)`). `label` is escaped (ui.platform.text.md) like any
    text of a label."""
    key = key or section_key(memory, name, owner)
    box = parent.expander(md(label), expanded=expanded, icon=icon, key=key, on_change="rerun")
    with box:
        if name in opened_on(memory, owner, {name} if box.open else set()):
            draw()


def section(
    label: str, *, key: str, draw: Callable[[], None], icon: str | None = None, expanded: bool = False, parent=st
) -> None:
    """A lazy expander that is the page's only one of its kind (a creation form, whatever the page shows): `key`
    holds its state and names it (see `owned_section`)."""
    owned_section(
        parent, label, memory=f"{key}__opened", owner=None, name=key, key=key, draw=draw, icon=icon, expanded=expanded
    )
