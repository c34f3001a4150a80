"""Comptes utilisateurs (admin): list, create, deactivate, unlock, reset a password."""

import streamlit as st

from i18n import _, formats
from models.labels import label
from models.organisation import Role
from services.accounts import users
from services.accounts.passwords import MIN_LENGTH
from services.accounts.users import UserRow
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import ALL_SITES_ROLES, Principal
from ui.platform import form_state
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime

principal = require_page(PageKey.USERS)


def _accounts_table(rows: list[UserRow]) -> None:
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


def _account_fields(key: str, errors: dict[str, str], site_codes: list[str], funder_names: list[str]) -> dict:
    """The widgets of a new account (inside its st.form), their values as typed."""
    values = {
        "username": st.text_input(
            _("Identifiant"), help=_("Minuscules, chiffres, point ou tiret, ex. « ts.lyon »."), key=f"{key}_username"
        )
    }
    form_state.field_error(errors, "username")
    values["display_name"] = st.text_input(_("Nom affiché"), key=f"{key}_display_name")
    form_state.field_error(errors, "display_name")
    values["role"] = st.selectbox(_("Rôle"), list(Role), format_func=label, key=f"{key}_role")
    values["site_codes"] = st.multiselect(
        _("Sites"),
        site_codes,
        key=f"{key}_sites",
        help=_("Obligatoire sauf pour l'administration, la direction, la gestion et les financeurs."),
    )
    form_state.field_error(errors, "site_codes")
    values["funder_name"] = (
        st.selectbox(_("Financeur (comptes financeur seulement)"), ["", *funder_names], key=f"{key}_funder") or None
    )
    form_state.field_error(errors, "funder_name")
    values["password"] = st.text_input(
        _("Mot de passe initial ({count} caractères minimum)").format(count=MIN_LENGTH),
        type="password",
        autocomplete="new-password",
        key=f"{key}_password",
    )
    form_state.field_error(errors, "password")
    return values


def _create_form(current: Runtime, principal: Principal, site_codes: list[str], funder_names: list[str]) -> None:
    form = "user_create"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with st.form(key):
        form_state.form_error(form)
        data = _account_fields(key, errors, site_codes, funder_names)
        submitted = st.form_submit_button(_("Créer le compte"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(current.engine) as uow:
                users.create_user(uow, current.settings, principal, data)

        form_state.submit(form, create, _("Compte « {username} » créé.").format(username=data["username"]))


def _state_buttons(current: Runtime, principal: Principal, selected: UserRow, columns) -> None:
    """Deactivate or reactivate, unlock: one click each (no input), through form_state like a form."""
    form = f"user_manage_{selected.username}"
    form_state.form_error(form)
    form_state.field_error(form_state.errors(form), "username")
    left, middle = columns

    def set_active(active: bool) -> None:
        with unit_of_work(current.engine) as uow:
            users.set_active(uow, principal, selected.username, active=active)

    def unlock() -> None:
        with unit_of_work(current.engine) as uow:
            users.unlock(uow, principal, selected.username)

    name = selected.username
    if selected.is_active and left.button(_("Désactiver"), icon=":material/block:"):
        form_state.submit(form, lambda: set_active(False), _("Compte « {username} » désactivé.").format(username=name))
    if not selected.is_active and left.button(_("Réactiver"), icon=":material/check_circle:"):
        form_state.submit(form, lambda: set_active(True), _("Compte « {username} » réactivé.").format(username=name))
    if selected.is_locked and middle.button(_("Déverrouiller"), icon=":material/lock_open:"):
        form_state.submit(form, unlock, _("Compte « {username} » déverrouillé.").format(username=name))


def _reset_form(current: Runtime, principal: Principal, selected: UserRow) -> None:
    form = f"user_reset_{selected.username}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with st.form(key):
        form_state.form_error(form)
        new_password = st.text_input(
            _("Nouveau mot de passe"), type="password", autocomplete="new-password", key=f"{key}_password"
        )
        form_state.field_error(errors, "password")
        submitted = st.form_submit_button(_("Réinitialiser le mot de passe"))
    if submitted:

        def reset() -> None:
            with unit_of_work(current.engine) as uow:
                users.reset_password(uow, current.settings, principal, selected.username, new_password=new_password)

        form_state.submit(form, reset, _("Mot de passe réinitialisé ; les sessions de ce compte sont fermées."))


def _manage(current: Runtime, principal: Principal, rows: list[UserRow]) -> None:
    target = st.selectbox(_("Compte"), [r.username for r in rows], key="manage_target")
    selected = next((r for r in rows if r.username == target), None)
    if selected is None:
        return
    left, middle, right = st.columns(3)
    _state_buttons(current, principal, selected, (left, middle))
    with right:
        _reset_form(current, principal, selected)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Comptes utilisateurs"))
    form_state.show_toast()
    with unit_of_work(current.engine) as uow:
        rows = users.list_users(uow, principal)
        site_codes = users.list_site_codes(uow)
        funder_names = users.list_funder_names(uow)
    _accounts_table(rows)
    create_tab, manage_tab = st.tabs([_("Créer un compte"), _("Gérer un compte")])
    with create_tab:
        _create_form(current, principal, site_codes, funder_names)
    with manage_tab:
        _manage(current, principal, rows)


page(principal)
