"""`<html lang="…">` follows the interface's language (issue 19).

Streamlit serves its page as `lang="en"` whatever the app says, and a screen reader reads a French
interface with English rules. No option sets it; a tiny `st.components.v2` component (no iframe: its
script runs in the app's document) sets `document.documentElement.lang` to the session's language in
every run, login page included. The script is a constant: only the language code, one of i18n.LANGUAGES,
is passed to it, as data.
"""

from __future__ import annotations

import streamlit as st

import i18n

_SET_LANGUAGE = """
export default function (component) {
  const code = component.data && component.data.lang;
  if (code && document.documentElement.lang !== code) {
    document.documentElement.lang = code;
  }
}
"""

_component = st.components.v2.component("parcours_document_language", js=_SET_LANGUAGE)


def declare_document_language() -> None:
    """Mount the component with the session's language (in the sidebar, where it takes no room)."""
    code = i18n.language()
    assert code in i18n.LANGUAGES  # never anything but a known code reaches the page's script
    with st.sidebar:
        _component(data={"lang": code}, key="parcours_document_language")
