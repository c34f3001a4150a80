"""Sessions of a French-course group: upcoming and past (with present counts), planning, roll call.

`sessions_tab(rt, principal, group, today)`; the roll-call grid is the shared ui.roll_call.
"""

from __future__ import annotations

from datetime import date, time

import pandas as pd
import streamlit as st

from services import clock, course_sessions
from services.attendance import SessionKind
from services.course_sessions import SessionRow
from services.courses import GroupRow
from services.db import unit_of_work
from services.principal import Principal
from ui import form_state, format
from ui.forms import field_error
from ui.language_charts import hours_text
from ui.roll_call import roll_call_grid
from ui.runtime import Runtime

DATE_FORMAT = "DD/MM/YYYY"


def clock_text(value: time | None) -> str:
    return "" if value is None else f"{value.hour}h{value.minute:02d}"


def session_label(row: SessionRow) -> str:
    start = f" à {clock_text(row.start_time)}" if row.start_time else ""
    taken = f" — {row.present} présent·e(s)" if row.marked else " — appel à faire"
    return f"{format.day(row.session_on)}{start}{taken}"


def _table(rows: list[SessionRow], held: bool) -> None:
    frame = {
        "Date": [format.day(r.session_on) for r in rows],
        "Heure": [clock_text(r.start_time) for r in rows],
        "Durée": [hours_text(r.duration_minutes) for r in rows],
    }
    if held:
        frame["Présent·es"] = [r.present for r in rows]
        frame["Appel"] = ["Fait" if r.marked else "À faire" for r in rows]
    st.dataframe(pd.DataFrame(frame), hide_index=True)


def sessions_tab(rt: Runtime, principal: Principal, group: GroupRow, today: date) -> None:
    with unit_of_work(rt.engine) as uow:
        listed = course_sessions.list_sessions(uow, principal, group.id, today=today)
    callable_rows = [r for r in listed.upcoming if r.session_on == today] + listed.past
    st.markdown("**Faire l'appel**")
    if callable_rows:
        of = {r.id: r for r in callable_rows}
        session_id = st.selectbox("Séance", list(of), format_func=lambda i: session_label(of[i]),
                                  key=f"course_roll_choice_{group.id}",
                                  help="Les séances du jour et les séances passées (les plus récentes d'abord).")
        roll_call_grid(rt.engine, principal, SessionKind.COURSE, session_id, "course_roll")
    else:
        st.info("Aucune séance aujourd'hui ni avant : planifiez une séance ci-dessous.")
    upcoming, past = st.columns(2)
    with upcoming:
        st.markdown("**Prochaines séances**")
        if listed.upcoming:
            _table(listed.upcoming, held=False)
        else:
            st.caption("Aucune séance planifiée.")
    with past:
        st.markdown(f"**Séances passées** ({listed.past_total})")
        if listed.past:
            _table(listed.past, held=True)
            if listed.past_total > len(listed.past):
                st.caption(f"Les {len(listed.past)} plus récentes.")
        else:
            st.caption("Aucune séance passée.")
    _plan_form(rt, principal, group)


def _plan_form(rt: Runtime, principal: Principal, group: GroupRow) -> None:
    form = f"course_session_new_{group.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with st.form(key):
        st.markdown("**Planifier une séance**")
        form_state.form_error(form)
        day_col, time_col, length_col = st.columns(3)
        session_on = day_col.date_input("Date de la séance", value=clock.today(), format=DATE_FORMAT, key=f"{key}_on")
        start_time = time_col.time_input("Heure de début", value=time(9, 30), step=900, key=f"{key}_start")
        duration = length_col.number_input("Durée (minutes)", min_value=0, max_value=24 * 60,
                                           value=course_sessions.DEFAULT_DURATION, step=15, key=f"{key}_length")
        field_error(errors, "session_on")
        field_error(errors, "duration_minutes")
        submitted = st.form_submit_button("Planifier la séance", type="primary")
    if submitted:
        def plan() -> None:
            with unit_of_work(rt.engine) as uow:
                course_sessions.create_session(uow, principal, group_id=group.id, session_on=session_on,
                                               start_time=start_time, duration_minutes=duration)
        form_state.submit(form, plan, "Séance planifiée.")
