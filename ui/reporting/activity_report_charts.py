"""Charts of the activity report (Altair, rendered to PNG with vl-convert like the report pack's).

Only published figures are drawn: a figure hidden by the disclosure control has no bar (the table beside it
gives its label), and a section with nothing published has no chart.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert

from i18n import _
from services.reporting.activity_report import ActivityReport, Section
from services.reporting.report_pack import ChartImage
from ui.platform.charts import localised

YEAR_COLOURS = ("#c9a3b9", "#7a2e5a")  # previous year light, this year the app's primary colour


def section_chart(report: ActivityReport, section: Section) -> alt.TopLevelMixin | None:
    """Bars of each line of the section, the previous year beside this year; None when nothing is published."""
    years = [str(report.year - 1), str(report.year)]
    rows = []
    for line in section.lines:
        for year, item in zip(years, (line.previous, line.current), strict=True):
            if not item.hidden and item.value is not None:
                rows.append({"category": line.label, "year": year, "value": int(item.value), "shown": item.text})
    if not rows:
        return None
    labels = [line.label for line in section.lines]
    bars = (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            y=alt.Y("category:N", title=None, sort=labels, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("year:N", sort=years),
            x=alt.X("value:Q", title=None, axis=alt.Axis(format="d")),
            color=alt.Color(
                "year:N",
                title=None,
                sort=years,
                scale=alt.Scale(domain=years, range=list(YEAR_COLOURS)),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[alt.Tooltip("year:N", title=_("Année")), alt.Tooltip("shown:N", title=section.title)],
        )
    )
    return localised(bars.properties(width=480, height=max(120, 34 * len(labels))))


def images(report: ActivityReport) -> dict[str, ChartImage]:
    """PNG images of the report's charts, by section key (titles and captions in the active language)."""
    drawn: dict[str, ChartImage] = {}
    for section in report.sections:
        if not section.chart:
            continue
        chart = section_chart(report, section)
        if chart is None:
            continue
        drawn[section.key] = ChartImage(
            _("{section} : {previous} et {year}").format(
                section=section.title, previous=report.year - 1, year=report.year
            ),
            vl_convert.vegalite_to_png(chart.to_json(), scale=2),
            _(
                "Barres claires : {previous} ; barres foncées : {year}. Un chiffre masqué (secret statistique) n'a "
                "pas de barre ; le tableau donne toutes les valeurs."
            ).format(previous=report.year - 1, year=report.year),
        )
    return drawn
