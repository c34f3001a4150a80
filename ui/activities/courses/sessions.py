"""Sessions of a French-course group: upcoming and past (with present counts), planning, roll call.

`sessions_tab(rt, principal, group, today)`; the roll-call grid is the shared ui.activities.roll_call.
"""

from __future__ import annotations

from datetime import date, time

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats
from services.activities.attendance import SessionKind
from services.activities.courses import sessions as course_sessions
from services.activities.courses.groups import GroupRow
from services.activities.courses.sessions import SessionRow
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.activities.courses.charts import hours_text
from ui.activities.roll_call import roll_call_grid
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime

DATE_FORMAT = "DD/MM/YYYY"


def clock_text(value: time | None) -> str:
    if value is None:
        return ""
    return _("{hour}h{minute}").format(hour=value.hour, minute=f"{value.minute:02d}")


def session_label(row: SessionRow) -> str:
    day = formats.day(row.session_on)
    if row.start_time and row.marked:
        return _("{day} à {time} — {present} présent·e(s)").format(
            day=day, time=clock_text(row.start_time), present=formats.number(row.present)
        )
    if row.start_time:
        return _("{day} à {time} — appel à faire").format(day=day, time=clock_text(row.start_time))
    if row.marked:
        return _("{day} — {present} présent·e(s)").format(day=day, present=formats.number(row.present))
    return _("{day} — appel à faire").format(day=day)


def _table(rows: list[SessionRow], held: bool) -> None:
    frame = {
        _("Date"): [formats.day(r.session_on) for r in rows],
        _("Heure"): [clock_text(r.start_time) for r in rows],
        _("Durée"): [hours_text(r.duration_minutes) for r in rows],
    }
    if held:
        frame[_("Présent·es")] = [r.present for r in rows]
        frame[_("Appel")] = [_("Fait") if r.marked else _("À faire") for r in rows]
    st.dataframe(pd.DataFrame(frame), hide_index=True)


def sessions_tab(rt: Runtime, principal: Principal, group: GroupRow, today: date) -> None:
    with unit_of_work(rt.engine) as uow:
        listed = course_sessions.list_sessions(uow, principal, group.id, today=today)
    callable_rows = [r for r in listed.upcoming if r.session_on == today] + listed.past
    st.markdown(_("**Faire l'appel**"))
    if callable_rows:
        of = {r.id: r for r in callable_rows}
        session_id = widgets.selectbox(
            _("Séance"),
            list(of),
            format_func=lambda i: session_label(of[i]),
            key=f"course_roll_choice_{group.id}",
        )
        # A caption rather than the selectbox's help: the tooltip's button is one more Tab stop before the roll.
        st.caption(_("Les séances du jour et les séances passées (les plus récentes d'abord)."))
        roll_call_grid(rt.engine, principal, SessionKind.COURSE, session_id, "course_roll")
    else:
        st.info(_("Aucune séance aujourd'hui ni avant : planifiez une séance ci-dessous."))
    upcoming, past = st.columns(2)
    with upcoming:
        st.markdown(_("**Prochaines séances**"))
        if listed.upcoming:
            _table(listed.upcoming, held=False)
        else:
            st.caption(_("Aucune séance planifiée."))
    with past:
        st.markdown(_("**Séances passées** ({count})").format(count=formats.number(listed.past_total)))
        if listed.past:
            _table(listed.past, held=True)
            if listed.past_total > len(listed.past):
                st.caption(_("Les {count} plus récentes.").format(count=formats.number(len(listed.past))))
        else:
            st.caption(_("Aucune séance passée."))
    _plan_form(rt, principal, group)


def _plan_form(rt: Runtime, principal: Principal, group: GroupRow) -> None:
    form = f"course_session_new_{group.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Planifier une séance**"))
        form_state.form_error(form)
        day_col, time_col, length_col = st.columns(3)
        data = {
            "session_on": widgets.on(day_col).date_input(
                _("Date de la séance"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on"
            ),
            "start_time": time_col.time_input(_("Heure de début"), value=time(9, 30), step=900, key=f"{key}_start"),
            "duration_minutes": length_col.number_input(
                _("Durée (minutes)"),
                min_value=0,
                max_value=24 * 60,
                value=course_sessions.DEFAULT_DURATION,
                step=15,
                key=f"{key}_length",
            ),
        }
        form_state.field_error(errors, "session_on")
        form_state.field_error(errors, "duration_minutes")
        submitted = st.form_submit_button(_("Planifier la séance"), type="primary")
    if submitted:

        def plan() -> None:
            with unit_of_work(rt.engine) as uow:
                course_sessions.create_session(uow, principal, group_id=group.id, data=data)

        form_state.submit(form, plan, _("Séance planifiée."))
