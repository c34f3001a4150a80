"""Comptes utilisateurs (admin): list, create, deactivate, unlock, reset a password."""

import streamlit as st

from models.labels import label
from models.organisation import Role
from services import users
from services.db import unit_of_work
from services.errors import ServiceError, ValidationFailed
from services.pages import PageKey
from services.principal import ALL_SITES_ROLES
from services.passwords import MIN_LENGTH
from ui import format
from ui.forms import field_error
from ui.guards import require_page
from ui.runtime import runtime

principal = require_page(PageKey.USERS)
current = runtime()
st.title("Comptes utilisateurs")

with unit_of_work(current.engine) as uow:
    rows = users.list_users(uow, principal)
    site_codes = users.list_site_codes(uow)
    funder_names = users.list_funder_names(uow)

st.dataframe(
    {
        "Identifiant": [r.username for r in rows],
        "Nom": [r.display_name for r in rows],
        "Rôle": [label(r.role) for r in rows],
        "Sites": [", ".join(r.site_codes) or ("Tous" if r.role in ALL_SITES_ROLES else "—") for r in rows],
        "Actif": [r.is_active for r in rows],
        "Verrouillé": [r.is_locked for r in rows],
        "Dernière connexion": [format.timestamp(r.last_login_at) for r in rows],
    },
    hide_index=True,
)

create_tab, manage_tab = st.tabs(["Créer un compte", "Gérer un compte"])

with create_tab:
    errors: dict[str, str] = st.session_state.get("user_create_errors", {})
    with st.form("create_user"):
        username = st.text_input("Identifiant", help="Minuscules, chiffres, point ou tiret, ex. « ts.lyon ».")
        field_error(errors, "username")
        display_name = st.text_input("Nom affiché")
        field_error(errors, "display_name")
        role = st.selectbox("Rôle", list(Role), format_func=label)
        chosen_sites = st.multiselect("Sites", site_codes, help="Obligatoire sauf pour l'administration, la direction, la gestion et les financeurs.")
        field_error(errors, "sites")
        funder = st.selectbox("Financeur (comptes financeur seulement)", [""] + funder_names)
        field_error(errors, "funder")
        password = st.text_input(f"Mot de passe initial ({MIN_LENGTH} caractères minimum)", type="password", autocomplete="new-password")
        field_error(errors, "password")
        submitted = st.form_submit_button("Créer le compte", type="primary")
    if submitted:
        try:
            with unit_of_work(current.engine) as uow:
                users.create_user(uow, current.settings, principal, username=username, display_name=display_name,
                                  role=role, password=password, site_codes=chosen_sites, funder_name=funder or None)
        except ValidationFailed as exc:
            st.session_state["user_create_errors"] = exc.errors
            st.rerun()
        else:
            st.session_state["user_create_errors"] = {}
            st.toast(f"Compte « {username} » créé.", icon=":material/check:")
            st.rerun()

with manage_tab:
    target = st.selectbox("Compte", [r.username for r in rows], key="manage_target")
    selected = next((r for r in rows if r.username == target), None)
    if selected is not None:
        left, middle, right = st.columns(3)
        try:
            if selected.is_active and left.button("Désactiver", icon=":material/block:"):
                with unit_of_work(current.engine) as uow:
                    users.set_active(uow, principal, selected.username, active=False)
                st.rerun()
            if not selected.is_active and left.button("Réactiver", icon=":material/check_circle:"):
                with unit_of_work(current.engine) as uow:
                    users.set_active(uow, principal, selected.username, active=True)
                st.rerun()
            if selected.is_locked and middle.button("Déverrouiller", icon=":material/lock_open:"):
                with unit_of_work(current.engine) as uow:
                    users.unlock(uow, principal, selected.username)
                st.rerun()
        except ServiceError as exc:
            st.error(str(exc))
        with right.form("reset_password"):
            new_password = st.text_input("Nouveau mot de passe", type="password", autocomplete="new-password")
            if st.form_submit_button("Réinitialiser le mot de passe"):
                try:
                    with unit_of_work(current.engine) as uow:
                        users.reset_password(uow, current.settings, principal, selected.username, new_password=new_password)
                    st.success("Mot de passe réinitialisé ; les sessions de ce compte sont fermées.")
                except ServiceError as exc:
                    st.error(str(exc))
