"""Altair charts of the dashboard: 12-month trends, the cohort funnel, referrals by partner kind and
FTE funded vs filled per site. Labels in French (ui.charts.french, month_label); the figures a user
reads in tooltips and labels are French strings from ui.format."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from models.labels import label
from services.dashboard_figures import FunnelStep, MonthlyValue
from services.indicators import Indicator
from services.staffing_figures import FteFigure
from ui.charts import french, month_label
from ui.format import fte, number, percent

COLOURS = ["#7a2e5a", "#d08bb0", "#2a7f62", "#9a9a9a"]


def trend_chart(points: Sequence[MonthlyValue], keys: Sequence[str], *,
                names: dict[str, str] | None = None) -> alt.TopLevelMixin:
    """Bars per month for one or a few series (stacked), every month of the window shown. No title or
    top legend inside the chart (Streamlit squeezes the plot when a row of charts has them): the page
    writes the title above it, the legend is at the bottom."""
    chosen = [p for p in points if p.key in keys]
    months = sorted({p.month for p in chosen})
    order = [month_label(m) for m in months]
    series = [(names or {}).get(key, next((p.label for p in chosen if p.key == key), key)) for key in keys]
    frame = pd.DataFrame(
        [{"Mois": month_label(p.month), "Série": series[list(keys).index(p.key)], "Valeur": float(p.value),
          "Texte": number(p.value)} for p in chosen],
        columns=["Mois", "Série", "Valeur", "Texte"],
    )
    colour = (alt.Color("Série:N", title=None, sort=series, scale=alt.Scale(domain=series, range=COLOURS[:len(series)]),
                        legend=alt.Legend(orient="bottom") if len(series) > 1 else None))
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("Mois:O", title=None, sort=order, scale=alt.Scale(domain=order),
                axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("Valeur:Q", title=None, stack=True, axis=alt.Axis(format=",d", tickMinStep=1)),
        color=colour,
        order=alt.Order("Série:N"),
        tooltip=[alt.Tooltip("Mois:O"), alt.Tooltip("Série:N"), alt.Tooltip("Texte:N", title="Valeur")],
    ).properties(height=190)
    return french(chart)


def funnel_chart(steps: Sequence[FunnelStep]) -> alt.TopLevelMixin:
    """Horizontal bars, one per step, labelled '314 (42 %)' (share of the cohort)."""
    rows = [{"Étape": step.label, "Personnes": step.persons,
             "Texte": f"{number(step.persons)} ({percent(float(step.share)) if step.share is not None else '—'})"}
            for step in steps]
    frame = pd.DataFrame(rows, columns=["Étape", "Personnes", "Texte"])
    order = [step.label for step in steps]
    top = max([1] + [step.persons for step in steps])
    base = alt.Chart(frame).encode(
        y=alt.Y("Étape:N", title=None, sort=order, axis=alt.Axis(labelLimit=320)),
        x=alt.X("Personnes:Q", title=None, scale=alt.Scale(domain=[0, top * 1.25]), axis=alt.Axis(format=",d")),
        tooltip=[alt.Tooltip("Étape:N"), alt.Tooltip("Texte:N", title="Personnes (part de la cohorte)")],
    )
    bars = base.mark_bar(color=COLOURS[0])
    text = base.mark_text(align="left", dx=4, color="#333").encode(text="Texte:N")
    return french((bars + text).properties(height=alt.Step(34)))


def referrals_chart(current: Sequence[tuple[object, Indicator]], previous: Sequence[tuple[object, Indicator]]
                    ) -> alt.TopLevelMixin:
    """Referrals per partner kind, this period and the previous one side by side."""
    rows = []
    for period, pairs in (("Période", current), ("Période précédente", previous)):
        for kind, indicator in pairs:
            rows.append({"Partenaire": label(kind), "Période": period, "Orientations": int(indicator.value or 0),
                         "Texte": number(indicator.value or 0)})
    frame = pd.DataFrame(rows, columns=["Partenaire", "Période", "Orientations", "Texte"])
    periods = ["Période", "Période précédente"]
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("Partenaire:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220)),
        yOffset=alt.YOffset("Période:N", sort=periods),
        x=alt.X("Orientations:Q", title=None, axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("Période:N", title=None, sort=periods,
                        scale=alt.Scale(domain=periods, range=[COLOURS[0], "#c8c8c8"]),
                        legend=alt.Legend(orient="top")),
        tooltip=["Partenaire:N", "Période:N", alt.Tooltip("Texte:N", title="Orientations")],
    ).properties(height=alt.Step(12))
    return french(chart)


def fte_by_site(figures: Sequence[FteFigure], names: dict[str, str]) -> alt.TopLevelMixin:
    """FTE funded vs filled per site (sum of the post types), side by side."""
    funded: dict[str, int] = {}
    filled: dict[str, int] = {}
    for figure in figures:
        funded[figure.site_code] = funded.get(figure.site_code, 0) + figure.funded_hundredths
        filled[figure.site_code] = filled.get(figure.site_code, 0) + figure.filled_hundredths
    series = ["ETP financés", "ETP pourvus"]
    rows = []
    for code in funded:
        for name, values in zip(series, (funded, filled), strict=True):
            rows.append({"Site": names.get(code, code), "Série": name, "ETP": values[code] / 100,
                         "Texte": fte(values[code])})
    frame = pd.DataFrame(rows, columns=["Site", "Série", "ETP", "Texte"])
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("Site:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("Série:N", sort=series),
        y=alt.Y("ETP:Q", title="ETP", axis=alt.Axis(format=",.1f")),
        color=alt.Color("Série:N", title=None, sort=series,
                        scale=alt.Scale(domain=series, range=[COLOURS[0], COLOURS[2]]),
                        legend=alt.Legend(orient="top")),
        tooltip=["Site:N", "Série:N", alt.Tooltip("Texte:N", title="ETP")],
    ).properties(height=240)
    return french(chart)
