"""The page buttons of every paged list, and the page number they keep in the session.

The service decides which page is shown (services.platform.paging.window); the UI only remembers the
page asked for, goes back to the first page when the filters change, and draws « previous / next ».
"""

from __future__ import annotations

import streamlit as st

from i18n import _
from ui.platform.text import md


def current(key: str, signature: object = None) -> int:
    """The page asked for in the list `key`; back to 1 when `signature` (the filters) changed."""
    if st.session_state.get(f"{key}__signature") != signature:
        st.session_state[f"{key}__signature"] = signature
        st.session_state[key] = 1
    return int(st.session_state.get(key, 1))


def buttons(
    key: str, page: int, page_count: int, *, previous_label: str | None = None, next_label: str | None = None
) -> None:
    """« Page précédente » / « Page suivante », each only where there is such a page; other labels where a
    page shows two paged lists (a screen reader lists the buttons by their names)."""
    previous, _unused, following = st.columns([1, 4, 1])
    if page > 1 and previous.button(
        md(previous_label) if previous_label else _("Page précédente"),
        icon=":material/chevron_left:",
        key=f"{key}__previous",
    ):
        st.session_state[key] = page - 1
        st.rerun()
    if page < page_count and following.button(
        md(next_label) if next_label else _("Page suivante"), icon=":material/chevron_right:", key=f"{key}__next"
    ):
        st.session_state[key] = page + 1
        st.rerun()
