"""The "Suivi" tab of the workshop page: attendance rate per module and site, persons to call back.

Rates (counts only) for every role of the page, direction included; the persons to call (codes, and
first names for roles that see identities) only for the workshop team.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import clock
from i18n import _, formats
from models.labels import label
from services.activities.workshops import figures as workshop_figures
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.activities.workshops.charts import attendance_rate_chart
from ui.persons import markers
from ui.platform import charts, widgets
from ui.platform.runtime import Runtime, field_cipher

DATE_FORMAT = "DD/MM/YYYY"


def follow_up_tab(rt: Runtime, principal: Principal, site_id: int | None, team: bool) -> None:
    today = clock.today()
    left, right = st.columns(2)
    start = widgets.on(left).date_input(
        _("Du"),
        value=clock.month_start(clock.month_start(today), -5),
        format=DATE_FORMAT,
        max_value=today,
        key="workshop_rates_start",
    )
    end = widgets.on(right).date_input(
        _("Au"), value=today, format=DATE_FORMAT, max_value=today, key="workshop_rates_end"
    )
    st.header(_("Taux de présence par module"))
    if start is None or end is None or end < start:
        st.warning(_("Choisissez une période dont la fin suit le début."))
    else:
        with unit_of_work(rt.engine) as session:
            rates = workshop_figures.attendance_rates(session, principal, start=start, end=end, site_id=site_id)
        _rates(rates)
    if team:
        _persons_to_call(rt, principal, site_id)


def _rates(rates: list[workshop_figures.ModuleRate]) -> None:
    if not rates:
        st.info(_("Aucun appel saisi sur cette période."))
        return
    charts.show(
        charts.from_aggregates(attendance_rate_chart, rates),
        _("Taux de présence par module"),
        _("Une barre par module, ou une grille site × module quand il y a plusieurs sites."),
    )
    st.caption(
        _(
            "Taux de présence = présences ÷ (présences + absences excusées + absences), pour les séances "
            "de la période dont l'appel a été fait. Une séance sans appel ne compte pas."
        )
    )
    totals = workshop_figures.site_totals(rates)
    st.dataframe(
        pd.DataFrame(
            {
                _("Site"): [t.site_code for t in totals],
                _("Séances avec appel"): [t.sessions for t in totals],
                _("Présences"): [t.present for t in totals],
                _("Absences excusées"): [t.excused for t in totals],
                _("Absences"): [t.absent for t in totals],
                _("Taux de présence"): [formats.percent(t.rate) if t.rate is not None else "—" for t in totals],
            }
        ),
        hide_index=True,
    )


def _persons_to_call(rt: Runtime, principal: Principal, site_id: int | None) -> None:
    st.header(_("Personnes à appeler"))
    names = principal.can(Capability.VIEW_IDENTITY)
    with unit_of_work(rt.engine) as session:
        people = workshop_figures.persons_to_call(
            session, principal, site_id=site_id, cipher=field_cipher() if names else None
        )
    st.caption(
        _(
            "Personnes dont les deux dernières séances d'atelier sont des absences, excusées ou non, et qui "
            "sont toujours inscrites dans un cycle : un appel pour prendre des nouvelles."
        )
    )
    if not people:
        st.success(_("Personne n'a manqué ses deux dernières séances."), icon=":material/check:")
        return
    columns = {_("Code"): [p.code for p in people]}
    if names:
        columns[_("Prénom")] = [p.first_name or "" for p in people]
        columns[_("Sécurité")] = [markers.danger(p.safety_flag) for p in people]
    columns |= {
        _("Site"): [p.site_code for p in people],
        _("Dernière séance"): [f"{formats.day(p.last_on)} ({label(p.last_status).lower()})" for p in people],
        _("Séance précédente"): [f"{formats.day(p.previous_on)} ({label(p.previous_status).lower()})" for p in people],
    }
    st.dataframe(pd.DataFrame(columns), hide_index=True)
