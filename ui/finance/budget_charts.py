"""Budget charts (Altair): the burn chart of a grant and consumption vs time elapsed per group.

Positions are drawn in euros (a float is fine for a pixel); every figure a user reads (tooltips) is
a string in the session's language made from the exact cents by i18n.formats. Field names of the
data frames stay French identifiers; what a person reads (series, tooltip titles) goes through _().
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import altair as alt
import pandas as pd

from clock import month_end
from i18n import ENGLISH, N_, _, formats, language
from i18n.formats import euros, percent
from services.finance.consumption import GrantConsumptionReport, MonthlyActual, Subtotal
from services.finance.forecast import GrantForecast
from ui.platform.charts import localised, month_names_expr

# Series names (message ids): the chart shows _(name).
ACTUAL = N_("Réalisé cumulé")
PLAN = N_("Prévu (rythme linéaire)")
FORECAST = N_("Prévision jusqu'à la fin")
SERIES = [ACTUAL, PLAN, FORECAST]
# The text alternative of the burn chart (ui.platform.charts.show).
BURN_SUMMARY = N_(
    "Trois courbes mois par mois : dépenses cumulées, budget prévu au prorata du temps et prévision jusqu'à la "
    "fin de la convention."
)
COLOURS = ["#7a2e5a", "#9a9a9a", "#c06c9b"]
DASHES = [[1, 0], [6, 4], [2, 3]]
PERCENT_LABEL_EXPR = "format(datum.value * 100, '.0f') + '\u00a0%'"
EUROS_LABEL_EXPR = "replace(format(datum.value, ',.0f'), regexp(',', 'g'), '\u202f') + '\u00a0€'"
ENGLISH_PERCENT_LABEL_EXPR = "format(datum.value * 100, '.0f') + '%'"
ENGLISH_EUROS_LABEL_EXPR = "'€' + format(datum.value, ',.0f')"


def month_label_expr() -> str:
    """Axis labels 'janv. 26' / 'Jan 26' in the session's language (Vega's own month names are English,
    and its locale is set by ui.platform.charts.localised): built by an expression from Babel's names."""
    return f"{month_names_expr()}[month(datum.value)] + ' ' + timeFormat(datum.value, '%y')"


def percent_label_expr() -> str:
    return ENGLISH_PERCENT_LABEL_EXPR if language() == ENGLISH else PERCENT_LABEL_EXPR


def euros_label_expr() -> str:
    return ENGLISH_EUROS_LABEL_EXPR if language() == ENGLISH else EUROS_LABEL_EXPR


def _point(series: str, day: date, cents: int) -> dict:
    return {
        "Série": _(series),
        "Date": pd.Timestamp(day),
        "Euros": cents / 100,
        "Jour": formats.day(day),
        "Montant": euros(cents),
    }


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
        rows += [
            _point(FORECAST, max(today, grant.starts_on), outlook.actual_cents),
            _point(FORECAST, grant.ends_on, outlook.projected_cents),
        ]
    return pd.DataFrame(rows)


def burn_chart(
    report: GrantConsumptionReport, points: list[MonthlyActual], outlook: GrantForecast
) -> alt.TopLevelMixin:
    frame = burn_frame(report, points, outlook)
    series = [_(name) for name in SERIES]
    x = alt.X("Date:T", title=None, axis=alt.Axis(labelExpr=month_label_expr(), tickCount="month", labelAngle=0))
    y = alt.Y("Euros:Q", title=None, axis=alt.Axis(labelExpr=euros_label_expr()))
    tooltip = [
        alt.Tooltip("Série:N", title=_("Série")),
        alt.Tooltip("Jour:N", title=_("Date")),
        alt.Tooltip("Montant:N", title=_("Montant")),
    ]
    colour = alt.Color(
        "Série:N",
        title=None,
        sort=series,
        scale=alt.Scale(domain=series, range=COLOURS),
        legend=alt.Legend(orient="bottom"),
    )
    dash = alt.StrokeDash("Série:N", sort=series, scale=alt.Scale(domain=series, range=DASHES), legend=None)
    lines = alt.Chart(frame).mark_line(strokeWidth=2.5).encode(x=x, y=y, color=colour, strokeDash=dash)
    dots = alt.Chart(frame).mark_point(filled=True, size=45).encode(x=x, y=y, color=colour, tooltip=tooltip)
    layers = [lines, dots]
    today = report.today
    if report.grant.starts_on <= today <= report.grant.ends_on:
        marker = pd.DataFrame({"Date": [pd.Timestamp(today)], "Texte": [_("Aujourd'hui")]})
        rule = alt.Chart(marker).mark_rule(color="#444", strokeDash=[3, 3]).encode(x=alt.X("Date:T", title=None))
        text = (
            alt.Chart(marker)
            .mark_text(align="left", dx=4, dy=-6, baseline="top", color="#444")
            .encode(x=alt.X("Date:T", title=None), y=alt.value(0), text=alt.Text("Texte:N", title=None))
        )
        layers += [rule, text]
    return localised(alt.layer(*layers).properties(height=320))


def progress_chart(groups: tuple[Subtotal, ...], elapsed: Decimal, *, title: str) -> alt.TopLevelMixin:
    """Share consumed per group (bars) against the share of the period elapsed (the vertical rule)."""
    rows = [
        {
            title: g.label,
            "Part": float(g.consumed_share or 0),
            "Consommé": percent(float(g.consumed_share or 0), 1),
            "Réalisé": euros(g.actual_cents),
            "Prévu": euros(g.planned_cents),
        }
        for g in groups
    ]
    frame = pd.DataFrame(rows)
    top = max([1.0, float(elapsed)] + [r["Part"] for r in rows])
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#7a2e5a")
        .encode(
            y=alt.Y(f"{title}:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(
                "Part:Q", title=None, scale=alt.Scale(domain=[0, top]), axis=alt.Axis(labelExpr=percent_label_expr())
            ),
            tooltip=[
                alt.Tooltip(f"{title}:N", title=title),
                alt.Tooltip("Consommé:N", title=_("Consommé")),
                alt.Tooltip("Réalisé:N", title=_("Réalisé")),
                alt.Tooltip("Prévu:N", title=_("Prévu")),
            ],
        )
    )
    text = _("Période écoulée : {share}").format(share=percent(float(elapsed)))
    rule_frame = pd.DataFrame({"Part": [float(elapsed)], "Texte": [text]})
    rule = (
        alt.Chart(rule_frame)
        .mark_rule(color="#444", strokeDash=[4, 3], size=2)
        .encode(x=alt.X("Part:Q", title=None), tooltip=[alt.Tooltip("Texte:N", title=_("Texte"))])
    )
    caption = (
        alt.Chart(rule_frame)
        .mark_text(align="left", dx=4, dy=-8, color="#444")
        .encode(x=alt.X("Part:Q", title=None), y=alt.value(0), text=alt.Text("Texte:N", title=None))
    )
    return localised((bars + rule + caption).properties(height=alt.Step(26)))
