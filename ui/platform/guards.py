"""Defence in depth: every page script starts with `principal = require_page(PageKey.X)`."""

from __future__ import annotations

import streamlit as st

from i18n import _
from services.platform.pages import PageKey, may_open
from services.platform.principal import Principal

PRINCIPAL_KEY = "parcours_principal"
PERSON_FILE_LAST_OPENED = "person_file_last_opened"


def remember_principal(principal: Principal) -> None:
    st.session_state[PRINCIPAL_KEY] = principal


def current_principal() -> Principal | None:
    return st.session_state.get(PRINCIPAL_KEY)


def require_page(page: PageKey) -> Principal:
    """Stop the script unless the signed-in principal's role may open this page."""
    principal = current_principal()
    if page != PageKey.PERSON_FILE:
        # Leaving the person file: coming back to it is a new opening, audited again.
        st.session_state.pop(PERSON_FILE_LAST_OPENED, None)
    if not may_open(principal, page):
        st.error(_("Vous n'avez pas accès à cette page."))
        st.stop()
    return principal
