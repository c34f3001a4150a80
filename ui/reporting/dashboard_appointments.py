"""The dashboard's « Rendez-vous et accompagnements » section: a chart of the 12 months (accompaniments and
other appointments, all chosen sites together) and the table per site and month (appointments,
accompaniments, hours, share with an interpreter). Figures from services.reporting.dashboard (aggregates
computed in SQL, persons without statistics consent left out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from i18n import _
from i18n.formats import day, number, percent
from services.reporting.dashboard import AppointmentMonth, Dashboard
from ui.platform import charts
from ui.platform.charts import month_label
from ui.reporting.dashboard_charts import stacked_monthly_bars


def appointments_chart(months: Sequence[AppointmentMonth], window: Sequence[date]) -> alt.TopLevelMixin:
    """Stacked bars per month of the window: accompaniments, then the other appointments."""
    series = [_("Accompagnements"), _("Autres rendez-vous")]
    totals: dict[date, list[int]] = {month: [0, 0] for month in window}
    for row in months:
        if row.month in totals:
            totals[row.month][0] += row.accompaniments
            totals[row.month][1] += row.appointments - row.accompaniments
    order = [month_label(month) for month in window]
    frame = pd.DataFrame(
        [
            {"month": month_label(month), "series": name, "value": values[index], "text": number(values[index])}
            for month, values in totals.items()
            for index, name in enumerate(series)
        ],
        columns=["month", "series", "value", "text"],
    )
    return stacked_monthly_bars(frame, order, series)


def appointments_frame(months: Sequence[AppointmentMonth], names: dict[int, str]) -> pd.DataFrame:
    """One line per site and month with at least one appointment, latest month first."""
    rows = sorted(months, key=lambda row: (row.month, names.get(row.site_id, "")), reverse=True)
    share = _("Part avec interprète")
    return pd.DataFrame(
        {
            _("Mois"): [month_label(row.month) for row in rows],
            _("Site"): [names.get(row.site_id, "—") for row in rows],
            _("Rendez-vous"): [number(row.appointments) for row in rows],
            _("Accompagnements"): [number(row.accompaniments) for row in rows],
            _("Heures"): [_("{hours}\u00a0h").format(hours=number(row.hours)) for row in rows],
            _("Avec interprète"): [number(row.with_interpreter) for row in rows],
            share: [
                percent(float(row.interpreter_share)) if row.interpreter_share is not None else "—" for row in rows
            ],
        }
    )


def appointments_section(board: Dashboard, window: Sequence[date]) -> None:
    """The section, drawn on the page under its own header."""
    st.header(_("Rendez-vous et accompagnements"))
    months = board.appointments
    if not months:
        st.info(_("Aucun rendez-vous enregistré sur les 12 mois pour ces sites."))
        return
    charts.show(
        charts.from_aggregates(appointments_chart, months, window),
        _("Rendez-vous et accompagnements"),
        _("Par mois sur les 12 derniers mois, barres empilées : accompagnements et autres rendez-vous."),
        width="stretch",
    )
    names = {site.id: site.name for site in board.sites}
    st.dataframe(appointments_frame(months, names), hide_index=True)
    total = sum(row.appointments for row in months)
    accompanied = sum(row.accompaniments for row in months)
    interpreted = sum(row.with_interpreter for row in months)
    st.caption(
        _(
            "Les 12 mois jusqu'au {day} : {total} rendez-vous, dont {accompanied} accompagnements physiques "
            "et {interpreted} avec interprète. Les personnes qui ont retiré leur consentement aux statistiques "
            "n'y sont pas comptées."
        ).format(
            day=day(board.end), total=number(total), accompanied=number(accompanied), interpreted=number(interpreted)
        )
    )
