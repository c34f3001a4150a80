"""Charts of the Espace financeur and of the report pack's PDF (Altair; PNG through vl-convert).

Only published values are drawn: a slot (month, quarter or group of quarters) whose total is hidden has no
bar (its label says so), so a chart never shows what the tables hide; a series with nothing published is
not drawn at all (the page and the pack say why instead of showing an empty chart).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert

from i18n import _
from services.reporting.funder_space import FunderOverview, SeriesShown
from services.reporting.report_pack import ChartImage
from ui.finance import budget_charts
from ui.platform.charts import localised


def burn_chart(overview: FunderOverview) -> alt.TopLevelMixin:
    return budget_charts.burn_chart(overview.consumption, list(overview.burn), overview.outlook)


def has_bars(series: SeriesShown) -> bool:
    return any(not slot.total.hidden and slot.total.value is not None for slot in series.slots)


def series_chart(series: SeriesShown) -> alt.TopLevelMixin:
    """Total of all the grant's sites per published slot (published totals only). Bars of a slot longer
    than a month are labelled with their period: a quarter's bar is not comparable to a month's."""
    labels = [slot.period.label() for slot in series.slots]
    rows = [
        {"period": label, "value": None if slot.total.hidden else slot.total.value, "shown": slot.total.text}
        for label, slot in zip(labels, series.slots, strict=True)
    ]
    bars = (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar(color="#7a2e5a")
        .encode(
            x=alt.X("period:O", title=None, sort=labels, axis=alt.Axis(labelAngle=-45, labelLimit=160)),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format="d")),
            tooltip=[alt.Tooltip("period:O", title=_("Période")), alt.Tooltip("shown:N", title=series.label)],
        )
    )
    return localised(bars.properties(height=220, width=520))


def pack_images(overview: FunderOverview) -> list[ChartImage]:
    """PNG images of the charts for the PDF of the report pack (titles and captions in the active language)."""
    images = [
        ChartImage(
            _("Rythme de consommation du budget"),
            _png(burn_chart(overview).properties(width=620)),
            _("Réalisé cumulé par mois, prévu au rythme linéaire et prévision jusqu'à la fin."),
        )
    ]
    for series in overview.series:
        if not has_bars(series):
            continue
        images.append(
            ChartImage(
                _("{indicator} dans le temps (tous sites)").format(indicator=series.label),
                _png(series_chart(series)),
                _(
                    "Par mois, trimestre ou groupe de trimestres terminés selon les effectifs ; une période sans "
                    "barre est masquée (secret statistique)."
                ),
            )
        )
    return images


def _png(chart: alt.TopLevelMixin) -> bytes:
    return vl_convert.vegalite_to_png(chart.to_json(), scale=2)
