"""Pieces of the Espace financeur page: indicator tiles, protected tables, budget aggregates.

Every value drawn here comes from services.reporting.funder_space already disclosure-controlled; this module
only lays it out (texts in the active language, captions saying what a figure means)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from i18n.formats import day, euros
from services.reporting.disclosure import below_label, hidden_label, withheld_label
from services.reporting.funder_space import FunderOverview, SeriesShown
from ui.finance import budget_text
from ui.platform.text import md


def disclosure_caption(threshold: int) -> None:
    st.caption(
        _(
            "Secret statistique : « {below} » = moins de {threshold} personnes (zéro compris), non affiché "
            "pour qu'aucune personne ne puisse être reconnue ; « {hidden} » = valeur d'au moins {threshold} "
            "masquée pour qu'une petite valeur ne puisse pas être retrouvée par différence avec les totaux ; "
            "« {withheld} » = heures ou taux de moins de {threshold} personnes, ou somme dont une partie est "
            "masquée. Les chiffres sont publiés par mois, trimestre ou groupe de trimestres terminés, jamais "
            "sur des dates libres : une période trop petite est regroupée avec la suivante."
        ).format(
            below=md(below_label(threshold)),
            threshold=md(threshold),
            hidden=md(hidden_label()),
            withheld=md(withheld_label()),
        )
    )


def _period_text(overview: FunderOverview, item) -> str:
    """The figure's own period when it differs from the chosen one (the grant to date of each indicator
    ends at its last published slot), else its note."""
    if item.period is None:
        return item.note
    return item.period.label() if item.period != overview.period else ""


def indicator_tiles(overview: FunderOverview, *, per_row: int = 4) -> None:
    items = list(overview.indicators)
    for start in range(0, len(items), per_row):
        columns = st.columns(per_row)
        for column, item in zip(columns, items[start : start + per_row], strict=False):
            when = _period_text(overview, item)
            help_text = f"{item.help} ({when})" if when else item.help
            column.metric(md(item.label), item.total.text, help=md(help_text or None))


def site_table(overview: FunderOverview) -> pd.DataFrame:
    rows = []
    for item in overview.indicators:
        row = {_("Indicateur"): item.label}
        row.update({site.code: item.by_site[site.id].text for site in overview.sites})
        row[_("Total")] = item.total.text
        row[_("Période")] = _period_text(overview, item) or (overview.period.label() if overview.period else "")
        rows.append(row)
    return pd.DataFrame(rows)


def series_frame(overview: FunderOverview, series: SeriesShown) -> pd.DataFrame:
    """Sites × published slots (months, quarters or groups of quarters), with the total of all sites."""
    site_column, total_text = _("Site"), _("Total")
    columns = [slot.period.label() for slot in series.slots]
    rows = []
    for site in overview.sites:
        row = {site_column: site.code}
        row.update({label: slot.by_site[site.id].text for label, slot in zip(columns, series.slots, strict=True)})
        rows.append(row)
    total = {site_column: total_text}
    total.update({label: slot.total.text for label, slot in zip(columns, series.slots, strict=True)})
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
