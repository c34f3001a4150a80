"""The learners of a French-course group: list with hours attended, enrolment (chef_service) and leaving.

`learners_tab(rt, principal, group, today)`: `group` is a services.activities.courses.groups.GroupRow
the principal sees.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats
from services.activities.courses import groups as course_groups
from services.activities.courses import progress as language_progress
from services.activities.courses.groups import GroupRow, LearnerRow
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.activities.courses.charts import hours_text
from ui.persons import markers
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime, field_cipher

DATE_FORMAT = "DD/MM/YYYY"


def learner_label(row: LearnerRow) -> str:
    """The learner as a choice: the team's danger marker, the code, the first name."""
    who = f"{row.code} — {row.first_name}" if row.first_name else row.code
    return f"{markers.danger(True)} {who}" if row.safety_flag else who


def _current_first(learners: list[LearnerRow], today: date) -> list[LearnerRow]:
    return [row for row in learners if row.is_current(today)] + [row for row in learners if not row.is_current(today)]


def group_learners(rt: Runtime, principal: Principal, group: GroupRow, today: date) -> list[LearnerRow]:
    """The group's learners, current ones first (what learners_tab returns, without drawing the tab)."""
    with unit_of_work(rt.engine) as uow:
        return _current_first(course_groups.list_learners(uow, principal, group.id, cipher=field_cipher()), today)


def learners_tab(rt: Runtime, principal: Principal, group: GroupRow, today: date) -> list[LearnerRow]:
    """Draw the tab; returns the learners, current ones first (for the other tabs of the group)."""
    with unit_of_work(rt.engine) as uow:
        learners = _current_first(course_groups.list_learners(uow, principal, group.id, cipher=field_cipher()), today)
        hours = language_progress.group_attendance(uow, principal, group.id)
    current = sum(1 for row in learners if row.is_current(today))
    st.caption(
        _(
            "{current} apprenant·e(s) inscrit·e(s) aujourd'hui, {other} sorti·e(s) ou à venir. Heures de "
            "présence : durée des séances de ce groupe où la personne était présente."
        ).format(current=formats.number(current), other=formats.number(len(learners) - current))
    )
    if learners:
        frame = {_("Code"): [markers.listed(row.code, row.transferred) for row in learners]}
        if course_groups.names_visible(principal):
            frame[_("Prénom")] = [row.first_name or "" for row in learners]
        if principal.can(Capability.VIEW_IDENTITY):  # the file's team: its danger marker
            frame[_("Sécurité")] = [markers.danger(row.safety_flag) for row in learners]
        frame.update(
            {
                _("Inscrit·e le"): [formats.day(row.enrolled_on) for row in learners],
                _("Sorti·e le"): [formats.day(row.left_on) if row.left_on else "" for row in learners],
                _("Séances suivies"): [
                    hours[row.person_id].sessions if row.person_id in hours else 0 for row in learners
                ],
                _("Heures de présence"): [
                    hours_text(hours[row.person_id].minutes) if row.person_id in hours else hours_text(0)
                    for row in learners
                ],
            }
        )
        st.dataframe(pd.DataFrame(frame), hide_index=True)
    else:
        st.info(_("Personne n'est encore inscrit·e dans ce groupe."))
    left, right = st.columns(2)
    if course_groups.may_manage_groups(principal):
        with left:
            _enrol_form(rt, principal, group)
    with right:
        _leave_form(rt, principal, group, [row for row in learners if row.left_on is None])
    return learners


def _enrol_form(rt: Runtime, principal: Principal, group: GroupRow) -> None:
    form = f"course_enrol_{group.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Inscrire une personne accompagnée**"))
        form_state.form_error(form)
        data = {
            "code": st.text_input(
                _("Code du dossier"),
                key=f"{key}_code",
                placeholder=f"{group.site_code}-{clock.today().year}-0042",
                help=_("Un dossier en cours d'accompagnement du site du groupe."),
            )
        }
        form_state.field_error(errors, "code")
        data["enrolled_on"] = widgets.date_input(
            _("Date d'inscription"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on"
        )
        form_state.field_error(errors, "enrolled_on")
        submitted = st.form_submit_button(_("Inscrire"), type="primary")
    if submitted:

        def enrol() -> None:
            with unit_of_work(rt.engine) as uow:
                course_groups.enrol_learner(uow, principal, group_id=group.id, data=data)

        form_state.submit(form, enrol, _("{code} inscrit·e dans le groupe.").format(code=data["code"].strip().upper()))


def _leave_form(rt: Runtime, principal: Principal, group: GroupRow, enrolled: list[LearnerRow]) -> None:
    if not enrolled:
        return
    form = f"course_leave_{group.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    of = {row.enrolment_id: row for row in enrolled}
    with widgets.form(key):
        st.markdown(_("**Enregistrer une sortie du groupe**"))
        form_state.form_error(form)
        enrolment_id = widgets.selectbox(
            _("Apprenant·e"), list(of), format_func=lambda i: learner_label(of[i]), key=f"{key}_who"
        )
        data = {
            "left_on": widgets.date_input(_("Date de sortie"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on")
        }
        form_state.field_error(errors, "left_on")
        submitted = st.form_submit_button(_("Enregistrer la sortie"))
    if submitted:

        def leave() -> None:
            with unit_of_work(rt.engine) as uow:
                course_groups.record_leaving(uow, principal, enrolment_id=enrolment_id, data=data)

        form_state.submit(form, leave, _("Sortie enregistrée."))
