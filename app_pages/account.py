"""Mon compte: identity of the session and password change."""

import streamlit as st

from models.labels import label
from services import auth, passwords
from services.db import unit_of_work
from services.errors import ValidationFailed
from services.pages import PageKey
from ui import session
from ui.forms import field_error
from ui.guards import require_page
from ui.runtime import runtime

principal = require_page(PageKey.ACCOUNT)
current = runtime()
st.title("Mon compte")
st.write(f"**{principal.display_name}** — identifiant `{principal.username}` — {label(principal.role)}")

st.subheader("Changer mon mot de passe")
st.caption(
    f"Au moins {passwords.MIN_LENGTH} caractères ; une phrase de passe est idéale. "
    "Après le changement, toutes vos sessions sont fermées et vous vous reconnectez."
)
errors: dict[str, str] = st.session_state.get("account_password_errors", {})
with st.form("change_password"):
    current_password = st.text_input("Mot de passe actuel", type="password", autocomplete="current-password")
    field_error(errors, "current")
    new_password = st.text_input("Nouveau mot de passe", type="password", autocomplete="new-password")
    field_error(errors, "new")
    confirmation = st.text_input("Confirmer le nouveau mot de passe", type="password", autocomplete="new-password")
    field_error(errors, "confirmation")
    submitted = st.form_submit_button("Changer le mot de passe", type="primary")

if submitted:
    try:
        if new_password != confirmation:
            raise ValidationFailed({"confirmation": "Les deux saisies du nouveau mot de passe diffèrent."})
        with unit_of_work(current.engine) as uow:
            auth.change_password(uow, current.settings, principal, current=current_password, new=new_password)
    except ValidationFailed as exc:
        st.session_state["account_password_errors"] = exc.errors
        st.rerun()
    else:
        st.session_state["account_password_errors"] = {}
        session.end_session("Mot de passe modifié : reconnectez-vous avec le nouveau mot de passe.")
        st.rerun()
