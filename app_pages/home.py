"""Accueil: the key figures of the signed-in role, within its scope."""

import streamlit as st

from models.labels import label
from services import clock, home
from services.db import unit_of_work
from services.pages import PageKey
from ui import charts, format
from ui.guards import require_page
from ui.runtime import runtime

principal = require_page(PageKey.HOME)
st.title(f"Bonjour {principal.display_name}")
st.caption(f"{label(principal.role)} · données au {format.day(clock.today())}")

with unit_of_work(runtime().engine) as session:
    overview = home.overview_for(session, principal)


def _value(figure: home.KeyFigure) -> str:
    if figure.kind == home.FigureKind.FTE:
        return format.fte(figure.value)
    if figure.kind == home.FigureKind.HOURS:
        return f"{format.number(figure.value)} h"
    return format.number(figure.value)


if overview.figures:
    columns = st.columns(min(4, len(overview.figures)))
    for index, figure in enumerate(overview.figures):
        columns[index % len(columns)].metric(figure.label, _value(figure), help=figure.help, border=True)

if overview.monthly:
    st.subheader(overview.monthly_title or "Évolution")
    st.altair_chart(charts.monthly_bars(overview.monthly))

if overview.grants:
    st.subheader("Consommation des subventions")
    st.dataframe(
        {
            "Subvention": [g.grant_name for g in overview.grants],
            "Prévu": [format.euros(g.planned_cents) for g in overview.grants],
            "Réalisé": [format.euros(g.spent_cents) for g in overview.grants],
            "Consommé": [format.percent(g.consumed_share) for g in overview.grants],
            "Période écoulée": [format.percent(g.elapsed_share) for g in overview.grants],
        },
        hide_index=True,
    )
    st.altair_chart(charts.grant_progress(overview.grants))

if not (overview.figures or overview.monthly or overview.grants):
    st.info("Aucun indicateur n'est encore disponible pour votre profil.")
