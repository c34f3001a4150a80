"""Page furniture: demo banner, demo accounts, identity and logout in the sidebar."""

from __future__ import annotations

import streamlit as st

from models.labels import label
from services.principal import Principal
from ui import session
from ui.runtime import Runtime

DEMO_BANNER = "Données fictives — démonstration"

# Shown on the login page in demo mode only (the accounts exist only in demo databases).
DEMO_ACCOUNTS = [
    ("admin", "Administration : comptes, journal d'audit"),
    ("direction", "Direction : tous les sites, tableaux de bord, budget"),
    ("chef.lyon", "Chef·fe de service, Lyon"),
    ("ts.lyon", "Intervenant·e (travailleur·se social·e), Lyon"),
    ("cip.grenoble", "Intervenant·e (CIP), Grenoble"),
    ("fle.lyon", "Formateur·rice de français, Lyon"),
    ("gestion", "Gestion financière"),
    ("financeur.agrasc", "Financeur (AGRASC), lecture seule"),
]


def demo_banner(runtime: Runtime) -> None:
    if runtime.settings.is_demo:
        st.warning(f"**{DEMO_BANNER}** : aucune personne réelle ne figure dans cette base.", icon=":material/science:")


def demo_accounts(runtime: Runtime) -> None:
    if not runtime.settings.is_demo:
        return
    with st.expander("Comptes de démonstration", expanded=True):
        st.caption(f"Mot de passe commun : `{runtime.settings.demo_password}`")
        st.table({"Identifiant": [name for name, _ in DEMO_ACCOUNTS], "Profil": [role for _, role in DEMO_ACCOUNTS]})


def sidebar_identity(runtime: Runtime, principal: Principal) -> None:
    with st.sidebar:
        st.markdown(f"**{principal.display_name}**")
        st.caption(label(principal.role))
        st.button(
            "Se déconnecter",
            icon=":material/logout:",
            key="parcours_logout",
            on_click=session.request_logout,
            args=(runtime, principal.username),
            use_container_width=True,
        )
