"""The « Consentements » section of a person file, for the roles that edit it: the current state of each
consent that may change, its history, and the form that records a withdrawal or a new consent from an
effective day (services.persons.consent). Other roles see the current state in the file's header only."""

from __future__ import annotations

import streamlit as st

import clock
from i18n import _, formats
from models.labels import label
from models.persons import ConsentScope
from services.persons import consent
from services.persons.files import PersonFileHeader
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

CONSENT_FORM = "person_consent"
DATE_FORMAT = "DD/MM/YYYY"


def _state(given: bool) -> str:
    return _("donné") if given else _("retiré")


def _change(row: consent.ConsentChangeRow) -> str:
    if row.at_intake:
        return _("Refus à l'accueil")
    return _("Nouveau consentement") if row.given else _("Retrait")


def _current_state(header: PersonFileHeader) -> None:
    left, right = st.columns(2)
    left.caption(md(label(ConsentScope.STATISTICS)))
    left.text(_state(header.consent_statistics))
    right.caption(md(label(ConsentScope.PARTNER_SHARING)))
    right.text(_state(header.consent_partner_sharing))


def _history(rows: list[consent.ConsentChangeRow]) -> None:
    if not rows:
        st.caption(_("Aucun changement : les consentements sont ceux recueillis à l'accueil."))
        return
    st.dataframe(
        {
            _("Date d'effet"): [_("à l'accueil") if r.at_intake else formats.day(r.effective_on) for r in rows],
            _("Consentement"): [label(r.scope) for r in rows],
            _("Changement"): [_change(r) for r in rows],
            _("Enregistré par"): [r.recorded_by or "—" for r in rows],
            _("Enregistré le"): [formats.timestamp(r.recorded_at) for r in rows],
        },
        hide_index=True,
        width="stretch",
    )


def _change_form(runtime: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    k = form_state.key(CONSENT_FORM) + f"_{header.person_id}"
    errors = form_state.errors(CONSENT_FORM)
    with widgets.form(k):
        st.markdown(md(_("Enregistrer un retrait ou un nouveau consentement")))
        form_state.form_error(CONSENT_FORM)
        scope = widgets.selectbox(
            _("Consentement *"),
            list(ConsentScope),
            index=None,
            format_func=label,
            placeholder=_("Choisir…"),
            key=f"{k}_scope",
        )
        form_state.field_error(errors, "scope")
        given = st.radio(
            _("Changement *"),
            [False, True],
            index=None,
            format_func=lambda value: _("Nouveau consentement") if value else _("Retrait"),
            horizontal=True,
            key=f"{k}_given",
        )
        form_state.field_error(errors, "given")
        effective_on = widgets.date_input(
            _("Date d'effet *"), value=clock.today(), format=DATE_FORMAT, key=f"{k}_effective_on"
        )
        form_state.field_error(errors, "effective_on")
        st.caption(_("Le changement vaut à partir de cette date : les chiffres des jours précédents ne changent pas."))
        submitted = st.form_submit_button(_("Enregistrer le changement"), type="primary", icon=":material/save:")
    if submitted:
        data = {"scope": scope, "given": given, "effective_on": effective_on}

        def save() -> None:
            with unit_of_work(runtime.engine) as uow:
                consent.record_consent_change(uow, principal, header.person_id, data=data)
            form_state.forget_version("person_situation", header.person_id)  # the file's version moved

        form_state.submit(CONSENT_FORM, save, _("Consentement mis à jour."))


def consent_section(runtime: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """Current state, history (latest first) and the change form: drawn for roles that edit the file."""
    with unit_of_work(runtime.engine) as uow:
        rows = consent.consent_history(uow, principal, header.person_id)
    _current_state(header)
    _history(rows)
    _change_form(runtime, principal, header)
