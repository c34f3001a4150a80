"""Comptes utilisateurs (admin): list, create, deactivate, unlock, reset a password, enrolment codes.

In production an account that sees identities gets no password from here: its holder sets it with the
single-use code shown once on this page (services.accounts.enrolment)."""

import streamlit as st

from i18n import _, formats
from models.labels import label
from models.organisation import Role
from services.accounts import enrolment, users
from services.accounts.passwords import MIN_LENGTH
from services.accounts.users import UserRow
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import ALL_SITES_ROLES, Principal
from ui.platform import form_state, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime
from ui.platform.text import md

principal = require_page(PageKey.USERS)

ISSUED_CODE = "user_admin_issued_code"  # the code just issued: shown on the next run only


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
            _("Code en attente jusqu'au"): [formats.timestamp(r.code_expires_at) for r in rows],
            _("Authentification unique"): [r.sso_linked for r in rows],
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
    values["role"] = widgets.selectbox(_("Rôle"), list(Role), format_func=label, key=f"{key}_role")
    values["site_codes"] = widgets.multiselect(
        _("Sites"),
        site_codes,
        key=f"{key}_sites",
        help=_("Obligatoire sauf pour l'administration, la direction, la gestion et les financeurs."),
    )
    form_state.field_error(errors, "site_codes")
    values["funder_name"] = (
        widgets.selectbox(_("Financeur (comptes financeur seulement)"), ["", *funder_names], key=f"{key}_funder")
        or None
    )
    form_state.field_error(errors, "funder_name")
    values["password"] = st.text_input(
        _("Mot de passe initial (facultatif, {count} caractères minimum)").format(count=MIN_LENGTH),
        type="password",
        autocomplete="new-password",
        key=f"{key}_password",
        help=_(
            "Laissez vide pour remettre au ou à la titulaire un code à usage unique : il ou elle choisit alors "
            "son mot de passe. En production, c'est la seule possibilité pour un compte qui voit l'identité "
            "des personnes (chef·fe de service, intervenant·e, formateur·rice)."
        ),
    )
    form_state.field_error(errors, "password")
    return values


def _create_form(current: Runtime, principal: Principal, site_codes: list[str], funder_names: list[str]) -> None:
    form = "user_create"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _account_fields(key, errors, site_codes, funder_names)
        submitted = st.form_submit_button(_("Créer le compte"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(current.engine) as uow:
                if data["password"]:
                    users.create_user(uow, current.settings, principal, data)
                else:
                    st.session_state[ISSUED_CODE] = users.enrol_user(uow, current.settings, principal, data)

        form_state.submit(form, create, _("Compte « {username} » créé.").format(username=data["username"]))


def _issued_code() -> None:
    """The code just issued, shown once: the next run no longer has it."""
    issued: enrolment.IssuedCode | None = st.session_state.pop(ISSUED_CODE, None)
    if issued is None:
        return
    with st.container(border=True):
        st.warning(
            _(
                "Code d'activation du compte « {username} », valable jusqu'au {until} : remettez-le à son ou sa "
                "titulaire seulement. Sur la page de connexion (« Première connexion ou code reçu »), il ou elle "
                "choisit son mot de passe. Ce code ne sera plus affiché."
            ).format(username=md(issued.username), until=formats.timestamp(issued.expires_at)),
            icon=":material/key:",
        )
        st.code(issued.code, language=None)


def _state_buttons(current: Runtime, principal: Principal, selected: UserRow, columns) -> None:
    """Deactivate or reactivate, unlock: one click each (no input), through form_state like a form."""
    form = f"user_manage_{selected.username}"
    form_state.form_error(form)
    form_state.field_error(form_state.errors(form), "username")
    left, middle = columns

    def set_active(active: bool) -> None:
        with unit_of_work(current.engine) as uow:
            issued = users.set_active(uow, current.settings, principal, selected.username, active=active)
        if issued is not None:
            st.session_state[ISSUED_CODE] = issued

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


def _code_button(current: Runtime, principal: Principal, selected: UserRow) -> None:
    """Give the holder a new single-use code: the password stops working, the holder chooses a new one."""
    form = f"user_code_{selected.username}"
    form_state.form_error(form)
    form_state.field_error(form_state.errors(form), "username")
    if not selected.is_active:
        return
    if st.button(_("Remettre un code d'activation"), icon=":material/key:", key=f"{form}_issue"):

        def issue() -> None:
            with unit_of_work(current.engine) as uow:
                st.session_state[ISSUED_CODE] = users.issue_enrolment_code(uow, principal, selected.username)

        form_state.submit(form, issue, _("Code d'activation remis ; les sessions de ce compte sont fermées."))


def _reset_form(current: Runtime, principal: Principal, selected: UserRow) -> None:
    if enrolment.holder_sets_password(current.settings, selected.role):
        st.caption(
            _(
                "Ce compte voit l'identité des personnes : seul·e son ou sa titulaire choisit son mot de passe, "
                "avec un code d'activation."
            )
        )
        return
    form = f"user_reset_{selected.username}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
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
    target = widgets.selectbox(_("Compte"), [r.username for r in rows], key="manage_target")
    selected = next((r for r in rows if r.username == target), None)
    if selected is None:
        return
    left, middle, right = st.columns(3)
    _state_buttons(current, principal, selected, (left, middle))
    with right:
        _reset_form(current, principal, selected)
        _code_button(current, principal, selected)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Comptes utilisateurs"))
    form_state.show_toast()
    _issued_code()
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
