"""Follow-up of one learner of a group: CECRL assessments, DILF/DELF attempts, move to a mainstream course.

`follow_up_tab(rt, principal, group, learners)`; `learners` are the group's LearnerRow (with first
names for the roles that may see them). Every form goes through ui.platform.form_state.submit.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats
from models.courses import CefrLevel, Certification, CertificationResult, LanguageSkill
from models.labels import label
from services.activities.courses import assessments as language_assessments
from services.activities.courses.groups import GroupRow, LearnerRow
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.activities.courses.learners import learner_label
from ui.platform import form_state, widgets
from ui.platform.navigation import link_target
from ui.platform.runtime import Runtime

DATE_FORMAT = "DD/MM/YYYY"
LEARNER_KEY = "course_follow_up_learner"


def follow_up_tab(rt: Runtime, principal: Principal, group: GroupRow, learners: list[LearnerRow]) -> None:
    learners = [row for row in learners if not row.transferred]  # a file moved away is no longer followed here
    if not learners:
        st.info(_("Inscrivez d'abord des apprenant·es dans ce groupe."))
        return
    of = {row.person_id: row for row in learners}
    person_id = widgets.selectbox(
        _("Apprenant·e"), list(of), format_func=lambda i: learner_label(of[i]), key=f"{LEARNER_KEY}_{group.id}"
    )
    learner = of[person_id]
    with unit_of_work(rt.engine) as uow:
        assessments = language_assessments.list_assessments(uow, principal, person_id)
        attempts = language_assessments.list_certifications(uow, principal, person_id)
        transitions = language_assessments.list_transitions(uow, principal, person_id)
    _levels(assessments)
    st.page_link(
        link_target(PageKey.LANGUAGE_PROGRESS),
        label=_("Voir la courbe de progression"),
        icon=":material/trending_up:",
    )
    new_tab, cert_tab, move_tab = st.tabs([_("Nouvelle évaluation"), _("Certifications"), _("Passage en droit commun")])
    with new_tab:
        _assessment_form(rt, principal, group, learner)
    with cert_tab:
        _certifications(rt, principal, learner, attempts)
    with move_tab:
        _transitions(rt, principal, learner, transitions)


def _levels(assessments: list[language_assessments.AssessmentRow]) -> None:
    if not assessments:
        st.caption(_("Aucune évaluation : la première de chaque compétence sera son positionnement."))
        return
    latest: dict[LanguageSkill, language_assessments.AssessmentRow] = {}
    for row in assessments:  # newest first
        latest.setdefault(row.skill, row)
    st.markdown(_("**Niveaux actuels**"))
    st.dataframe(
        pd.DataFrame(
            {
                _("Compétence"): [label(skill) for skill in LanguageSkill if skill in latest],
                _("Niveau"): [label(latest[skill].level) for skill in LanguageSkill if skill in latest],
                _("Évalué le"): [formats.day(latest[skill].assessed_on) for skill in LanguageSkill if skill in latest],
            }
        ),
        hide_index=True,
    )
    with st.expander(_("Historique des évaluations ({count})").format(count=formats.number(len(assessments)))):
        st.dataframe(
            pd.DataFrame(
                {
                    _("Date"): [formats.day(r.assessed_on) for r in assessments],
                    _("Compétence"): [label(r.skill) for r in assessments],
                    _("Niveau"): [label(r.level) for r in assessments],
                    _("Type"): [_("Positionnement") if r.is_positioning else _("Réévaluation") for r in assessments],
                    _("Commentaire"): [r.comment or "" for r in assessments],
                }
            ),
            hide_index=True,
        )


def _assessment_fields(key: str, errors: dict[str, str]) -> dict[str, object]:
    """Date, skill, level and comment of an assessment (inside the form)."""
    values: dict[str, object] = {
        "assessed_on": widgets.date_input(
            _("Date de l'évaluation"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on"
        )
    }
    form_state.field_error(errors, "assessed_on")
    left, right = st.columns(2)
    values["skill"] = widgets.on(left).selectbox(
        _("Compétence"), list(LanguageSkill), format_func=label, key=f"{key}_skill"
    )
    form_state.field_error(errors, "skill")
    values["level"] = widgets.on(right).selectbox(
        _("Niveau CECRL"),
        list(CefrLevel),
        format_func=label,
        key=f"{key}_level",
        index=list(CefrLevel).index(CefrLevel.A1),
    )
    form_state.field_error(errors, "level")
    values["comment"] = st.text_area(
        _("Commentaire (facultatif)"),
        max_chars=language_assessments.COMMENT_MAX,
        key=f"{key}_comment",
        help=_("Observations pédagogiques : pas d'élément de vie privée."),
    )
    form_state.field_error(errors, "comment")
    return values


def _assessment_form(rt: Runtime, principal: Principal, group: GroupRow, learner: LearnerRow) -> None:
    form = f"language_assessment_{learner.person_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        st.caption(
            _(
                "Positionnement ou réévaluation d'une compétence. La première évaluation d'une compétence "
                "est enregistrée comme positionnement."
            )
        )
        form_state.form_error(form)
        data = _assessment_fields(key, errors)
        form_state.field_error(errors, "person_id")
        submitted = st.form_submit_button(_("Enregistrer l'évaluation"), type="primary")
    if submitted:

        def save() -> None:
            with unit_of_work(rt.engine) as uow:
                language_assessments.record_assessment(
                    uow, principal, group_id=group.id, person_id=learner.person_id, data=data
                )

        form_state.submit(
            form,
            save,
            _("Évaluation enregistrée : {skill} {level}.").format(
                skill=label(data["skill"]), level=label(data["level"])
            ),
        )


def _certifications(
    rt: Runtime, principal: Principal, learner: LearnerRow, attempts: list[language_assessments.CertificationRow]
) -> None:
    if attempts:
        st.dataframe(
            pd.DataFrame(
                {
                    _("Date de l'épreuve"): [formats.day(a.attempted_on) for a in attempts],
                    _("Certification"): [label(a.certification) for a in attempts],
                    _("Résultat"): [label(a.result) for a in attempts],
                }
            ),
            hide_index=True,
        )
    _certification_form(rt, principal, learner)
    pending = [a for a in attempts if a.result == CertificationResult.PENDING]
    if pending:
        _result_form(rt, principal, learner, pending)


def _certification_form(rt: Runtime, principal: Principal, learner: LearnerRow) -> None:
    form = f"certification_new_{learner.person_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        st.markdown(_("**Inscription ou passage d'une certification**"))
        form_state.form_error(form)
        left, middle, right = st.columns(3)
        data = {
            "certification": widgets.on(left).selectbox(
                _("Certification"), list(Certification), format_func=label, key=f"{key}_cert"
            ),
            "attempted_on": widgets.on(middle).date_input(
                _("Date de l'épreuve"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on"
            ),
            "result": widgets.on(right).selectbox(
                _("Résultat"), list(CertificationResult), format_func=label, key=f"{key}_result"
            ),
        }
        form_state.field_error(errors, "certification")
        form_state.field_error(errors, "attempted_on")
        form_state.field_error(errors, "result")
        submitted = st.form_submit_button(_("Enregistrer la certification"), type="primary")
    if submitted:

        def save() -> None:
            with unit_of_work(rt.engine) as uow:
                language_assessments.record_certification(uow, principal, person_id=learner.person_id, data=data)

        form_state.submit(form, save, _("Certification enregistrée."))


def _result_form(
    rt: Runtime, principal: Principal, learner: LearnerRow, pending: list[language_assessments.CertificationRow]
) -> None:
    form = f"certification_result_{learner.person_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    of = {a.id: a for a in pending}
    with widgets.form(key):
        st.markdown(_("**Résultat d'une épreuve en attente**"))
        form_state.form_error(form)
        attempt_id = widgets.selectbox(
            _("Épreuve"),
            list(of),
            key=f"{key}_which",
            format_func=lambda i: _("{certification} du {day}").format(
                certification=label(of[i].certification), day=formats.day(of[i].attempted_on)
            ),
        )
        data = {
            "result": st.radio(
                _("Résultat"),
                [CertificationResult.PASSED, CertificationResult.FAILED],
                format_func=label,
                horizontal=True,
                key=f"{key}_result",
            )
        }
        form_state.field_error(errors, "result")
        submitted = st.form_submit_button(_("Enregistrer le résultat"))
    if submitted:

        def update() -> None:
            with unit_of_work(rt.engine) as uow:
                language_assessments.set_certification_result(uow, principal, attempt_id, data=data)

        form_state.submit(form, update, _("Résultat enregistré."))


def _transitions(
    rt: Runtime, principal: Principal, learner: LearnerRow, transitions: list[language_assessments.TransitionRow]
) -> None:
    if transitions:
        st.dataframe(
            pd.DataFrame(
                {
                    _("Date"): [formats.day(t.moved_on) for t in transitions],
                    _("Destination"): [t.destination or "—" for t in transitions],
                }
            ),
            hide_index=True,
        )
    form = f"transition_new_{learner.person_id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        st.caption(
            _("La personne poursuit dans un cours de droit commun (compté dans le tableau de bord de la direction).")
        )
        form_state.form_error(form)
        data = {
            "moved_on": widgets.date_input(
                _("Date du passage"), value=clock.today(), format=DATE_FORMAT, key=f"{key}_on"
            )
        }
        form_state.field_error(errors, "moved_on")
        data["destination"] = st.text_input(
            _("Où (organisme, dispositif)"),
            max_chars=language_assessments.DESTINATION_MAX,
            key=f"{key}_where",
            help=_("Par exemple « GRETA — FLE professionnel »."),
        )
        form_state.field_error(errors, "destination")
        submitted = st.form_submit_button(_("Enregistrer le passage"), type="primary")
    if submitted:

        def save() -> None:
            with unit_of_work(rt.engine) as uow:
                language_assessments.record_transition(uow, principal, person_id=learner.person_id, data=data)

        form_state.submit(form, save, _("Passage en droit commun enregistré."))
