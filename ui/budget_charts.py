"""Budget charts (Altair): the burn chart of a grant and consumption vs time elapsed per group.

Positions are drawn in euros (a float is fine for a pixel); every figure a user reads (tooltips) is
a French string made from the exact cents by ui.format.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import altair as alt
import pandas as pd
from babel.dates import format_date

from services.budget_consumption import GrantConsumptionReport, MonthlyActual, Subtotal
from services.forecast import GrantForecast
from services.staff_costs import month_end
from ui.charts import french
from ui.format import euros, percent

ACTUAL = "Réalisé cumulé"
PLAN = "Prévu (rythme linéaire)"
FORECAST = "Prévision jusqu'à la fin"
SERIES = [ACTUAL, PLAN, FORECAST]
COLOURS = ["#7a2e5a", "#9a9a9a", "#c06c9b"]
DASHES = [[1, 0], [6, 4], [2, 3]]
SHORT_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
# Vega's own month names are English: French axis labels are built by an expression.
MONTH_LABEL_EXPR = (
    "[" + ",".join(f"'{m}'" for m in SHORT_MONTHS) + "][month(datum.value)] + ' ' + timeFormat(datum.value, '%y')"
)
PERCENT_LABEL_EXPR = "format(datum.value * 100, '.0f') + '\u00a0%'"
EUROS_LABEL_EXPR = "replace(format(datum.value, ',.0f'), regexp(',', 'g'), '\u202f') + '\u00a0€'"


def _point(series: str, day: date, cents: int) -> dict:
    return {"Série": series, "Date": pd.Timestamp(day), "Euros": cents / 100,
            "Jour": format_date(day, format="d MMM y", locale="fr_FR"), "Montant": euros(cents)}


def burn_frame(report: GrantConsumptionReport, points: list[MonthlyActual], outlook: GrantForecast) -> pd.DataFrame:
    """The chart's data: cumulative actual at each month end (today for the month in progress), the
    linear plan from 0 at the start to the budget at the end, the forecast from today to the end."""
    grant, today = report.grant, report.today
    budget = report.total.planned_cents
    rows = [_point(ACTUAL, grant.starts_on, 0)] if today >= grant.starts_on else []
    for point in points:
        day = min(month_end(point.month), today)
        rows.append(_point(ACTUAL, max(day, grant.starts_on), point.cumulative_cents))
    rows += [_point(PLAN, grant.starts_on, 0), _point(PLAN, grant.ends_on, budget)]
    if today < grant.ends_on:
        rows += [_point(FORECAST, max(today, grant.starts_on), outlook.actual_cents),
                 _point(FORECAST, grant.ends_on, outlook.projected_cents)]
    return pd.DataFrame(rows)


def burn_chart(report: GrantConsumptionReport, points: list[MonthlyActual], outlook: GrantForecast
               ) -> alt.TopLevelMixin:
    frame = burn_frame(report, points, outlook)
    x = alt.X("Date:T", title=None, axis=alt.Axis(labelExpr=MONTH_LABEL_EXPR, tickCount="month", labelAngle=0))
    y = alt.Y("Euros:Q", title=None, axis=alt.Axis(labelExpr=EUROS_LABEL_EXPR))
    tooltip = [alt.Tooltip("Série:N"), alt.Tooltip("Jour:N", title="Date"), alt.Tooltip("Montant:N")]
    colour = alt.Color("Série:N", title=None, sort=SERIES, scale=alt.Scale(domain=SERIES, range=COLOURS),
                       legend=alt.Legend(orient="bottom"))
    dash = alt.StrokeDash("Série:N", sort=SERIES, scale=alt.Scale(domain=SERIES, range=DASHES), legend=None)
    lines = alt.Chart(frame).mark_line(strokeWidth=2.5).encode(x=x, y=y, color=colour, strokeDash=dash)
    dots = alt.Chart(frame).mark_point(filled=True, size=45).encode(x=x, y=y, color=colour, tooltip=tooltip)
    layers = [lines, dots]
    today = report.today
    if report.grant.starts_on <= today <= report.grant.ends_on:
        marker = pd.DataFrame({"Date": [pd.Timestamp(today)], "Texte": ["Aujourd'hui"]})
        rule = alt.Chart(marker).mark_rule(color="#444", strokeDash=[3, 3]).encode(x="Date:T")
        text = alt.Chart(marker).mark_text(align="left", dx=4, dy=-6, baseline="top", color="#444").encode(
            x="Date:T", y=alt.value(0), text="Texte:N")
        layers += [rule, text]
    return french(alt.layer(*layers).properties(height=320))


def progress_chart(groups: tuple[Subtotal, ...], elapsed: Decimal, *, title: str) -> alt.TopLevelMixin:
    """Share consumed per group (bars) against the share of the period elapsed (the vertical rule)."""
    rows = [{title: g.label, "Part": float(g.consumed_share or 0), "Consommé": percent(float(g.consumed_share or 0), 1),
             "Réalisé": euros(g.actual_cents), "Prévu": euros(g.planned_cents)} for g in groups]
    frame = pd.DataFrame(rows)
    top = max([1.0, float(elapsed)] + [r["Part"] for r in rows])
    bars = alt.Chart(frame).mark_bar(color="#7a2e5a").encode(
        y=alt.Y(f"{title}:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("Part:Q", title=None, scale=alt.Scale(domain=[0, top]), axis=alt.Axis(labelExpr=PERCENT_LABEL_EXPR)),
        tooltip=[f"{title}:N", "Consommé:N", "Réalisé:N", "Prévu:N"],
    )
    text = f"Période écoulée : {percent(float(elapsed))}"
    rule_frame = pd.DataFrame({"Part": [float(elapsed)], "Texte": [text]})
    rule = alt.Chart(rule_frame).mark_rule(color="#444", strokeDash=[4, 3], size=2).encode(x="Part:Q", tooltip=["Texte:N"])
    caption = alt.Chart(rule_frame).mark_text(align="left", dx=4, dy=-8, color="#444").encode(
        x="Part:Q", y=alt.value(0), text="Texte:N")
    return french((bars + rule + caption).properties(height=alt.Step(26)))
