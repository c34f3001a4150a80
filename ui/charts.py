"""Altair charts with French labels."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
from babel.dates import format_date

from services.home import GrantConsumption, MonthlyPoint

FRENCH_TIME_FORMAT = {
    "dateTime": "%A %e %B %Y à %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"],
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
                    "sept.", "oct.", "nov.", "déc."],
}
FRENCH_NUMBER_FORMAT = {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"]}


def french(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """French month names and number formats in the rendered chart (Vega locale options)."""
    return chart.properties(usermeta={"embedOptions": {"timeFormatLocale": FRENCH_TIME_FORMAT,
                                                        "formatLocale": FRENCH_NUMBER_FORMAT}})


def month_label(month: date) -> str:
    """'déc. 25': Vega's own month names are English, so labels are made here."""
    return format_date(month, format="MMM yy", locale="fr_FR")


def monthly_bars(points: list[MonthlyPoint]) -> alt.TopLevelMixin:
    """One small bar chart per series, each with its own scale."""
    months = sorted({p.month for p in points})
    frame = pd.DataFrame(
        {
            "Mois": [month_label(p.month) for p in points],
            "Série": [p.series for p in points],
            "Valeur": [p.value for p in points],
        }
    )
    base = alt.Chart(frame).mark_bar(color="#7a2e5a").encode(
        x=alt.X("Mois:O", title=None, sort=[month_label(m) for m in months], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Valeur:Q", title=None, axis=alt.Axis(format=",d")),
        tooltip=["Mois:O", "Série:N", alt.Tooltip("Valeur:Q", format=",d")],
    ).properties(height=180, width=380)
    chart = base.facet(column=alt.Column("Série:N", title=None)).resolve_scale(y="independent", x="independent")
    return french(chart)


def grant_progress(grants: list[GrantConsumption]) -> alt.TopLevelMixin:
    """Share of each grant consumed against share of its period elapsed."""
    rows = []
    for grant in grants:
        rows.append({"Subvention": grant.grant_name, "Mesure": "Budget consommé", "Part": grant.consumed_share})
        rows.append({"Subvention": grant.grant_name, "Mesure": "Période écoulée", "Part": grant.elapsed_share})
    frame = pd.DataFrame(rows)
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("Mesure:N", title=None),
        x=alt.X("Part:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, max(1.0, frame["Part"].max())])),
        color=alt.Color("Mesure:N", title=None, scale=alt.Scale(range=["#7a2e5a", "#b9b9b9"]), legend=alt.Legend(orient="bottom")),
        row=alt.Row("Subvention:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["Subvention:N", "Mesure:N", alt.Tooltip("Part:Q", format=".0%")],
    ).properties(height=50, width=420)
    return french(chart)


SEVERITY_COLOURS = {"Aucun": "#9ccf9c", "Partiel": "#f0b35a", "Majeur": "#c0392b"}


def barrier_evolution(points: list) -> alt.TopLevelMixin:
    """Severity of each barrier at each assessment: one row per barrier, one column per date.

    `points` are services.pathway.BarrierPoint; dates are labelled in French ('12 mars 26')."""
    from models.labels import label

    dates = sorted({p.assessed_on for p in points})
    frame = pd.DataFrame(
        {
            "Évaluation": [format_date(p.assessed_on, format="d MMM yy", locale="fr_FR") for p in points],
            "Frein": [label(p.barrier) for p in points],
            "Niveau": [label(p.severity) for p in points],
        }
    )
    order = [format_date(d, format="d MMM yy", locale="fr_FR") for d in dates]
    base = alt.Chart(frame).encode(
        x=alt.X("Évaluation:O", title=None, sort=order, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("Frein:N", title=None),
        tooltip=["Évaluation:O", "Frein:N", "Niveau:N"],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("Niveau:N", title="Niveau du frein", sort=list(SEVERITY_COLOURS),
                        scale=alt.Scale(domain=list(SEVERITY_COLOURS), range=list(SEVERITY_COLOURS.values())),
                        legend=alt.Legend(orient="bottom")),
    )
    text = base.mark_text(fontSize=11).encode(text="Niveau:N")
    return french((cells + text).properties(height=alt.Step(28), width=alt.Step(90)))
