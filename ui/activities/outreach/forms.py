"""The round form of the Aller-vers page (new round, correction of a round): short, one column on a phone.

Drawn only for roles with RUN_FIELD_ACTIVITIES; the services check again. Errors show beside their
field and the typed values stay (ui.platform.form_state.submit); a correction carries the version first seen.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

import clock
from i18n import N_, _, formats
from models.audit import AuditAction
from models.labels import label
from models.outreach import OutreachArea, OutreachMode
from services.activities import outreach
from services.activities.outreach import RoundRow
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.activities.outreach.charts import mode_label
from ui.platform import conflicts, form_state, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

DATE_FORMAT = "DD/MM/YYYY"
# (field, label, help): French marked texts, translated where the widgets are drawn.
COUNTS = (
    ("persons_met", N_("Personnes rencontrées"), None),
    (
        "new_contacts",
        N_("Dont nouveaux contacts"),
        N_("Personnes rencontrées pour la première fois par l'association."),
    ),
    (
        "conversations",
        N_("Entretiens menés"),
        N_("Personnes avec qui un vrai échange a eu lieu (au plus une fois chacune)."),
    ),
    ("referred_to_intake", N_("Orientées vers un accueil"), N_("Personnes invitées à venir à l'accueil ou au local.")),
    ("condoms_given", N_("Préservatifs distribués"), None),
    ("leaflets_given", N_("Brochures d'information"), None),
    ("hygiene_kits_given", N_("Kits d'hygiène"), None),
)


def round_label(row: RoundRow) -> str:
    start = f" · {row.start_time:%H:%M}" if row.start_time else ""
    return f"{formats.day(row.round_on)}{start} · {mode_label(row.mode)} · {label(row.area)} · {row.site_code}"


def _number(text: str, key: str, value: int, help_text: str | None = None, step: int = 1) -> int:
    return st.number_input(md(text), min_value=0, value=value, step=step, key=key, help=md(help_text))


def _fields(
    key: str,
    errors: dict[str, str],
    *,
    staff: dict[int, str],
    chosen_staff: list[int],
    row: RoundRow | None,
    today: date,
) -> dict[str, object]:
    """The widgets of a round (inside an st.form), their values as typed (the service checks them);
    `row` fills them for a correction."""
    earliest = today - timedelta(days=outreach.MAX_AGE_DAYS)
    day_col, time_col = st.columns(2)
    with day_col:
        round_on = widgets.date_input(
            _("Date de la maraude"),
            value=row.round_on if row else today,
            format=DATE_FORMAT,
            min_value=min(earliest, row.round_on) if row else earliest,
            max_value=today,
            key=f"{key}_on",
        )
        form_state.field_error(errors, "round_on")
    with time_col:
        start_time = st.time_input(
            _("Heure de début"), value=row.start_time if row else None, step=timedelta(minutes=15), key=f"{key}_time"
        )
        form_state.field_error(errors, "start_time")
    duration = _number(
        _("Durée (minutes)"),
        f"{key}_duration",
        row.duration_minutes if row else 120,
        _("De {minimum} minutes à {maximum} heures.").format(
            minimum=outreach.MIN_DURATION, maximum=outreach.MAX_DURATION // 60
        ),
        step=15,
    )
    form_state.field_error(errors, "duration_minutes")
    modes = list(OutreachMode)
    mode = st.radio(
        _("Type de maraude"),
        modes,
        index=modes.index(row.mode) if row else 0,
        format_func=mode_label,
        horizontal=True,
        key=f"{key}_mode",
    )
    form_state.field_error(errors, "mode")
    areas = list(OutreachArea)
    area = widgets.selectbox(
        _("Secteur ou plateforme"),
        areas,
        index=areas.index(row.area) if row else 0,
        format_func=label,
        key=f"{key}_area",
        help=_("Une catégorie large seulement : jamais d'adresse, de lieu précis ni de nom de profil."),
    )
    form_state.field_error(errors, "area")
    staff_ids = widgets.multiselect(
        _("Équipe présente"),
        list(staff),
        default=chosen_staff,
        format_func=staff.get,
        key=f"{key}_staff",
        placeholder=_("Choisissez les personnes présentes"),
    )
    form_state.field_error(errors, "staff_ids")
    st.markdown(_("**Personnes rencontrées et matériel remis**"))
    counts: dict[str, int] = {}
    for pair in (COUNTS[i : i + 2] for i in range(0, len(COUNTS), 2)):  # a row per pair: same order on a phone
        for column, (name, text, help_text) in zip(st.columns(2), pair, strict=False):
            with column:
                counts[name] = _number(
                    _(text), f"{key}_{name}", getattr(row, name) if row else 0, _(help_text) if help_text else None
                )
                form_state.field_error(errors, name)
    return {
        "site_id": row.site_id if row else None,
        "round_on": round_on,
        "start_time": start_time,
        "duration_minutes": duration,
        "mode": mode,
        "area": area,
        "staff_ids": list(staff_ids),
        **counts,
    }


def new_round_form(runtime: Runtime, principal: Principal, sites: list[outreach.SiteChoice]) -> None:
    """Log a round on one of the principal's sites (the site is asked only when there are several)."""
    if not sites:
        st.info(_("Vous n'êtes rattaché·e à aucun site : aucune maraude ne peut être saisie."))
        return
    site = sites[0]
    if len(sites) > 1:
        site = widgets.selectbox(_("Site de la maraude"), sites, format_func=lambda s: s.label, key="outreach_new_site")
    with unit_of_work(runtime.engine) as session:
        staff = dict(outreach.staff_choices(session, principal, site.id))
    form = "outreach_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        form_state.field_error(errors, "site_id")
        data = _fields(
            key,
            errors,
            staff=staff,
            chosen_staff=[principal.user_id] if principal.user_id in staff else [],
            row=None,
            today=clock.today(),
        )
        submitted = st.form_submit_button(_("Enregistrer la maraude"), type="primary")
    if submitted:
        data["site_id"] = site.id

        def log() -> None:
            with unit_of_work(runtime.engine) as session:
                outreach.log_round(session, principal, data=data)

        form_state.submit(form, log, _("Maraude du {day} enregistrée.").format(day=formats.day(data["round_on"])))


def _round_values(row: RoundRow, staff_ids: list[int]) -> dict[str, object]:
    """A round's values as its correction form shows them (the base and the colleague's side of a merge)."""
    return {
        "site_id": row.site_id,
        "round_on": row.round_on,
        "start_time": row.start_time,
        "duration_minutes": row.duration_minutes,
        "mode": row.mode,
        "area": row.area,
        "staff_ids": list(staff_ids),
        **{name: getattr(row, name) for name, _text, _help in COUNTS},
    }


def _round_fields_shown(staff: dict[int, str]) -> dict[str, conflicts.Field]:
    return {
        "site_id": conflicts.Field(_("Site")),  # never changed by a correction
        "round_on": conflicts.Field(_("Date de la maraude")),
        "start_time": conflicts.Field(_("Heure de début")),
        "duration_minutes": conflicts.Field(_("Durée (minutes)")),
        "mode": conflicts.Field(_("Type de maraude"), mode_label),
        "area": conflicts.Field(_("Secteur ou plateforme")),
        "staff_ids": conflicts.Field(
            _("Équipe présente"), lambda ids: ", ".join(staff.get(i, "—") for i in ids) or "—"
        ),
        **{name: conflicts.Field(_(text)) for name, text, _help in COUNTS},
    }


def edit_round_form(runtime: Runtime, principal: Principal, rows: list[RoundRow]) -> None:
    """Correct one round of the page shown; a colleague's correction meanwhile is merged, never overwritten
    (ui.platform.conflicts)."""
    if not rows:
        return
    chosen = widgets.selectbox(_("Maraude à corriger"), rows, format_func=round_label, key="outreach_edit_choice")
    with unit_of_work(runtime.engine) as session:
        detail = outreach.round_detail(session, principal, chosen.id)
        staff = dict(outreach.staff_choices(session, principal, chosen.site_id))
    staff |= dict(detail.staff)  # someone who has left the team stays on the rounds they went on
    chosen_staff = [user_id for user_id, _unused in detail.staff]
    form = f"outreach_edit_{chosen.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as session:
            outreach.update_round(session, principal, round_id=chosen.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        chosen.id,
        version=detail.row.version,
        values=_round_values(detail.row, chosen_staff),
        fields=_round_fields_shown(staff),
        save=save,
        success=_("Maraude corrigée."),
        last_write=conflicts.audited(
            runtime.engine, principal, "outreach_round", chosen.id, [AuditAction.OUTREACH_ROUND_UPDATED]
        ),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _fields(key, errors, staff=staff, chosen_staff=chosen_staff, row=detail.row, today=clock.today())
        submitted = st.form_submit_button(_("Enregistrer les corrections"), type="primary")
    if submitted:
        edit.submit(data)
