"""Pieces of the Espace financeur page: indicator tiles, protected tables, budget aggregates.

Every value drawn here comes from services.reporting.funder_space already disclosure-controlled; this module
only lays it out (texts in the active language, captions saying what a figure means)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from i18n.formats import day, euros
from services.reporting.disclosure import below_label, hidden_label
from services.reporting.funder_space import FunderOverview, MonthlyTable
from ui.finance import budget_text
from ui.platform.charts import month_label
from ui.platform.text import md


def disclosure_caption(threshold: int) -> None:
    st.caption(
        _(
            "Secret statistique : « {below} » = moins de {threshold} personnes (zéro compris), non affiché "
            "pour qu'aucune personne ne puisse être reconnue ; « {hidden} » = valeur d'au moins {threshold} "
            "masquée pour qu'une petite valeur ne puisse pas être retrouvée par différence avec les totaux. "
            "Maraudes, séances, heures et taux ne sont pas masqués."
        ).format(below=md(below_label(threshold)), threshold=md(threshold), hidden=md(hidden_label()))
    )


def indicator_tiles(overview: FunderOverview, *, per_row: int = 4) -> None:
    items = list(overview.indicators)
    for start in range(0, len(items), per_row):
        columns = st.columns(per_row)
        for column, item in zip(columns, items[start : start + per_row], strict=False):
            column.metric(md(item.label), item.total.text, help=md(item.help or None))


def site_table(overview: FunderOverview) -> pd.DataFrame:
    rows = []
    for item in overview.indicators:
        row = {_("Indicateur"): item.label}
        row.update({site.code: item.by_site[site.id].text for site in overview.sites})
        row[_("Total")] = item.total.text
        rows.append(row)
    return pd.DataFrame(rows)


def monthly_frame(overview: FunderOverview, monthly: MonthlyTable) -> pd.DataFrame:
    table = monthly.table
    columns = [month_label(m) for m in monthly.months]
    site_column, total_text = _("Site"), _("Total")
    rows = []
    for site in overview.sites:
        row = {site_column: site.code}
        row.update({label: table.display(site.id, m) for label, m in zip(columns, monthly.months, strict=True)})
        row[total_text] = table.row_total(site.id).text
        rows.append(row)
    total = {site_column: total_text}
    total.update({label: table.col_total(m).text for label, m in zip(columns, monthly.months, strict=True)})
    total[total_text] = table.grand_total.text
    rows.append(total)
    return pd.DataFrame(rows)


def consumption_tables(overview: FunderOverview) -> None:
    total = overview.consumption.total
    by_strand, by_category = st.tabs([_("Par volet"), _("Par catégorie")])
    with by_strand:
        st.dataframe(budget_text.subtotal_table(overview.by_strand, total, name=_("Volet")), hide_index=True)
    with by_category:
        st.dataframe(budget_text.subtotal_table(overview.by_category, total, name=_("Catégorie")), hide_index=True)
    st.caption(
        _(
            "Montants au {day} : dépenses enregistrées jusqu'à cette date. La dernière ligne est la somme "
            "exacte des lignes au-dessus. Total prévu : {planned}."
        ).format(day=day(overview.as_of), planned=euros(total.planned_cents))
    )
