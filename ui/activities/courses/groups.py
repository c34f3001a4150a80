"""French-course groups on the Cours de français page: the list, and the create / edit forms (chef_service).

`groups_table(rows, today)` draws the groups the principal sees; `create_group_form` and
`edit_group_form` draw the forms (only call them when `services.activities.courses.groups.may_manage_groups`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats
from models.audit import AuditAction
from models.courses import CefrLevel, LearnerProfile
from models.labels import label
from services.activities.courses import groups as course_groups
from services.activities.courses.groups import GroupRow
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from ui.platform import conflicts, form_state, widgets
from ui.platform.runtime import Runtime

DATE_FORMAT = "DD/MM/YYYY"
TARGET_LEVELS = list(CefrLevel)


def period(row: GroupRow) -> str:
    if row.ends_on:
        return _("{start} → {end}").format(start=formats.day(row.starts_on), end=formats.day(row.ends_on))
    return _("depuis le {start}").format(start=formats.day(row.starts_on))


def group_label(row: GroupRow, several_sites: bool) -> str:
    return f"{row.site_code} — {row.name}" if several_sites else row.name


def groups_table(rows: list[GroupRow], today: date) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                _("Site"): [r.site_code for r in rows],
                _("Groupe"): [r.name for r in rows],
                _("Profil"): [label(r.profile) for r in rows],
                _("Niveau visé"): [label(r.target_level) for r in rows],
                _("Horaires"): [r.schedule or "" for r in rows],
                _("Période"): [period(r) for r in rows],
                _("Formateur·rices"): [", ".join(r.teacher_names) for r in rows],
                _("Apprenant·es"): [r.current_learners for r in rows],
                _("En cours"): [_("Oui") if r.is_running(today) else _("Non") for r in rows],
            }
        ),
        hide_index=True,
    )


def _description_fields(key: str, errors: dict[str, str], row: GroupRow | None) -> dict[str, object]:
    """Name, profile, target level and schedule of a group."""
    values: dict[str, object] = {
        "name": st.text_input(
            _("Nom du groupe"),
            value=row.name if row else "",
            max_chars=course_groups.NAME_MAX,
            key=f"{key}_name",
            help=_("Par exemple « FLE — objectif A2 (mardi-jeudi) »."),
        )
    }
    form_state.field_error(errors, "name")
    left, right = st.columns(2)
    values["profile"] = widgets.on(left).selectbox(
        _("Profil des apprenant·es"),
        list(LearnerProfile),
        format_func=label,
        key=f"{key}_profile",
        index=list(LearnerProfile).index(row.profile) if row else 0,
    )
    form_state.field_error(errors, "profile")
    values["target_level"] = widgets.on(right).selectbox(
        _("Niveau visé"),
        TARGET_LEVELS,
        format_func=label,
        key=f"{key}_target",
        index=TARGET_LEVELS.index(row.target_level if row else CefrLevel.A2),
    )
    form_state.field_error(errors, "target_level")
    values["schedule"] = st.text_input(
        _("Horaires"),
        value=(row.schedule or "") if row else "",
        max_chars=course_groups.SCHEDULE_MAX,
        key=f"{key}_schedule",
        help=_("Par exemple « mardi et jeudi 9h30–12h »."),
    )
    form_state.field_error(errors, "schedule")
    return values


def _period_fields(key: str, errors: dict[str, str], row: GroupRow | None) -> dict[str, object]:
    left, right = st.columns(2)
    values = {
        "starts_on": widgets.on(left).date_input(
            _("Début"), value=row.starts_on if row else clock.today(), format=DATE_FORMAT, key=f"{key}_starts"
        ),
        "ends_on": widgets.on(right).date_input(
            _("Fin (facultative)"), value=row.ends_on if row else None, format=DATE_FORMAT, key=f"{key}_ends"
        ),
    }
    form_state.field_error(errors, "starts_on")
    form_state.field_error(errors, "ends_on")
    return values


def _group_fields(
    rt: Runtime, principal: Principal, key: str, errors: dict[str, str], site_id: int, row: GroupRow | None
) -> dict:
    """The widgets of a group (inside an st.form), their values as chosen (the service checks them)."""
    with unit_of_work(rt.engine) as uow:
        teachers = course_groups.teacher_choices(uow, principal, site_id=site_id)
    teacher_of = {t.user_id: t for t in teachers}
    values = _description_fields(key, errors, row) | _period_fields(key, errors, row)
    values["teacher_ids"] = widgets.multiselect(
        _("Formateur·rices"),
        list(teacher_of),
        default=[t for t in (row.teacher_ids if row else ()) if t in teacher_of],
        format_func=lambda i: f"{teacher_of[i].display_name} ({label(teacher_of[i].role)})",
        key=f"{key}_teachers",
        placeholder=_("Choisissez au moins une personne"),
    )
    form_state.field_error(errors, "teacher_ids")
    return values


NEW_GROUP_SECTION = "courses_new_group"  # « Créer un groupe » on the course page, drawn once opened (True when open)


def create_group_form(rt: Runtime, principal: Principal, sites: list[SiteChoice]) -> None:
    form = "course_group_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    site_of = {s.id: s for s in sites}
    # Outside the form: the teachers offered depend on the site.
    site_id = widgets.selectbox(
        _("Site du groupe"), list(site_of), key=f"{key}_site", format_func=lambda i: site_of[i].label
    )
    form_state.field_error(errors, "site_id")
    with widgets.form(key):
        form_state.form_error(form)
        data = {"site_id": site_id, **_group_fields(rt, principal, key, errors, site_id, None)}
        submitted = st.form_submit_button(_("Créer le groupe"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(rt.engine) as uow:
                course_groups.create_group(uow, principal, data=data)

        form_state.submit(form, create, _("Groupe « {name} » créé.").format(name=" ".join(data["name"].split())))


def _group_values(row: GroupRow, teacher_ids: set[int]) -> dict[str, object]:
    """The group's values as its edit form shows them (the base and the colleague's side of a merge)."""
    return {
        "name": row.name,
        "profile": row.profile,
        "target_level": row.target_level,
        "schedule": row.schedule or "",
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
        "teacher_ids": [t for t in row.teacher_ids if t in teacher_ids],
    }


def _group_fields_shown(teachers: dict[int, str]) -> dict[str, conflicts.Field]:
    return {
        "name": conflicts.Field(_("Nom du groupe")),
        "profile": conflicts.Field(_("Profil des apprenant·es")),
        "target_level": conflicts.Field(_("Niveau visé")),
        "schedule": conflicts.Field(_("Horaires")),
        "starts_on": conflicts.Field(_("Début")),
        "ends_on": conflicts.Field(_("Fin (facultative)")),
        "teacher_ids": conflicts.Field(
            _("Formateur·rices"), lambda ids: ", ".join(teachers.get(i, "—") for i in ids) or "—"
        ),
    }


def edit_group_form(rt: Runtime, principal: Principal, row: GroupRow) -> None:
    """A colleague's save meanwhile is merged, never overwritten (ui.platform.conflicts)."""
    form = f"course_group_edit_{row.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with unit_of_work(rt.engine) as uow:
        teachers = {
            t.user_id: t.display_name for t in course_groups.teacher_choices(uow, principal, site_id=row.site_id)
        }

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(rt.engine) as uow:
            course_groups.update_group(uow, principal, row.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        row.id,
        version=row.version,
        values=_group_values(row, set(teachers)),
        fields=_group_fields_shown(teachers),
        save=save,
        success=_("Groupe modifié."),
        last_write=conflicts.audited(rt.engine, principal, "course_group", row.id, [AuditAction.COURSE_GROUP_UPDATE]),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _group_fields(rt, principal, key, errors, row.site_id, row)
        submitted = st.form_submit_button(_("Enregistrer le groupe"), type="primary")
    if submitted:
        edit.submit(data)
