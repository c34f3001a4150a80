"""Pieces of the Espace financeur page: indicator tiles, protected tables, budget aggregates.

Every value drawn here comes from services.funder_space already disclosure-controlled; this module
only lays it out (French texts, captions saying what a figure means)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.disclosure import HIDDEN_LABEL, below_label
from services.funder_space import FunderOverview, MonthlyTable
from ui import budget_text
from ui.charts import month_label
from ui.format import euros


def disclosure_caption(threshold: int) -> None:
    st.caption(f"Secret statistique : « {below_label(threshold)} » = moins de {threshold} personnes (zéro compris), "
               f"non affiché pour qu'aucune personne ne puisse être reconnue ; « {HIDDEN_LABEL} » = valeur d'au "
               f"moins {threshold} masquée pour qu'une petite valeur ne puisse pas être retrouvée par différence "
               "avec les totaux. Maraudes, séances, heures et taux ne sont pas masqués.")


def indicator_tiles(overview: FunderOverview, *, per_row: int = 4) -> None:
    items = list(overview.indicators)
    for start in range(0, len(items), per_row):
        columns = st.columns(per_row)
        for column, item in zip(columns, items[start:start + per_row], strict=False):
            column.metric(item.label, item.total.text, help=item.help or None)


def site_table(overview: FunderOverview) -> pd.DataFrame:
    rows = []
    for item in overview.indicators:
        row = {"Indicateur": item.label}
        row.update({site.code: item.by_site[site.id].text for site in overview.sites})
        row["Total"] = item.total.text
        rows.append(row)
    return pd.DataFrame(rows)


def monthly_frame(overview: FunderOverview, monthly: MonthlyTable) -> pd.DataFrame:
    table = monthly.table
    columns = [month_label(m) for m in monthly.months]
    rows = []
    for site in overview.sites:
        row = {"Site": site.code}
        row.update({label: table.display(site.id, m) for label, m in zip(columns, monthly.months, strict=True)})
        row["Total"] = table.row_total(site.id).text
        rows.append(row)
    total = {"Site": "Total"}
    total.update({label: table.col_total(m).text for label, m in zip(columns, monthly.months, strict=True)})
    total["Total"] = table.grand_total.text
    rows.append(total)
    return pd.DataFrame(rows)


def consumption_tables(overview: FunderOverview) -> None:
    total = overview.consumption.total
    by_strand, by_category = st.tabs(["Par volet", "Par catégorie"])
    with by_strand:
        st.dataframe(budget_text.subtotal_table(overview.by_strand, total, name="Volet"), hide_index=True)
    with by_category:
        st.dataframe(budget_text.subtotal_table(overview.by_category, total, name="Catégorie"), hide_index=True)
    st.caption(f"Montants au {overview.as_of:%d/%m/%Y} : dépenses enregistrées jusqu'à cette date. La dernière "
               f"ligne est la somme exacte des lignes au-dessus. Total prévu : {euros(total.planned_cents)}.")
