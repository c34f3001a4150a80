"""The "Inscriptions" and "Modules validés" tabs of the workshop page (workshop team only)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import clock
from i18n import N_, _, formats
from services.activities.workshops import people as workshop_people
from services.activities.workshops.people import CycleRow, PersonProgress
from services.persons import safety
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.persons import markers
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime, field_cipher
from ui.platform.text import md

DATE_FORMAT = "DD/MM/YYYY"
CODE_HELP = N_("Le code pseudonyme du dossier, par exemple LYO-2026-0042.")


def enrolment_tab(rt: Runtime, principal: Principal, site_id: int | None, several_sites: bool) -> None:
    names = principal.can(Capability.VIEW_IDENTITY)
    with unit_of_work(rt.engine) as session:
        cycles = workshop_people.current_cycles(
            session, principal, site_id=site_id, cipher=field_cipher() if names else None
        )
    _enrol_form(rt, principal)
    st.header(_("Cycles en cours"))
    if not cycles:
        st.info(_("Personne n'est inscrit·e dans un cycle en cours."))
        return
    _cycles_table(cycles, names, several_sites)
    _leave_form(rt, principal, cycles)


def _enrol_form(rt: Runtime, principal: Principal) -> None:
    form = "workshop_enrol"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Inscrire une personne dans un cycle**"))
        form_state.form_error(form)
        left, right = st.columns(2)
        data = {
            "code": left.text_input(_("Code du dossier"), key=f"{key}_code", help=_(CODE_HELP)),
            "cycle_start_on": widgets.on(right).date_input(
                _("Début du cycle"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_start"
            ),
        }
        form_state.field_error(errors, "code")
        form_state.field_error(errors, "cycle_start_on")
        submitted = st.form_submit_button(_("Inscrire"), type="primary")
    if submitted:

        def enrol() -> None:
            with unit_of_work(rt.engine) as session:
                workshop_people.enrol_person(session, principal, data=data)

        form_state.submit(form, enrol, _("{code} inscrit·e au cycle.").format(code=data["code"].strip().upper()))


def _cycles_table(cycles: list[CycleRow], names: bool, several_sites: bool) -> None:
    columns = {_("Code"): [c.code for c in cycles]}
    if names:
        columns[_("Prénom")] = [c.first_name or "" for c in cycles]
        columns[_("Sécurité")] = [markers.danger(c.safety_flag) for c in cycles]
    if several_sites:
        columns[_("Site")] = [c.site_code for c in cycles]
    columns |= {
        _("Début du cycle"): [formats.day(c.cycle_start_on) for c in cycles],
        _("Séances suivies"): [c.sessions_present for c in cycles],
        _("Modules validés"): [c.modules_done for c in cycles],
    }
    st.dataframe(pd.DataFrame(columns), hide_index=True)
    st.caption(
        _(
            "{count} personne(s). « Séances suivies » : séances où la personne a été notée présente "
            "depuis le début de son cycle."
        ).format(count=len(cycles))
    )


def _leave_form(rt: Runtime, principal: Principal, cycles: list[CycleRow]) -> None:
    form = "workshop_leave"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Sortie du cycle**"))
        form_state.form_error(form)
        left, right = st.columns(2)
        chosen = widgets.on(left).selectbox(
            _("Personne"),
            cycles,
            key=f"{key}_who",
            format_func=lambda c: c.code + (f" — {c.first_name}" if c.first_name else ""),
        )
        data = {
            "left_on": widgets.on(right).date_input(
                _("Date de sortie"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on"
            )
        }
        form_state.field_error(errors, "left_on")
        submitted = st.form_submit_button(_("Enregistrer la sortie"))
    if submitted:

        def leave() -> None:
            with unit_of_work(rt.engine) as session:
                workshop_people.end_cycle(session, principal, chosen.enrolment_id, data=data)

        form_state.submit(form, leave, _("Sortie du cycle enregistrée."))


def completions_tab(rt: Runtime, principal: Principal) -> None:
    st.caption(_("Les modules qu'une personne a validés apparaissent aussi sur la chronologie de sa fiche."))
    code = st.text_input(_("Code du dossier"), key="workshop_progress_code", help=_(CODE_HELP))
    if not code.strip():
        return
    names = principal.can(Capability.VIEW_IDENTITY)
    with unit_of_work(rt.engine) as session:
        progress = workshop_people.find_progress(
            session, principal, code=code, cipher=field_cipher() if names else None
        )
    if progress is None:
        st.error(_(workshop_people.NO_SUCH_FILE), icon=":material/search_off:")
        return
    with unit_of_work(rt.engine) as session:
        flagged = progress.person_id in safety.flagged_among(session, principal, [progress.person_id])
    _progress_table(progress, flagged)
    pending = [m for m in progress.modules if m.completed_on is None]
    if pending:
        _completion_form(rt, principal, progress, pending)


def _progress_table(progress: PersonProgress, flagged: bool) -> None:
    who = " ".join(
        part
        for part in (markers.danger(flagged), progress.code, progress.first_name and f"— {progress.first_name}")
        if part
    )
    st.markdown(
        _("**{who}** · {done} module(s) validé(s) sur {total}").format(
            who=md(who), done=md(progress.done), total=len(progress.modules)
        )
    )
    st.dataframe(
        pd.DataFrame(
            {
                _("Module"): [
                    m.module_name if m.is_active else _("{module} (retiré)").format(module=m.module_name)
                    for m in progress.modules
                ],
                _("Séances suivies"): [m.sessions_present for m in progress.modules],
                _("Validé le"): [formats.day(m.completed_on) if m.completed_on else "" for m in progress.modules],
            }
        ),
        hide_index=True,
    )


def _completion_form(
    rt: Runtime, principal: Principal, progress: PersonProgress, pending: list[workshop_people.ModuleProgress]
) -> None:
    form = f"workshop_completion_{progress.person_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Valider un module**"))
        form_state.form_error(form)
        left, right = st.columns(2)
        module = widgets.on(left).selectbox(
            _("Module"), pending, format_func=lambda m: m.module_name, key=f"{key}_module"
        )
        completed_on = widgets.on(right).date_input(
            _("Validé le"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on"
        )
        form_state.field_error(errors, "module_id")
        form_state.field_error(errors, "completed_on")
        submitted = st.form_submit_button(_("Valider le module"), type="primary")
    if submitted:
        data = {"module_id": module.module_id if module else None, "completed_on": completed_on}

        def mark() -> None:
            with unit_of_work(rt.engine) as session:
                workshop_people.mark_completed(session, principal, person_id=progress.person_id, data=data)

        form_state.submit(
            form, mark, _("Module « {module} » validé.").format(module=module.module_name if module else "")
        )
