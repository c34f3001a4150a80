"""Charts of the Espace financeur and of the report pack's PDF (Altair; PNG through vl-convert).

Only published values are drawn: a month whose total is hidden by disclosure control has no bar (its
label says so), so a chart never shows what the tables hide.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert

from i18n import _
from services.reporting.funder_space import FunderOverview, MonthlyTable
from services.reporting.report_pack import ChartImage
from ui.finance import budget_charts
from ui.platform.charts import localised, month_label


def burn_chart(overview: FunderOverview) -> alt.TopLevelMixin:
    return budget_charts.burn_chart(overview.consumption, list(overview.burn), overview.outlook)


def monthly_chart(monthly: MonthlyTable) -> alt.TopLevelMixin:
    """Total of all the grant's sites per month (published totals only)."""
    labels = [month_label(m) for m in monthly.months]
    rows = []
    for month, text in zip(monthly.months, labels, strict=True):
        item = monthly.table.col_total(month)
        rows.append({"month": text, "value": item.value if not item.hidden else None, "shown": item.text})
    frame = pd.DataFrame(rows)
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#7a2e5a")
        .encode(
            x=alt.X("month:O", title=None, sort=labels, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format="d")),
            tooltip=[alt.Tooltip("month:O", title=_("Mois")), alt.Tooltip("shown:N", title=monthly.label)],
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
    for monthly in overview.monthly:
        images.append(
            ChartImage(
                _("{indicator} par mois (tous sites)").format(indicator=monthly.label),
                _png(monthly_chart(monthly)),
                _("Un mois sans barre est masqué (secret statistique)."),
            )
        )
    return images


def _png(chart: alt.TopLevelMixin) -> bytes:
    return vl_convert.vegalite_to_png(chart.to_json(), scale=2)
