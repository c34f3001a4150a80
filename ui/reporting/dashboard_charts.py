"""Altair charts of the dashboard: 12-month trends, the cohort funnel, referrals by partner kind and
FTE funded vs filled per site. Labels in the active language (ui.platform.charts.localised, month_label); the
figures a user reads in tooltips and labels are strings from i18n.formats. The data frames' column
names are internal field names: every title a user reads is given explicitly."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from i18n import _
from i18n.formats import fte, number, percent
from models.labels import label
from services.finance.staffing.figures import FteFigure
from services.reporting.dashboard import FunnelStep, Indicator, MonthlyValue
from ui.platform.charts import localised, month_label

COLOURS = ["#7a2e5a", "#d08bb0", "#2a7f62", "#9a9a9a"]
# Enough colours for the longest series drawn together (the outcome categories, « autre » last in grey).
SERIES_COLOURS = ["#7a2e5a", "#d08bb0", "#2a7f62", "#8fc7b1", "#2f5d8a", "#9cb9d9", "#b5651d", "#e3b36b", "#9a9a9a"]


def trend_chart(
    points: Sequence[MonthlyValue], keys: Sequence[str], *, names: dict[str, str] | None = None
) -> alt.TopLevelMixin:
    """Bars per month for one or a few series (stacked), every month of the window shown. No title or
    top legend inside the chart (Streamlit squeezes the plot when a row of charts has them): the page
    writes the title above it, the legend is at the bottom."""
    chosen = [p for p in points if p.key in keys]
    months = sorted({p.month for p in chosen})
    order = [month_label(m) for m in months]
    series = [(names or {}).get(key, next((p.label for p in chosen if p.key == key), key)) for key in keys]
    frame = pd.DataFrame(
        [
            {
                "month": month_label(p.month),
                "series": series[list(keys).index(p.key)],
                "value": float(p.value),
                "text": number(p.value),
            }
            for p in chosen
        ],
        columns=["month", "series", "value", "text"],
    )
    return stacked_monthly_bars(frame, order, series)


def stacked_monthly_bars(frame: pd.DataFrame, order: list[str], series: list[str]) -> alt.TopLevelMixin:
    """Bars per month of `order` (the frame's columns: month label, series, value, text shown), stacked by
    series in the order of `series`; a legend at the bottom when there is more than one."""
    colour = alt.Color(
        "series:N",
        title=None,
        sort=series,
        scale=alt.Scale(
            domain=series, range=(COLOURS if len(series) <= len(COLOURS) else SERIES_COLOURS)[: len(series)]
        ),
        legend=alt.Legend(orient="bottom") if len(series) > 1 else None,
    )
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "month:O",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order),
                axis=alt.Axis(labelAngle=0, labelOverlap=True),
            ),
            y=alt.Y("value:Q", title=None, stack=True, axis=alt.Axis(format=",d", tickMinStep=1)),
            color=colour,
            order=alt.Order("series:N"),
            tooltip=[
                alt.Tooltip("month:O", title=_("Mois")),
                alt.Tooltip("series:N", title=_("Série")),
                alt.Tooltip("text:N", title=_("Valeur")),
            ],
        )
        .properties(height=190)
    )
    return localised(chart)


def funnel_chart(steps: Sequence[FunnelStep]) -> alt.TopLevelMixin:
    """Horizontal bars, one per step, labelled '314 (42 %)' (share of the cohort)."""
    rows = [
        {
            "step": step.label,
            "persons": step.persons,
            "text": f"{number(step.persons)} ({percent(float(step.share)) if step.share is not None else '—'})",
        }
        for step in steps
    ]
    frame = pd.DataFrame(rows, columns=["step", "persons", "text"])
    order = [step.label for step in steps]
    top = max([1] + [step.persons for step in steps])
    base = alt.Chart(frame).encode(
        y=alt.Y("step:N", title=None, sort=order, axis=alt.Axis(labelLimit=320)),
        x=alt.X("persons:Q", title=None, scale=alt.Scale(domain=[0, top * 1.25]), axis=alt.Axis(format=",d")),
        tooltip=[
            alt.Tooltip("step:N", title=_("Étape")),
            alt.Tooltip("text:N", title=_("Personnes (part de la cohorte)")),
        ],
    )
    bars = base.mark_bar(color=COLOURS[0])
    text = base.mark_text(align="left", dx=4, color="#333").encode(text="text:N")
    return localised((bars + text).properties(height=alt.Step(34)))


def referrals_chart(
    current: Sequence[tuple[object, Indicator]], previous: Sequence[tuple[object, Indicator]]
) -> alt.TopLevelMixin:
    """Referrals per partner kind, this period and the previous one side by side."""
    periods = [_("Période"), _("Période précédente")]
    rows = []
    for period, pairs in zip(periods, (current, previous), strict=True):
        for kind, indicator in pairs:
            rows.append(
                {
                    "partner": label(kind),
                    "period": period,
                    "referrals": int(indicator.value or 0),
                    "text": number(indicator.value or 0),
                }
            )
    frame = pd.DataFrame(rows, columns=["partner", "period", "referrals", "text"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("partner:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("period:N", sort=periods),
            x=alt.X("referrals:Q", title=None, axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color(
                "period:N",
                title=None,
                sort=periods,
                scale=alt.Scale(domain=periods, range=[COLOURS[0], "#c8c8c8"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("partner:N", title=_("Partenaire")),
                alt.Tooltip("period:N", title=_("Période")),
                alt.Tooltip("text:N", title=_("Orientations")),
            ],
        )
        .properties(height=alt.Step(12))
    )
    return localised(chart)


def fte_by_site(figures: Sequence[FteFigure], names: dict[str, str]) -> alt.TopLevelMixin:
    """FTE funded vs filled per site (sum of the post types), side by side."""
    funded: dict[str, int] = {}
    filled: dict[str, int] = {}
    for figure in figures:
        funded[figure.site_code] = funded.get(figure.site_code, 0) + figure.funded_hundredths
        filled[figure.site_code] = filled.get(figure.site_code, 0) + figure.filled_hundredths
    series = [_("ETP financés"), _("ETP pourvus")]
    rows = []
    for code in funded:
        for name, values in zip(series, (funded, filled), strict=True):
            rows.append(
                {"site": names.get(code, code), "series": name, "fte": values[code] / 100, "text": fte(values[code])}
            )
    frame = pd.DataFrame(rows, columns=["site", "series", "fte", "text"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("site:N", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("series:N", sort=series),
            y=alt.Y("fte:Q", title=_("ETP"), axis=alt.Axis(format=",.1f")),
            color=alt.Color(
                "series:N",
                title=None,
                sort=series,
                scale=alt.Scale(domain=series, range=[COLOURS[0], COLOURS[2]]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("site:N", title=_("Site")),
                alt.Tooltip("series:N", title=_("Série")),
                alt.Tooltip("text:N", title=_("ETP")),
            ],
        )
        .properties(height=240)
    )
    return localised(chart)
