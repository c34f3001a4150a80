"""The "Séances" tab of the workshop page: lists, the roll call of a held session, planning forms.

Lists (counts only) for every role of the page; roll call and planning for the workshop team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

import pandas as pd
import streamlit as st

import clock
from i18n import N_, _, formats
from models.audit import AuditAction
from services.activities.attendance import SessionKind
from services.activities.workshops import sessions as workshop_sessions
from services.activities.workshops.sessions import Period, SessionRow
from services.platform import paging
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from ui.activities.roll_call import roll_call_grid
from ui.platform import conflicts, form_state, lazy_sections, pager, widgets
from ui.platform.runtime import Runtime

PAGE_SIZE = 20
PLAN, EDIT = "plan", "edit"  # the planning and editing sections of the tab (tests open them by name)
OPENED_SECTIONS = "workshop_sections"  # (site id or None, names of the sections opened for that choice of site)
DATE_FORMAT = "DD/MM/YYYY"
NO_PARTNER = N_("Aucun partenaire")


def _clock(value: time | None) -> str:
    if value is None:
        return ""
    return _("{hours}h{minutes}").format(hours=value.hour, minutes=f"{value.minute:02d}")


def _session_label(row: SessionRow, several_sites: bool) -> str:
    site = f"{row.site_code} · " if several_sites else ""
    when = formats.day(row.session_on) + (f" {_clock(row.start_time)}" if row.start_time else "")
    return f"{site}{when} — {row.module_name}"


def _table(rows: list[SessionRow], several_sites: bool, held: bool) -> None:
    columns = {_("Date"): [formats.day(r.session_on) for r in rows], _("Heure"): [_clock(r.start_time) for r in rows]}
    if several_sites:
        columns[_("Site")] = [r.site_code for r in rows]
    columns |= {
        _("Module"): [r.module_name for r in rows],
        _("Animation"): [", ".join(r.facilitators) for r in rows],
        _("Partenaire"): [r.partner_name or "" for r in rows],
        _("Durée"): [f"{r.duration_minutes // 60} h {r.duration_minutes % 60:02d}" for r in rows],
    }
    if held:
        columns[_("Présent·es / places")] = [f"{r.present} / {r.planned_places}" for r in rows]
        columns[_("Appel")] = [_("fait") if r.marked else _("à faire") for r in rows]
    else:
        columns[_("Places")] = [r.planned_places for r in rows]
    st.dataframe(pd.DataFrame(columns), hide_index=True)


def _listing(rt: Runtime, principal: Principal, site_id: int | None, several_sites: bool) -> tuple[Period, list]:
    """The period chosen and one page of its sessions, drawn as a table with its pager; returns the
    period and the rows of the page."""
    period = st.segmented_control(
        _("Séances"),
        [Period.HELD, Period.UPCOMING],
        default=Period.HELD,
        required=True,
        key="workshop_period",
        label_visibility="collapsed",
        format_func=lambda p: _("Passées et du jour") if p == Period.HELD else _("À venir"),
    )
    page = pager.current("workshop_page", (period, site_id))
    with unit_of_work(rt.engine) as session:
        listing = workshop_sessions.list_sessions(
            session, principal, period=period, site_id=site_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    if not listing.rows:
        st.info(_("Aucune séance pour ce choix."))
    else:
        _table(listing.rows, several_sites, period == Period.HELD)
        st.caption(
            _(
                "{count} séance(s). « Présent·es / places » : personnes notées présentes à l'appel, sur les "
                "places prévues."
            ).format(count=formats.number(listing.total))
        )
    pager.buttons("workshop_page", page, paging.page_count(listing.total, PAGE_SIZE))
    return period, listing.rows


def sessions_tab(rt: Runtime, principal: Principal, sites: list[SiteChoice], site_id: int | None, team: bool) -> None:
    several_sites = site_id is None and len(sites) > 1
    period, rows = _listing(rt, principal, site_id, several_sites)
    if not team:
        return
    if period == Period.HELD and rows:
        st.header(_("Faire l'appel"))
        # By id, as on the French-course page: the option is the session, whatever its row's counts.
        of = {row.id: row for row in rows}
        chosen = widgets.selectbox(
            _("Séance"),
            list(of),
            key=f"workshop_roll_choice_{site_id}",
            format_func=lambda session_id: _session_label(of[session_id], several_sites),
        )
        roll_call_grid(rt.engine, principal, SessionKind.WORKSHOP, chosen, "workshop_roll")
    # Two forms drawn once opened (ui.platform.lazy_sections): folded, they were most of the tab's run.
    lazy_sections.owned_section(
        st,
        _("Planifier une séance"),
        memory=OPENED_SECTIONS,
        owner=site_id,
        name=PLAN,
        draw=lambda: session_form(rt, principal, sites, site_id, None),
        icon=":material/event:",
    )
    if rows:

        def edit() -> None:
            chosen = widgets.selectbox(
                _("Séance à modifier"),
                rows,
                key=f"workshop_edit_choice_{period}_{site_id}",
                format_func=lambda r: _session_label(r, several_sites),
            )
            session_form(rt, principal, sites, site_id, chosen)

        lazy_sections.owned_section(
            st,
            _("Modifier une séance de cette page"),
            memory=OPENED_SECTIONS,
            owner=site_id,
            name=EDIT,
            draw=edit,
            icon=":material/edit:",
        )


@dataclass(frozen=True)
class _Offered:
    """What the session form of one site offers (id → name), with what the session edited already uses."""

    modules: dict[int, str]
    staff: dict[int, str]
    partners: dict[int, str]


def _offered(rt: Runtime, principal: Principal, site_id: int, current: SessionRow | None) -> _Offered:
    with unit_of_work(rt.engine) as session:
        choices = workshop_sessions.session_choices(session, principal, site_id=site_id)
    offered = _Offered(
        {c.id: c.name for c in choices.modules},
        {c.id: c.name for c in choices.facilitators},
        {c.id: c.name for c in choices.partners},
    )
    if current is not None:  # keep what the session already uses, even if no longer offered
        offered.modules.setdefault(current.module_id, current.module_name)
        offered.staff.update(dict(zip(current.facilitator_ids, current.facilitators, strict=True)))
        if current.partner_id is not None:
            offered.partners.setdefault(current.partner_id, current.partner_name or "")
    return offered


def _when_fields(key: str, errors: dict[str, str], current: SessionRow | None) -> dict[str, object]:
    """Date, start time and duration, on one row."""
    left, middle, right = st.columns(3)
    values = {
        "session_on": widgets.on(left).date_input(
            _("Date"),
            value=current.session_on if current else clock.today() + timedelta(days=7),
            format=DATE_FORMAT,
            key=f"{key}_on",
        ),
        "start_time": middle.time_input(
            _("Heure de début"),
            value=current.start_time if current else time(9, 30),
            step=timedelta(minutes=15),
            key=f"{key}_time",
        ),
        "duration_minutes": right.number_input(
            _("Durée (minutes)"),
            min_value=0,
            max_value=workshop_sessions.MAX_MINUTES,
            step=15,
            value=current.duration_minutes if current else 120,
            key=f"{key}_duration",
        ),
    }
    form_state.field_error(errors, "session_on")
    form_state.field_error(errors, "duration_minutes")
    return values


def _session_fields(key: str, errors: dict[str, str], offered: _Offered, current: SessionRow | None) -> dict:
    """The widgets of a session (inside an st.form), their values as chosen (the service checks them)."""
    module_ids = list(offered.modules)
    module_id = widgets.selectbox(
        _("Module"),
        module_ids,
        format_func=offered.modules.get,
        key=f"{key}_module",
        index=module_ids.index(current.module_id) if current else 0,
    )
    form_state.field_error(errors, "module_id")
    values = {"module_id": module_id, **_when_fields(key, errors, current)}
    values["planned_places"] = st.number_input(
        _("Places prévues"),
        min_value=0,
        max_value=workshop_sessions.MAX_PLACES,
        step=1,
        value=current.planned_places if current else 8,
        key=f"{key}_places",
    )
    form_state.field_error(errors, "planned_places")
    values["facilitator_ids"] = widgets.multiselect(
        _("Animation (membres de l'équipe du site)"),
        list(offered.staff),
        default=list(current.facilitator_ids) if current else [],
        format_func=offered.staff.get,
        key=f"{key}_staff",
    )
    form_state.field_error(errors, "facilitator_ids")
    partner_ids = [None, *offered.partners]
    values["partner_id"] = widgets.selectbox(
        _("Partenaire associé (facultatif)"),
        partner_ids,
        index=partner_ids.index(current.partner_id) if current else 0,
        format_func=lambda i: _(NO_PARTNER) if i is None else offered.partners[i],
        key=f"{key}_partner",
    )
    form_state.field_error(errors, "partner_id")
    return values


def session_form(
    rt: Runtime, principal: Principal, sites: list[SiteChoice], site_id: int | None, current: SessionRow | None
) -> None:
    """Plan a session (current None) or change one; the site is chosen first, its lists follow."""
    form = "workshop_session_new" if current is None else f"workshop_session_edit_{current.id}"
    site_ids = [s.id for s in sites]
    code_of = {s.id: s.label for s in sites}
    chosen_site = widgets.selectbox(
        _("Site de la séance"),
        site_ids,
        index=site_ids.index(current.site_id if current else (site_id or site_ids[0])),
        format_func=code_of.get,
        key=f"{form}_site",
    )
    offered = _offered(rt, principal, chosen_site, current)
    if not offered.modules:
        st.warning(
            _("Aucun module actif sur ce site : le ou la chef·fe de service peut en ajouter dans l'onglet « Modules ».")
        )
        return
    key, errors = form_state.key(form), form_state.errors(form)
    edit = _session_edit(rt, principal, form, current, offered, code_of) if current else None
    if edit:
        edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        form_state.field_error(errors, "site_id")
        data = {"site_id": chosen_site, **_session_fields(key, errors, offered, current)}
        submitted = st.form_submit_button(
            _("Planifier la séance") if current is None else _("Enregistrer la séance"), type="primary"
        )
    if submitted and edit:
        edit.submit(data)
    elif submitted:

        def create() -> None:
            with unit_of_work(rt.engine) as session:
                workshop_sessions.create_session(session, principal, data=data)

        form_state.submit(form, create, _("Séance planifiée."))


def _session_edit(
    rt: Runtime, principal: Principal, form: str, current: SessionRow, offered: _Offered, sites: dict[int, str]
) -> conflicts.VersionedEdit:
    """The change of a session: a colleague's save meanwhile is merged, never overwritten (ui.platform.conflicts)."""

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(rt.engine) as session:
            workshop_sessions.update_session(session, principal, current.id, expected_version=version, data=values)

    staff = dict(zip(current.facilitator_ids, current.facilitators, strict=False)) | offered.staff
    return conflicts.VersionedEdit(
        form,
        current.id,
        version=current.version,
        values={
            "site_id": current.site_id,
            "module_id": current.module_id,
            "session_on": current.session_on,
            "start_time": current.start_time,
            "duration_minutes": current.duration_minutes,
            "planned_places": current.planned_places,
            "facilitator_ids": list(current.facilitator_ids),
            "partner_id": current.partner_id,
        },
        fields={
            "site_id": conflicts.Field(_("Site de la séance"), lambda i: sites.get(i, "—")),
            "module_id": conflicts.Field(_("Module"), lambda i: offered.modules.get(i, current.module_name)),
            "session_on": conflicts.Field(_("Date")),
            "start_time": conflicts.Field(_("Heure de début")),
            "duration_minutes": conflicts.Field(_("Durée (minutes)")),
            "planned_places": conflicts.Field(_("Places prévues")),
            "facilitator_ids": conflicts.Field(
                _("Animation (membres de l'équipe du site)"), lambda ids: ", ".join(staff.get(i, "—") for i in ids)
            ),
            "partner_id": conflicts.Field(
                _("Partenaire associé (facultatif)"),
                lambda i: _(NO_PARTNER) if i is None else offered.partners.get(i, current.partner_name or "—"),
            ),
        },
        save=save,
        success=_("Séance modifiée."),
        last_write=conflicts.audited(
            rt.engine, principal, "workshop_session", current.id, [AuditAction.WORKSHOP_SESSION_UPDATE]
        ),
    )
