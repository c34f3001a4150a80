"""Page furniture: demo banner, demo accounts, identity and logout in the sidebar."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import N_, _
from models.labels import label
from services.accounts import users
from services.platform import organisation
from services.platform.db import read
from services.platform.principal import ALL_SITES_ROLES, Principal
from ui.platform import session
from ui.platform.runtime import Runtime
from ui.platform.text import md

DEMO_BANNER = N_("Données fictives — démonstration")


def _is_demo(runtime: Runtime) -> bool:
    """Demo is a property of the data: the mode alone never says a database holds no real person."""
    if not runtime.settings.is_demo:
        return False
    return read(runtime.engine, organisation.holds_demo_data)


def demo_banner(runtime: Runtime) -> None:
    if _is_demo(runtime):
        st.warning(
            _("**{banner}** : aucune personne réelle ne figure dans cette base.").format(banner=_(DEMO_BANNER)),
            icon=":material/science:",
        )


def _demo_scope(account) -> str:
    if account.funder_name:
        return _("Subventions {funder}").format(funder=account.funder_name)
    if account.all_sites or account.role in ALL_SITES_ROLES:
        return _("Tous les sites")
    return ", ".join(account.site_codes)


def demo_accounts(runtime: Runtime) -> None:
    """The demo accounts under the login form, on a demo database only (with the published password)."""
    if not _is_demo(runtime):
        return
    accounts = read(runtime.engine, users.demo_accounts)
    if not accounts:
        return
    with st.expander(_("Comptes de démonstration"), expanded=True):
        st.caption(_("Mot de passe commun : `{password}`").format(password=md(runtime.settings.demo_password)))
        st.dataframe(
            pd.DataFrame(
                {
                    _("Identifiant"): [account.username for account in accounts],
                    _("Profil"): [label(account.role) for account in accounts],
                    _("Périmètre"): [_demo_scope(account) for account in accounts],
                }
            ),
            hide_index=True,
        )


def sidebar_identity(runtime: Runtime, principal: Principal) -> None:
    with st.sidebar:
        st.markdown(f"**{md(principal.display_name)}**")
        st.caption(label(principal.role))
        st.button(
            _("Se déconnecter"),
            icon=":material/logout:",
            key="parcours_logout",
            on_click=session.request_logout,
            args=(runtime, principal.username),
            use_container_width=True,
        )
