"""The « Rendez-vous » tab of the person file: appointments and accompaniments, and the form to record one.

Everyone who opens the file reads the list (kinds, days, workers, durations, interpreter); the note only
roles that see identities. The form for roles that write notes (chef_service, intervenant) on a file
that is not anonymised (services.persons.appointments).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats, ngettext
from models.appointments import AppointmentKind
from models.labels import label
from models.persons import PersonStatus
from services.persons import appointments, files
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.persons.choices import language_codes, language_label
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md


def may_record(principal: Principal, header) -> bool:
    return (
        principal.can(Capability.EDIT_PERSON_FILES)
        and principal.can(Capability.VIEW_IDENTITY)
        and header.status != PersonStatus.ANONYMISED
    )


def duration_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("{minutes} min").format(minutes=formats.number(rest))
    if rest:
        return _("{hours} h {minutes}").format(hours=formats.number(hours), minutes=f"{rest:02d}")
    return _("{hours} h").format(hours=formats.number(hours))


def _summary(rows: list[appointments.AppointmentRow]) -> None:
    accompaniments = sum(1 for r in rows if r.is_accompaniment)
    with_interpreter = sum(1 for r in rows if r.interpreter_language)
    minutes = sum(r.duration_minutes for r in rows)
    st.caption(
        ngettext(
            "{count} rendez-vous, dont {accompaniments} accompagnement(s) et {interpreted} avec interprète ; "
            "{duration} en tout.",
            "{count} rendez-vous, dont {accompaniments} accompagnement(s) et {interpreted} avec interprète ; "
            "{duration} en tout.",
            len(rows),
        ).format(
            count=formats.number(len(rows)),
            accompaniments=formats.number(accompaniments),
            interpreted=formats.number(with_interpreter),
            duration=md(duration_text(minutes)),
        )
    )


def _table(rows: list[appointments.AppointmentRow], *, with_notes: bool) -> None:
    columns = {
        _("Date"): [formats.day(r.appointment_on) for r in rows],
        _("Type"): [label(r.kind) for r in rows],
        _("Intervenant·e"): [r.worker_name or "—" for r in rows],
        _("Durée"): [duration_text(r.duration_minutes) for r in rows],
        _("Interprète"): [language_label(r.interpreter_language) if r.interpreter_language else "—" for r in rows],
    }
    if with_notes:
        columns[_("Note")] = [r.note or "" for r in rows]
    st.dataframe(pd.DataFrame(columns), hide_index=True)


def _form(runtime: Runtime, principal: Principal, header) -> None:
    form = "appointment_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with unit_of_work(runtime.engine) as session:
        workers = files.list_referent_choices(session, principal, header.site_id)
    ids = [worker_id for worker_id, _name in workers]
    names = dict(workers)
    with widgets.form(key):
        st.markdown(_("**Nouveau rendez-vous ou accompagnement**"))
        form_state.form_error(form)
        left, right = st.columns(2)
        appointment_on = widgets.on(left).date_input(_("Date"), value=clock.today(), key=f"{key}_on")
        with left:
            form_state.field_error(errors, "appointment_on")
        kind = widgets.on(right).selectbox(_("Type"), list(AppointmentKind), format_func=label, key=f"{key}_kind")
        with right:
            form_state.field_error(errors, "kind")
        worker = widgets.on(left).selectbox(
            _("Intervenant·e"),
            ids,
            index=ids.index(principal.user_id) if principal.user_id in ids else None,
            format_func=lambda worker_id: names.get(worker_id, "—"),
            placeholder=_("Choisir"),
            key=f"{key}_worker",
        )
        with left:
            form_state.field_error(errors, "worker_id")
        duration = right.number_input(
            _("Durée (minutes)"),
            value=60,
            step=15,
            help=_("Entre {minimum} et {maximum} minutes.").format(
                minimum=formats.number(appointments.MIN_MINUTES), maximum=formats.number(appointments.MAX_MINUTES)
            ),
            key=f"{key}_minutes",
        )
        with right:
            form_state.field_error(errors, "duration_minutes")
        language = widgets.on(left).selectbox(
            _("Langue de l'interprète"),
            [None, *language_codes()],
            format_func=lambda code: _("Sans interprète") if code is None else language_label(code),
            key=f"{key}_language",
        )
        with left:
            form_state.field_error(errors, "interpreter_language")
        note = st.text_area(
            _("Note (facultative)"),
            max_chars=appointments.NOTE_MAX,
            key=f"{key}_note",
            help=_("Chiffrée dans la base ; visible des seul·es intervenant·es et chef·fes de service."),
        )
        form_state.field_error(errors, "note")
        submitted = st.form_submit_button(_("Enregistrer le rendez-vous"), type="primary")
    if submitted:
        data = {
            "appointment_on": appointment_on,
            "kind": kind,
            "worker_id": worker,
            "interpreter_language": language,
            "duration_minutes": duration,
            "note": note,
        }

        def create() -> None:
            with unit_of_work(runtime.engine) as session:
                appointments.record_appointment(session, principal, header.person_id, data=data)

        form_state.submit(form, create, _("Rendez-vous enregistré."))


def appointments_tab(runtime: Runtime, principal: Principal, header) -> None:
    form_state.show_toast()
    with unit_of_work(runtime.engine) as session:
        rows = appointments.list_appointments(session, principal, header.person_id)
    if rows:
        _summary(rows)
        _table(rows, with_notes=principal.can(Capability.VIEW_IDENTITY))
    else:
        st.info(_("Aucun rendez-vous ni accompagnement enregistré."))
    if header.status == PersonStatus.ANONYMISED:
        st.caption(_("Dossier anonymisé : plus aucune saisie n'est possible."))
    elif not may_record(principal, header):
        st.caption(_("Consultation seule."))
    else:
        _form(runtime, principal, header)
