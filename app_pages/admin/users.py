"""Comptes utilisateurs (admin): list, create, deactivate, unlock, reset a password."""

import streamlit as st

from i18n import _, formats
from models.labels import label
from models.organisation import Role
from services.accounts import users
from services.accounts.passwords import MIN_LENGTH
from services.platform.db import unit_of_work
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.pages import PageKey
from services.platform.principal import ALL_SITES_ROLES, Principal
from ui.platform import form_state
from ui.platform.guards import require_page
from ui.platform.runtime import runtime

principal = require_page(PageKey.USERS)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Comptes utilisateurs"))

    with unit_of_work(current.engine) as uow:
        rows = users.list_users(uow, principal)
        site_codes = users.list_site_codes(uow)
        funder_names = users.list_funder_names(uow)

    st.dataframe(
        {
            _("Identifiant"): [r.username for r in rows],
            _("Nom"): [r.display_name for r in rows],
            _("Rôle"): [label(r.role) for r in rows],
            _("Sites"): [", ".join(r.site_codes) or (_("Tous") if r.role in ALL_SITES_ROLES else "—") for r in rows],
            _("Actif"): [r.is_active for r in rows],
            _("Verrouillé"): [r.is_locked for r in rows],
            _("Dernière connexion"): [formats.timestamp(r.last_login_at) for r in rows],
        },
        hide_index=True,
    )

    create_tab, manage_tab = st.tabs([_("Créer un compte"), _("Gérer un compte")])

    with create_tab:
        errors: dict[str, str] = st.session_state.get("user_create_errors", {})
        with st.form("create_user"):
            username = st.text_input(
                _("Identifiant"),
                help=_("Minuscules, chiffres, point ou tiret, ex. « ts.lyon »."),
                key="user_create_username",
            )
            form_state.field_error(errors, "username")
            display_name = st.text_input(_("Nom affiché"), key="user_create_display_name")
            form_state.field_error(errors, "display_name")
            role = st.selectbox(_("Rôle"), list(Role), format_func=label, key="user_create_role")
            chosen_sites = st.multiselect(
                _("Sites"),
                site_codes,
                key="user_create_sites",
                help=_("Obligatoire sauf pour l'administration, la direction, la gestion et les financeurs."),
            )
            form_state.field_error(errors, "sites")
            funder = st.selectbox(
                _("Financeur (comptes financeur seulement)"), ["", *funder_names], key="user_create_funder"
            )
            form_state.field_error(errors, "funder")
            password = st.text_input(
                _("Mot de passe initial ({count} caractères minimum)").format(count=MIN_LENGTH),
                type="password",
                autocomplete="new-password",
                key="user_create_password",
            )
            form_state.field_error(errors, "password")
            submitted = st.form_submit_button(_("Créer le compte"), type="primary")
        if submitted:
            try:
                with unit_of_work(current.engine) as uow:
                    users.create_user(
                        uow,
                        current.settings,
                        principal,
                        username=username,
                        display_name=display_name,
                        role=role,
                        password=password,
                        site_codes=chosen_sites,
                        funder_name=funder or None,
                    )
            except ValidationFailed as exc:
                st.session_state["user_create_errors"] = exc.errors
                st.rerun()
            else:
                st.session_state["user_create_errors"] = {}
                st.toast(_("Compte « {username} » créé.").format(username=username), icon=":material/check:")
                st.rerun()

    with manage_tab:
        target = st.selectbox(_("Compte"), [r.username for r in rows], key="manage_target")
        selected = next((r for r in rows if r.username == target), None)
        if selected is not None:
            left, middle, right = st.columns(3)
            try:
                if selected.is_active and left.button(_("Désactiver"), icon=":material/block:"):
                    with unit_of_work(current.engine) as uow:
                        users.set_active(uow, principal, selected.username, active=False)
                    st.rerun()
                if not selected.is_active and left.button(_("Réactiver"), icon=":material/check_circle:"):
                    with unit_of_work(current.engine) as uow:
                        users.set_active(uow, principal, selected.username, active=True)
                    st.rerun()
                if selected.is_locked and middle.button(_("Déverrouiller"), icon=":material/lock_open:"):
                    with unit_of_work(current.engine) as uow:
                        users.unlock(uow, principal, selected.username)
                    st.rerun()
            except ServiceError as exc:
                st.error(str(exc))
            with right.form("reset_password"):
                new_password = st.text_input(
                    _("Nouveau mot de passe"), type="password", autocomplete="new-password", key="user_reset_password"
                )
                if st.form_submit_button(_("Réinitialiser le mot de passe")):
                    try:
                        with unit_of_work(current.engine) as uow:
                            users.reset_password(
                                uow, current.settings, principal, selected.username, new_password=new_password
                            )
                        st.success(_("Mot de passe réinitialisé ; les sessions de ce compte sont fermées."))
                    except ServiceError as exc:
                        st.error(str(exc))


page(principal)
