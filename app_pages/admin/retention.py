"""Conservation des données: files without contact for 2 years, and their irreversible anonymisation."""

import pandas as pd
import streamlit as st

from i18n import _, formats
from models.labels import label
from services.persons import retention
from services.persons.retention import RetentionRow
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.persons import markers
from ui.platform import form_state, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime

principal = require_page(PageKey.RETENTION)


def explanation() -> None:
    st.markdown(
        _(
            "Un dossier sans aucun contact depuis **2 ans** (dernier contact, ou accueil à défaut) doit être anonymisé "
            "(référentiel de la CNIL pour l'accompagnement social)."
        )
    )
    with st.expander(_("Ce que l'anonymisation détruit et ce qu'elle garde"), expanded=True):
        st.markdown(
            _(
                "**Détruit, sans retour possible :** le prénom ou pseudonyme, le téléphone, toutes les notes, "
                "tous les textes libres (objectifs et actions, motifs des orientations et de clôture, "
                "commentaires et destinations des cours, secteurs d'emploi) et les langues parlées.\n\n"
                "**Généralisé :** chaque date devient son mois ; l'année de naissance devient une tranche d'âge "
                "de 5 ans à l'accueil ; tranche d'âge, genre et nationalité ne sont gardés que si au moins "
                "5 dossiers anonymisés du site les partagent (sinon la nationalité devient sa région du monde, "
                "puis inconnue, puis les trois deviennent inconnus).\n\n"
                "**Gardé, pour les statistiques anonymes :** le code du dossier, le site, "
                "la situation administrative et de logement, l'évaluation des freins, "
                "les axes et statuts des objectifs, le parcours de sortie, les partenaires et résultats "
                "des orientations, les sorties et les présences aux ateliers et cours."
            )
        )


def due_files(principal: Principal, rows: list[RetentionRow]) -> None:
    st.header(_("{count} dossier(s) sans contact depuis 2 ans").format(count=formats.number(len(rows))))
    columns = {
        _("Code"): [r.code for r in rows],
        _("Site"): [r.site_code for r in rows],
        _("Dernier contact"): [formats.day(r.last_contact_on) for r in rows],
        _("Statut"): [label(r.status) for r in rows],
    }
    if principal.can(Capability.VIEW_IDENTITY):  # the file's team (chef_service), never admin
        columns[_("Sécurité")] = [markers.danger(r.safety_flag) for r in rows]
    st.dataframe(pd.DataFrame(columns), hide_index=True)


def anonymise_form(current: Runtime, principal: Principal, rows: list[RetentionRow]) -> None:
    """Anonymise one file of the list, its code typed again to confirm."""
    st.header(_("Anonymiser un dossier"))
    form = "anonymise"
    key = form_state.key(form)
    errors = form_state.errors(form)
    by_id = {r.person_id: r for r in rows}
    with widgets.form(key):
        form_state.form_error(form)
        person_id = widgets.selectbox(
            _("Dossier"),
            list(by_id),
            key=f"{key}_person",
            format_func=lambda i: _("{code} — dernier contact {day}").format(
                code=by_id[i].code, day=formats.day(by_id[i].last_contact_on)
            ),
        )
        typed = st.text_input(
            _("Retapez le code du dossier pour confirmer"), key=f"{key}_code", placeholder=_("ex. LYO-2023-0042")
        )
        form_state.field_error(errors, "confirm_code")
        submitted = st.form_submit_button(
            _("Anonymiser définitivement"), type="primary", icon=":material/delete_forever:"
        )
    if submitted:

        def anonymise() -> None:
            with unit_of_work(current.engine) as uow:
                retention.anonymise_file(uow, principal, person_id, confirm_code=typed)

        form_state.submit(form, anonymise, _("Dossier {code} anonymisé.").format(code=by_id[person_id].code))


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Conservation des données"))
    form_state.show_toast()
    explanation()
    with unit_of_work(current.engine) as uow:
        rows = retention.files_due_for_retention(uow, principal)
    if not rows:
        st.success(_("Aucun dossier sans contact depuis 2 ans."), icon=":material/check_circle:")
        return
    due_files(principal, rows)
    anonymise_form(current, principal, rows)


page(principal)
