"""Recruitment follow-up of funded posts, on the Postes page and the director's home page: the posts late to
fill (a marker and a short list), every funded post's stages against its planned start, and gestion's form
(a new plan, or the stages of a plan merged with a colleague's save: ui.platform.conflicts)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

import clock
from i18n import N_, _, formats
from models.audit import AuditAction
from models.labels import label
from services.finance.staffing import recruitment
from services.finance.staffing.recruitment import RecruitmentRow, RecruitmentStatus
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.platform import conflicts, form_state, widgets
from ui.platform.navigation import link_target
from ui.platform.text import md

SHORT_LIST = 5
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 1, 1)
STAGE_FIELDS = (
    ("advertised_on", N_("Annonce publiée le")),
    ("interviews_on", N_("Entretiens le")),
    ("hired_on", N_("Recruté·e le")),
    ("started_on", N_("En poste le")),
)


def _day(day: date | None) -> str:
    return formats.NO_VALUE if day is None else formats.day(day)


def _grants(row: RecruitmentRow) -> str:
    return ", ".join(row.grant_names)


def late_list(rows: list[RecruitmentRow], *, link: bool = False) -> None:
    """A marker (how many funded posts are late to fill) and the short list of the latest ones."""
    late = [r for r in rows if r.status == RecruitmentStatus.LATE]
    st.subheader(_("Recrutements en retard"))
    if not late:
        st.success(_("Aucun poste financé en retard de recrutement."), icon=":material/check_circle:")
    else:
        st.warning(
            _("{count} poste(s) financé(s) en retard de recrutement.").format(count=md(len(late))),
            icon=":material/person_search:",
        )
        shown = late[:SHORT_LIST]
        st.dataframe(
            pd.DataFrame(
                {
                    _("Poste"): [r.label for r in shown],
                    _("Financé par"): [_grants(r) for r in shown],
                    _("Prise de poste prévue"): [_day(r.planned_start_on) for r in shown],
                    _("Retard (jours)"): [r.late_days for r in shown],
                    _("Étape atteinte"): [label(r.stage) for r in shown],
                }
            ),
            hide_index=True,
        )
        if len(late) > SHORT_LIST:
            st.caption(_("Et {count} autre(s).").format(count=md(len(late) - SHORT_LIST)))
    if link:
        st.page_link(link_target(PageKey.STAFFING), label=_("Voir le suivi des recrutements"), icon=":material/work:")


def _status_text(row: RecruitmentRow) -> str:
    text = label(row.status)
    if row.status == RecruitmentStatus.LATE:
        return f"⚠ {text} ({row.late_days} j)"
    return text


def followup_table(rows: list[RecruitmentRow]) -> None:
    st.subheader(_("Suivi des recrutements des postes financés"))
    if not rows:
        st.info(_("Aucun poste financé."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Poste"): [r.label for r in rows],
                _("Financé par"): [_grants(r) for r in rows],
                _("Prise de poste prévue"): [_day(r.planned_start_on) for r in rows],
                _("Étape"): [label(r.stage) for r in rows],
                _("Annonce"): [_day(r.advertised_on) for r in rows],
                _("Entretiens"): [_day(r.interviews_on) for r in rows],
                _("Recrutement"): [_day(r.hired_on) for r in rows],
                _("Prise de poste"): [_day(r.started_on) for r in rows],
                _("Situation"): [_status_text(r) for r in rows],
            }
        ),
        hide_index=True,
    )
    st.caption(
        _(
            "Étapes : à ouvrir, annonce publiée, entretiens, recruté·e, en poste. Un poste est en retard quand sa "
            "prise de poste prévue (dans la période de la convention) est passée sans personne en poste ; à "
            "surveiller quand elle arrive dans moins de {days} jours sans recrutement."
        ).format(days=md(recruitment.AT_RISK_DAYS))
    )


def _fields(key: str, errors: dict[str, str], row: RecruitmentRow) -> dict:
    values = {
        "planned_start_on": widgets.date_input(
            _("Prise de poste prévue"),
            value=row.planned_start_on,
            key=f"{key}_planned",
            min_value=EARLIEST,
            max_value=LATEST,
            help=_("Dans la période d'une convention qui finance le poste (son plan sur 18 mois)."),
        )
    }
    form_state.field_error(errors, "planned_start_on")
    columns = st.columns(len(STAGE_FIELDS))
    for column, (field, text) in zip(columns, STAGE_FIELDS, strict=True):
        values[field] = widgets.on(column).date_input(
            _(text), value=getattr(row, field), key=f"{key}_{field}", min_value=EARLIEST, max_value=LATEST
        )
        with column:
            form_state.field_error(errors, field)
    return values


def recruitment_form(engine: Engine, principal: Principal, rows: list[RecruitmentRow]) -> None:
    """gestion: plan the recruitment of a funded post, or date the stages it reached."""
    if not rows:
        return
    st.subheader(_("Enregistrer une étape de recrutement"))
    chosen = widgets.selectbox(
        _("Poste financé"), rows, format_func=lambda r: f"{r.label} — {label(r.status)}", key="recruitment_post"
    )
    form = f"recruitment_{chosen.post_id}"
    key, errors = form_state.key(form), form_state.errors(form)
    edit = None
    if chosen.recruitment_id is not None:

        def save(version: int, values: dict[str, object]) -> None:
            with unit_of_work(engine) as uow:
                recruitment.save_recruitment(
                    uow, principal, chosen.post_id, expected_version=version, data=values, today=clock.today()
                )

        edit = conflicts.VersionedEdit(
            form,
            chosen.recruitment_id,
            version=chosen.version,
            values={name: getattr(chosen, name) for name in ("planned_start_on", *(f for f, _t in STAGE_FIELDS))},
            fields={
                "planned_start_on": conflicts.Field(_("Prise de poste prévue")),
                **{field: conflicts.Field(_(text)) for field, text in STAGE_FIELDS},
            },
            save=save,
            success=_("Recrutement enregistré."),
            last_write=conflicts.audited(
                engine, principal, "post_recruitment", chosen.recruitment_id, [AuditAction.POST_RECRUITMENT_SAVE]
            ),
        )
        edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _fields(key, errors, chosen)
        submitted = st.form_submit_button(_("Enregistrer le recrutement"), type="primary")
    if submitted and edit is not None:
        edit.submit(data)
    elif submitted:

        def create() -> None:
            with unit_of_work(engine) as uow:
                recruitment.save_recruitment(
                    uow, principal, chosen.post_id, expected_version=None, data=data, today=clock.today()
                )

        form_state.submit(form, create, _("Plan de recrutement enregistré."))
