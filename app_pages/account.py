"""Mon compte: identity of the session and password change."""

import streamlit as st

from i18n import N_, _
from models.labels import label
from services.accounts import auth, passwords
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.platform import form_state, session, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import runtime
from ui.platform.text import md

principal = require_page(PageKey.ACCOUNT)

PASSWORD_CHANGED = N_("Mot de passe modifié : reconnectez-vous avec le nouveau mot de passe.")


def _password_fields(key: str, errors: dict[str, str]) -> dict:
    """The three passwords typed (inside the form), as typed."""
    values = {
        "current": st.text_input(
            _("Mot de passe actuel"), type="password", autocomplete="current-password", key=f"{key}_current"
        )
    }
    form_state.field_error(errors, "current")
    values["new"] = st.text_input(
        _("Nouveau mot de passe"), type="password", autocomplete="new-password", key=f"{key}_new"
    )
    form_state.field_error(errors, "new")
    values["confirmation"] = st.text_input(
        _("Confirmer le nouveau mot de passe"), type="password", autocomplete="new-password", key=f"{key}_confirmation"
    )
    form_state.field_error(errors, "confirmation")
    return values


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Mon compte"))
    st.write(
        _("**{name}** — identifiant `{username}` — {role}").format(
            name=md(principal.display_name), username=md(principal.username), role=label(principal.role)
        )
    )

    st.header(_("Changer mon mot de passe"))
    st.caption(
        _(
            "Au moins {count} caractères ; une phrase de passe est idéale. "
            "Après le changement, toutes vos sessions sont fermées et vous vous reconnectez."
        ).format(count=md(passwords.MIN_LENGTH))
    )
    form = "account_password"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _password_fields(key, errors)
        submitted = st.form_submit_button(_("Changer le mot de passe"), type="primary")
    if submitted:

        def change() -> None:
            with unit_of_work(current.engine) as uow:
                auth.change_password(uow, current.settings, principal, data=data)
            session.end_session(PASSWORD_CHANGED)  # the login page says it: no toast

        form_state.submit(form, change, "")


page(principal)
