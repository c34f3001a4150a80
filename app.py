"""Parcours entry point: configuration, login, then only the pages the role may open.

Everything after the page configuration runs inside the error boundary (ui.platform.error_boundary):
an unexpected error shows a French message with a reference, logged for the operators."""

import streamlit as st

from services.platform import oplog
from services.platform.config import ConfigurationError
from ui.platform import layout, links, session
from ui.platform.error_boundary import guarded
from ui.platform.guards import remember_principal
from ui.platform.language_switch import in_the_sessions_language, keep_users_language, language_switch
from ui.platform.navigation import navigation_for
from ui.platform.runtime import runtime
from ui.platform.text import md

oplog.configure()
st.set_page_config(page_title="Parcours", page_icon=":material/diversity_3:", layout="wide")
chosen: list = []  # the page the navigation picked, for the log of an error


def main() -> None:
    try:
        current = runtime()
    except ConfigurationError as refused:  # the mode does not fit the database, or a secret is unsafe
        st.error(md(str(refused)), icon=":material/block:")
        st.stop()
    language_switch()
    layout.demo_banner(current)
    links.remember_requested_link()  # a reload, bookmark or shared link: opened once signed in
    principal = session.signed_in_principal(current)
    if principal is None:
        with session.login_column():
            session.first_sign_in(current)
            layout.demo_accounts(current)
        st.stop()

    remember_principal(principal)
    keep_users_language(current, principal)
    layout.sidebar_identity(current, principal)
    sections = links.with_requested_page(navigation_for(principal), principal)
    # expanded: direction has more than twelve pages; a folded menu hid its dashboard.
    page = st.navigation(sections, expanded=True)
    chosen.append(page.url_path or "home")
    links.open_requested_link(page, sections, principal)  # st.switch_page: Streamlit's control flow
    with in_the_sessions_language():
        page.run()


guarded(main, page=lambda: chosen[-1] if chosen else "start")
