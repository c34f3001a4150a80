"""The language switch and the session's language (French by default, English on request).

The language follows its user: a switch made while signed in is saved on the account
(services.accounts.preferences) and applied at the next sign-in, from the login form or the cookie, in
any browser. A choice made on the login page stays for the session, through the sign-in that follows.

Installs, on import, the session as i18n's source of the active language: every `_()` of
the run (services included) then speaks the language this browser session chose.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import i18n
from i18n import _
from services.accounts import preferences
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.platform.document_language import declare_document_language
from ui.platform.runtime import Runtime
from ui.platform.session import STARTED_AT
from ui.platform.text import md

LANGUAGE_KEY = "parcours_language"
SWITCHED = "parcours_language_switched"  # the switch was used and the choice is not yet on an account
PENDING = "parcours_language_pending"  # the account's language, set before the switch is drawn
APPLIED_FOR = "parcours_language_applied_for"  # (username, session start) whose language was applied


def session_language() -> str:
    """The language chosen in this browser session; French outside a script run."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return i18n.FRENCH
    return st.session_state.get(LANGUAGE_KEY, i18n.FRENCH)


i18n.set_language_source(session_language)


@contextmanager
def in_the_sessions_language() -> Iterator[None]:
    """The rest of the run (the page) in the session's language, read once.

    Why: every `_()` and number or date format asks for the active language, and reading Streamlit's
    session state costs tens of microseconds; a dashboard made thousands of these reads, a tenth of its
    run. Once `keep_users_language` has run, nothing changes the language before the next run: only the
    switch does, and its choice reaches the session state before a run starts."""
    with i18n.use_language(session_language()):
        yield


def language_switch() -> None:
    """Français / English in the sidebar, on every page including the login page."""
    state = st.session_state
    if PENDING in state:  # a widget's value can be set only before it is drawn in the run
        state[LANGUAGE_KEY] = state.pop(PENDING)
    state.setdefault(LANGUAGE_KEY, i18n.FRENCH)
    with st.sidebar:
        # The widget's identity is its key, not its label: switching keeps the choice.
        st.segmented_control(
            _("Langue"),
            options=list(i18n.LANGUAGES),
            format_func=i18n.LANGUAGES.get,
            key=LANGUAGE_KEY,
            required=True,
            on_change=_switched,
        )
    declare_document_language()  # <html lang> follows the switch


def _switched() -> None:
    st.session_state[SWITCHED] = True


def keep_users_language(runtime: Runtime, principal: Principal) -> None:
    """In every signed-in run. At the first run of a sign-in (told by the user and the session's start),
    apply the account's language, unless the switch was used on the login page just before (that choice
    stays for the session); may rerun to redraw in it. Afterwards, save each switch on the account.

    A rerun right after a login drops the library's cookie write: session._confirm_cookie writes it again
    in the next runs (the browser journey tests/browser/test_links_journey.py signs in this way)."""
    state = st.session_state
    switched = state.pop(SWITCHED, False)
    sign_in = (principal.username, state.get(STARTED_AT))
    if state.get(APPLIED_FOR) != sign_in:
        state[APPLIED_FOR] = sign_in
        if switched:
            return
        with unit_of_work(runtime.engine) as session:
            saved = preferences.saved_language(session, principal)
        if saved is not None and saved != session_language():
            state[PENDING] = saved
            st.rerun()
        return
    if switched:
        with unit_of_work(runtime.engine) as session:
            preferences.save_language(session, principal, username=principal.username, language=session_language())


def tabs_keeping_the_open_one(labels: list[str], *, key: str, **options):
    """st.tabs with a key, whose state is the open tab's LABEL (st.tabs has no format_func): after a
    language switch the same tab stays open instead of falling back to the first one."""
    shown_before = st.session_state.get(f"{key}__labels")
    opened = st.session_state.get(key)
    if shown_before and shown_before != labels and opened in shown_before and len(shown_before) == len(labels):
        st.session_state[key] = labels[shown_before.index(opened)]
    st.session_state[f"{key}__labels"] = labels
    return st.tabs([md(text) for text in labels], key=key, **options)
