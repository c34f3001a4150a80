"""The « Rendez-vous » tab of the person file: appointments and accompaniments, and the form to record one.

Everyone who opens the file reads the list (kinds, days, workers, durations, interpreter); the note only
roles that see identities. The form for roles that write notes (chef_service, intervenant) on a file
that is not anonymised (services.persons.appointments); the same roles correct or delete one (a delete
needs its box ticked) in « Corriger ou supprimer un rendez-vous », the appointments of the file's current
site only (those held by a site the file has left stay as they were).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats, ngettext
from models.appointments import AppointmentKind
from models.audit import AuditAction
from models.labels import label
from models.persons import PersonStatus
from services.persons import appointments, files
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.persons import file_sections
from ui.persons.choices import language_codes, language_label
from ui.platform import conflicts, form_state, widgets
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


def _form(runtime: Runtime, principal: Principal, header, row: appointments.AppointmentRow | None = None) -> None:
    """The form to record an appointment, or to correct `row` (its values shown first)."""
    form = "appointment_new" if row is None else f"appointment_edit_{row.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with unit_of_work(runtime.engine) as session:
        workers = files.list_referent_choices(session, principal, header.site_id)
    ids = [worker_id for worker_id, _name in workers]
    names = dict(workers)
    worker_id = principal.user_id if row is None else row.worker_id
    kinds = list(AppointmentKind)
    languages = [None, *language_codes()]
    edit = None if row is None else _versioned_edit(runtime, principal, form, row, names)
    if edit is not None:
        edit.panel()
    with widgets.form(key):
        st.markdown(_("**Nouveau rendez-vous ou accompagnement**") if row is None else _("**Corriger ce rendez-vous**"))
        form_state.form_error(form)
        left, right = st.columns(2)
        appointment_on = widgets.on(left).date_input(
            _("Date"), value=clock.today() if row is None else row.appointment_on, key=f"{key}_on"
        )
        with left:
            form_state.field_error(errors, "appointment_on")
        kind = widgets.on(right).selectbox(
            _("Type"),
            kinds,
            index=0 if row is None else kinds.index(row.kind),
            format_func=label,
            key=f"{key}_kind",
        )
        with right:
            form_state.field_error(errors, "kind")
        worker = widgets.on(left).selectbox(
            _("Intervenant·e"),
            ids,
            index=ids.index(worker_id) if worker_id in ids else None,
            format_func=lambda worker_id: names.get(worker_id, "—"),
            placeholder=_("Choisir"),
            key=f"{key}_worker",
        )
        with left:
            form_state.field_error(errors, "worker_id")
        duration = right.number_input(
            _("Durée (minutes)"),
            value=60 if row is None else row.duration_minutes,
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
            languages,
            index=languages.index(row.interpreter_language)
            if row is not None and row.interpreter_language in languages
            else 0,
            format_func=lambda code: _("Sans interprète") if code is None else language_label(code),
            key=f"{key}_language",
        )
        with left:
            form_state.field_error(errors, "interpreter_language")
        note = st.text_area(
            _("Note (facultative)"),
            value="" if row is None else (row.note or ""),
            max_chars=appointments.NOTE_MAX,
            key=f"{key}_note",
            help=_("Chiffrée dans la base ; visible des seul·es intervenant·es et chef·fes de service."),
        )
        form_state.field_error(errors, "note")
        submitted = st.form_submit_button(
            _("Enregistrer le rendez-vous") if row is None else _("Enregistrer la correction"), type="primary"
        )
    if submitted:
        data = {
            "appointment_on": appointment_on,
            "kind": kind,
            "worker_id": worker,
            "interpreter_language": language,
            "duration_minutes": duration,
            "note": note,
        }

        if row is None:

            def create() -> None:
                with unit_of_work(runtime.engine) as session:
                    appointments.record_appointment(session, principal, header.person_id, data=data)

            form_state.submit(form, create, _("Rendez-vous enregistré."))
        edit.submit(data)


def _versioned_edit(
    runtime: Runtime, principal: Principal, form: str, row: appointments.AppointmentRow, names: dict[int, str]
) -> conflicts.VersionedEdit:
    """The correction of `row`, merged field by field with a colleague's correction made meanwhile."""

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as session:
            appointments.update_appointment(session, principal, row.id, expected_version=version, data=values)

    return conflicts.VersionedEdit(
        form,
        row.id,
        version=row.version,
        values={
            "appointment_on": row.appointment_on,
            "kind": row.kind,
            "worker_id": row.worker_id,
            "interpreter_language": row.interpreter_language,
            "duration_minutes": row.duration_minutes,
            "note": row.note or "",
        },
        fields={
            "appointment_on": conflicts.Field(_("Date")),
            "kind": conflicts.Field(_("Type")),
            "worker_id": conflicts.Field(_("Intervenant·e"), lambda i: names.get(i, "—")),
            "interpreter_language": conflicts.Field(
                _("Langue de l'interprète"), lambda code: language_label(code) if code else _("Sans interprète")
            ),
            "duration_minutes": conflicts.Field(_("Durée (minutes)")),
            "note": conflicts.Field(_("Note (facultative)")),
        },
        save=save,
        success=_("Rendez-vous corrigé."),
        last_write=conflicts.audited(
            runtime.engine, principal, "appointment", row.id, (AuditAction.APPOINTMENT_UPDATE,)
        ),
    )


def _deletion_form(runtime: Runtime, principal: Principal, row: appointments.AppointmentRow) -> None:
    """Delete `row`, once its box is ticked."""
    form = f"appointment_delete_{row.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        confirmed = st.checkbox(_("Je confirme la suppression de ce rendez-vous"), key=f"{key}_confirm")
        form_state.field_error(errors, "confirmed")
        submitted = st.form_submit_button(_("Supprimer le rendez-vous"), icon=":material/delete:")
    if submitted:
        version = form_state.seen_version(form, row.id, row.version)

        def delete() -> None:
            with unit_of_work(runtime.engine) as session:
                appointments.delete_appointment(
                    session, principal, row.id, expected_version=version, confirmed=confirmed
                )

        form_state.submit(form, delete, _("Rendez-vous supprimé."), versioned=(form, row.id))


def _change_section(runtime: Runtime, principal: Principal, header, rows: list[appointments.AppointmentRow]) -> None:
    """Pick one appointment of the file's site, then correct it or delete it."""
    own = [r for r in rows if r.site_id == header.site_id]
    if not own:
        return
    by_id = {r.id: r for r in own}

    def change() -> None:
        chosen = widgets.selectbox(
            _("Rendez-vous"),
            list(by_id),
            format_func=lambda i: f"{formats.day(by_id[i].appointment_on)} · {label(by_id[i].kind)}",
            key="appointment_change_target",
        )
        if chosen is None:
            return
        _form(runtime, principal, header, by_id[chosen])
        _deletion_form(runtime, principal, by_id[chosen])

    file_sections.section(
        st,
        file_sections.APPOINTMENT_CHANGE,
        _("Corriger ou supprimer un rendez-vous"),
        code=header.code,
        icon=":material/edit_calendar:",
        draw=change,
    )


def appointments_tab(runtime: Runtime, principal: Principal, header, *, shown: bool = True) -> None:
    """The file's appointments (when `shown`: the tab is open) and the forms to record or change one."""
    form_state.show_toast()
    writable = header.status != PersonStatus.ANONYMISED and may_record(principal, header)
    if not (shown or writable):
        return
    with unit_of_work(runtime.engine) as session:  # the change form picks among them
        rows = appointments.list_appointments(session, principal, header.person_id)
    if shown:
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
        _change_section(runtime, principal, header, rows)
