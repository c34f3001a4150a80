"""Mon compte: identity of the session and password change."""

import streamlit as st

from i18n import N_, _
from models.labels import label
from services.accounts import auth, passwords
from services.platform.db import unit_of_work
from services.platform.errors import ValidationFailed
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.platform import form_state, session
from ui.platform.guards import require_page
from ui.platform.runtime import runtime

principal = require_page(PageKey.ACCOUNT)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Mon compte"))
    st.write(
        _("**{name}** — identifiant `{username}` — {role}").format(
            name=principal.display_name, username=principal.username, role=label(principal.role)
        )
    )

    st.subheader(_("Changer mon mot de passe"))
    st.caption(
        _(
            "Au moins {count} caractères ; une phrase de passe est idéale. "
            "Après le changement, toutes vos sessions sont fermées et vous vous reconnectez."
        ).format(count=passwords.MIN_LENGTH)
    )
    errors: dict[str, str] = st.session_state.get("account_password_errors", {})
    with st.form("change_password"):
        current_password = st.text_input(
            _("Mot de passe actuel"), type="password", autocomplete="current-password", key="account_current_password"
        )
        form_state.field_error(errors, "current")
        new_password = st.text_input(
            _("Nouveau mot de passe"), type="password", autocomplete="new-password", key="account_new_password"
        )
        form_state.field_error(errors, "new")
        confirmation = st.text_input(
            _("Confirmer le nouveau mot de passe"),
            type="password",
            autocomplete="new-password",
            key="account_password_confirmation",
        )
        form_state.field_error(errors, "confirmation")
        submitted = st.form_submit_button(_("Changer le mot de passe"), type="primary")

    if submitted:
        try:
            if new_password != confirmation:
                raise ValidationFailed({"confirmation": _("Les deux saisies du nouveau mot de passe diffèrent.")})
            with unit_of_work(current.engine) as uow:
                auth.change_password(uow, current.settings, principal, current=current_password, new=new_password)
        except ValidationFailed as exc:
            st.session_state["account_password_errors"] = exc.errors
            st.rerun()
        else:
            st.session_state["account_password_errors"] = {}
            session.end_session(N_("Mot de passe modifié : reconnectez-vous avec le nouveau mot de passe."))
            st.rerun()


page(principal)
