"""No traceback ever reaches a user: an error that ends a page run is logged with a reference and shown
as a French message carrying the same reference (`client.showErrorDetails = "none"` in
.streamlit/config.toml is the second line of defence, for what happens outside this boundary).

app.py runs the whole script inside `guarded`: the start (configuration, sign-in) and the page the
navigation chose. A form's save that the database refuses never gets here: ui.platform.form_state.submit
shows it beside the form, with the input kept.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from i18n import _
from services.platform import oplog
from services.platform.errors import DatabaseUnavailable
from ui.platform.guards import current_principal
from ui.platform.text import md


def guarded(body: Callable[[], None], *, page: Callable[[], str]) -> None:
    """Run `body`; an unexpected error is logged (reference, `page()`, role, traceback) and replaced by a
    French message. Streamlit's own control flow (st.stop, st.rerun, st.switch_page) raises
    BaseExceptions that are not errors and pass through.

    The run then stops (st.stop) rather than ending in error: Streamlit keeps the state of the widgets
    this run did not reach, so a form submitted while the database was away still holds what was typed
    once it is back."""
    try:
        body()
    except DatabaseUnavailable as error:
        reference = _log(error, page)
        st.error(md(unavailable_message(error, reference)), icon=":material/cloud_off:")
        st.stop()
    except Exception as error:
        reference = _log(error, page)
        st.error(md(unexpected_message(reference)), icon=":material/error:")
        st.stop()


def unavailable_message(error: DatabaseUnavailable, reference: str) -> str:
    if error.retry:
        return _(
            "La base de données ne répond pas pour le moment (référence {reference}) : rechargez la page dans "
            "un instant. Ce qui était déjà enregistré n'est pas perdu."
        ).format(reference=reference)
    return _(
        "La base de données est inaccessible (référence {reference}) : rien ne peut être lu ni enregistré. "
        "Ce que vous venez de saisir reste dans le formulaire. Prévenez l'administrateur ou l'administratrice "
        "de Parcours en donnant cette référence."
    ).format(reference=reference)


def unexpected_message(reference: str) -> str:
    return _(
        "Une erreur inattendue est survenue (référence {reference}). Vos données enregistrées ne sont pas "
        "touchées. Rechargez la page ; si l'erreur revient, donnez cette référence à l'administrateur ou à "
        "l'administratrice de Parcours."
    ).format(reference=reference)


def _log(error: Exception, page: Callable[[], str]) -> str:
    principal = current_principal()
    try:
        where = page()
    except Exception:  # the page is not known yet (the error came before the navigation)
        where = "-"
    return oplog.request_error(error, page=where, role=principal.role.value if principal else None)
