"""The language switch and the session's language (French by default, English on request).

Installs, on import, the session as i18n's source of the active language: every `_()` of
the run (services included) then speaks the language this browser session chose.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import i18n
from i18n import _
from ui.platform.text import md

LANGUAGE_KEY = "parcours_language"


def session_language() -> str:
    """The language chosen in this browser session; French outside a script run."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return i18n.FRENCH
    return st.session_state.get(LANGUAGE_KEY, i18n.FRENCH)


i18n.set_language_source(session_language)


def language_switch() -> None:
    """Français / English in the sidebar, on every page including the login page."""
    st.session_state.setdefault(LANGUAGE_KEY, i18n.FRENCH)
    with st.sidebar:
        # The widget's identity is its key, not its label: switching keeps the choice.
        st.segmented_control(
            _("Langue"),
            options=list(i18n.LANGUAGES),
            format_func=i18n.LANGUAGES.get,
            key=LANGUAGE_KEY,
            required=True,
        )


def tabs_keeping_the_open_one(labels: list[str], *, key: str, **options):
    """st.tabs with a key, whose state is the open tab's LABEL (st.tabs has no format_func): after a
    language switch the same tab stays open instead of falling back to the first one."""
    shown_before = st.session_state.get(f"{key}__labels")
    opened = st.session_state.get(key)
    if shown_before and shown_before != labels and opened in shown_before and len(shown_before) == len(labels):
        st.session_state[key] = labels[shown_before.index(opened)]
    st.session_state[f"{key}__labels"] = labels
    return st.tabs([md(text) for text in labels], key=key, **options)
