"""The roll-call grid of one session, shared by the workshop and French-course pages.

    from services.activities.attendance import SessionKind
    from ui.activities.roll_call import roll_call_grid

    roll_call_grid(current.engine, principal, SessionKind.COURSE, session_id, "course_roll")

roll_call_grid(engine, principal, kind, session_id, key) -> RollCall
- engine: the app engine (`ui.platform.runtime.runtime().engine`); the grid opens its own units of work (one
  to read the roll, one to save it), so call it outside any `with unit_of_work(...)` block.
- principal: the signed-in principal. Access is checked by services.activities.attendance: pass a session
  of a list the principal was shown (a session out of reach raises, as any read of the page would).
- kind: SessionKind.WORKSHOP or SessionKind.COURSE; session_id: the session's id.
- key: a prefix unique on the page for this grid (the kind and session id are appended to it).
Draws: the session heading, a warning when the session is more than LATE_AFTER_DAYS old (the save
is traced as a late edit), one `st.data_editor` (code and first name read-only, a "Présence"
selectbox per person) inside a form whose "Enregistrer l'appel" button saves every row in one
transaction, errors under the grid and a toast after a successful save (ui.platform.form_state.submit).
Returns the RollCall drawn (e.g. to show a count beside it).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from i18n import N_, _, formats
from models.attendance import AttendanceStatus
from models.labels import label
from services.activities import attendance
from services.activities.attendance import LATE_AFTER_DAYS, RollCall, SessionKind
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.platform import form_state, widgets
from ui.platform.runtime import field_cipher
from ui.platform.text import md

# The grid's column names: identifiers (the tests read them); the headers shown are translated labels.
CODE = "Code"
FIRST_NAME = "Prénom"
STATUS = "Présence"
SAVE_LABEL = N_("Enregistrer l'appel")


def status_of_label() -> dict[str, AttendanceStatus]:
    """The status of each label of the "Présence" column, in the active language (the cells hold labels)."""
    return {label(status): status for status in AttendanceStatus}


def _heading(roll: RollCall) -> str:
    when = formats.day(roll.session_on)
    if roll.start_time is not None:
        at = _("{hours}h{minutes}").format(hours=roll.start_time.hour, minutes=f"{roll.start_time.minute:02d}")
        when = _("{day} à {time}").format(day=when, time=at)
    hours, minutes = divmod(roll.duration_minutes, 60)
    length = f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    return f"**{roll.title}** — {when}, {length}"


def _frame(roll: RollCall, statuses: dict[str, AttendanceStatus]) -> pd.DataFrame:
    columns: dict[str, list] = {CODE: [entry.code for entry in roll.entries]}
    if roll.names_visible:
        columns[FIRST_NAME] = [entry.first_name or "" for entry in roll.entries]
    columns[STATUS] = [label(entry.status) if entry.status else None for entry in roll.entries]
    frame = pd.DataFrame(columns, index=[entry.person_id for entry in roll.entries])
    # Categorical: an unmarked person shows an empty cell (an object column showed the text "None").
    frame[STATUS] = pd.Categorical(frame[STATUS], categories=list(statuses))
    return frame


def _summary(roll: RollCall) -> None:
    """How many are expected, marked and present; the warning of a late edit."""
    marked = sum(entry.status is not None for entry in roll.entries)
    present = sum(entry.status == AttendanceStatus.PRESENT for entry in roll.entries)
    st.caption(
        _(
            "{expected} personne(s) attendue(s) ou déjà notée(s) · {marked} appel(s) saisi(s), "
            "dont {present} présence(s). Les personnes sans choix ne sont pas enregistrées."
        ).format(expected=len(roll.entries), marked=md(marked), present=md(present))
    )
    if roll.is_late:
        st.warning(
            _("Séance de plus de {days} jours : modification tardive, elle sera tracée.").format(days=LATE_AFTER_DAYS),
            icon=":material/history:",
        )


def _grid(roll: RollCall, statuses: dict[str, AttendanceStatus], key: str) -> pd.DataFrame:
    """The editable grid (inside the form): the Présence column only is editable."""
    frame = _frame(roll, statuses)
    headers = {
        CODE: st.column_config.TextColumn(_("Code"), help=_("Code pseudonyme du dossier")),
        STATUS: st.column_config.SelectboxColumn(
            _("Présence"),
            options=list(statuses),
            required=False,
            help=_("Présent·e, absent·e excusé·e ou absent·e"),
        ),
    }
    if FIRST_NAME in frame.columns:
        headers[FIRST_NAME] = st.column_config.TextColumn(_("Prénom"))
    return st.data_editor(
        frame,
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=[column for column in frame.columns if column != STATUS],  # code and first name
        column_config=headers,
    )


def _roll_form(engine: Engine, principal: Principal, roll: RollCall, key: str) -> None:
    """The grid in a form whose button saves every mark through form_state (errors under the grid)."""
    form = f"{key}_{roll.kind.value}_{roll.session_id}"
    form_key, errors = form_state.key(form), form_state.errors(form)
    statuses = status_of_label()
    with widgets.form(form_key):
        form_state.form_error(form)
        edited = _grid(roll, statuses, f"{form_key}_grid")
        form_state.field_error(errors, "session")
        form_state.field_error(errors, "statuses")
        submitted = st.form_submit_button(_(SAVE_LABEL), type="primary")
    if submitted:
        marks = {int(person_id): statuses[value] for person_id, value in edited[STATUS].items() if value in statuses}

        def save() -> None:
            with unit_of_work(engine) as session:
                attendance.save_roll_call(
                    session, principal, kind=roll.kind, session_id=roll.session_id, statuses=marks
                )

        form_state.submit(form, save, _("Appel enregistré."))


def roll_call_grid(engine: Engine, principal: Principal, kind: SessionKind, session_id: int, key: str) -> RollCall:
    """Draw the roll of one session and save it on "Enregistrer l'appel" (see the module docstring)."""
    form_state.show_toast()
    with unit_of_work(engine) as session:
        roll = attendance.roll_call(session, principal, kind=kind, session_id=session_id, cipher=field_cipher())
    st.markdown(md(_heading(roll)))
    if roll.is_future:
        st.info(_("L'appel se fait le jour de la séance ou après."), icon=":material/event:")
    elif not roll.entries:
        st.info(
            _("Personne n'est inscrit·e à cette date : inscrivez d'abord les personnes, puis faites l'appel."),
            icon=":material/group_off:",
        )
    else:
        _summary(roll)
        _roll_form(engine, principal, roll, key)
    return roll
