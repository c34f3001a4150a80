"""The roll-call grid of one session, shared by the workshop and French-course pages.

    from services.attendance import SessionKind
    from ui.roll_call import roll_call_grid

    roll_call_grid(current.engine, principal, SessionKind.COURSE, session_id, "course_roll")

roll_call_grid(engine, principal, kind, session_id, key) -> RollCall | None
- engine: the app engine (`ui.runtime.runtime().engine`); the grid opens its own units of work (one
  to read the roll, one to save it), so call it outside any `with unit_of_work(...)` block.
- principal: the signed-in principal. Access is checked by services.attendance: a refusal (role,
  site or group out of scope) is drawn as an error message and the function returns None.
- kind: SessionKind.WORKSHOP or SessionKind.COURSE; session_id: the session's id.
- key: a prefix unique on the page for this grid (the kind and session id are appended to it).
Draws: the session heading, a warning when the session is more than LATE_AFTER_DAYS old (the save
is traced as a late edit), one `st.data_editor` (code and first name read-only, a "Présence"
selectbox per person) inside a form whose "Enregistrer l'appel" button saves every row in one
transaction, errors under the grid, and a toast after a successful save (ui.form_state).
Returns the RollCall drawn (e.g. to show a count beside it).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from models.attendance import AttendanceStatus
from models.labels import label
from services import attendance
from services.attendance import LATE_AFTER_DAYS, RollCall, SessionKind
from services.db import unit_of_work
from services.errors import ServiceError
from services.principal import Principal
from ui import form_state, format
from ui.runtime import field_cipher

CODE = "Code"
FIRST_NAME = "Prénom"
STATUS = "Présence"
SAVE_LABEL = "Enregistrer l'appel"
STATUS_OF_LABEL = {label(status): status for status in AttendanceStatus}


def _heading(roll: RollCall) -> str:
    when = format.day(roll.session_on)
    if roll.start_time is not None:
        when += f" à {roll.start_time.hour}h{roll.start_time.minute:02d}"
    hours, minutes = divmod(roll.duration_minutes, 60)
    length = f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    return f"**{roll.title}** — {when}, {length}"


def _frame(roll: RollCall) -> pd.DataFrame:
    columns: dict[str, list] = {CODE: [entry.code for entry in roll.entries]}
    if roll.names_visible:
        columns[FIRST_NAME] = [entry.first_name or "" for entry in roll.entries]
    columns[STATUS] = [label(entry.status) if entry.status else None for entry in roll.entries]
    frame = pd.DataFrame(columns, index=[entry.person_id for entry in roll.entries])
    # Categorical: an unmarked person shows an empty cell (an object column showed the text "None").
    frame[STATUS] = pd.Categorical(frame[STATUS], categories=list(STATUS_OF_LABEL))
    return frame


def roll_call_grid(engine: Engine, principal: Principal, kind: SessionKind, session_id: int, key: str
                   ) -> RollCall | None:
    """Draw the roll of one session and save it on "Enregistrer l'appel" (see the module docstring)."""
    form_state.show_toast()
    try:
        with unit_of_work(engine) as session:
            roll = attendance.roll_call(session, principal, kind=kind, session_id=session_id, cipher=field_cipher())
    except ServiceError as exc:
        st.error(str(exc), icon=":material/block:")
        return None
    st.markdown(_heading(roll))
    if roll.is_future:
        st.info("L'appel se fait le jour de la séance ou après.", icon=":material/event:")
        return roll
    if not roll.entries:
        st.info("Personne n'est inscrit·e à cette date : inscrivez d'abord les personnes, puis faites l'appel.",
                icon=":material/group_off:")
        return roll
    marked = sum(entry.status is not None for entry in roll.entries)
    present = sum(entry.status == AttendanceStatus.PRESENT for entry in roll.entries)
    st.caption(f"{len(roll.entries)} personne(s) attendue(s) ou déjà notée(s) · {marked} appel(s) saisi(s), "
               f"dont {present} présence(s). Les personnes sans choix ne sont pas enregistrées.")
    if roll.is_late:
        st.warning(f"Séance de plus de {LATE_AFTER_DAYS} jours : modification tardive, elle sera tracée.",
                   icon=":material/history:")
    form = f"{key}_{SessionKind(kind).value}_{session_id}"
    form_key = form_state.key(form)
    errors = form_state.errors(form)
    with st.form(form_key):
        form_state.form_error(form)
        frame = _frame(roll)
        edited = st.data_editor(
            frame,
            key=f"{form_key}_grid",
            hide_index=True,
            num_rows="fixed",
            disabled=[column for column in frame.columns if column != STATUS],  # code and first name
            column_config={
                CODE: st.column_config.TextColumn(CODE, help="Code pseudonyme du dossier"),
                STATUS: st.column_config.SelectboxColumn(STATUS, options=list(STATUS_OF_LABEL), required=False,
                                                         help="Présent·e, absent·e excusé·e ou absent·e"),
            },
        )
        for field, message in errors.items():
            if field != form_state.FORM_ERROR:
                st.error(message, icon=":material/error:")
        submitted = st.form_submit_button(SAVE_LABEL, type="primary")
    if submitted:
        statuses = {int(person_id): STATUS_OF_LABEL[value]
                    for person_id, value in edited[STATUS].items() if value in STATUS_OF_LABEL}

        def save() -> None:
            with unit_of_work(engine) as session:
                attendance.save_roll_call(session, principal, kind=kind, session_id=session_id, statuses=statuses)

        form_state.submit(form, save, "Appel enregistré.")
    return roll
