"""Altair chart of the staffing page: FTE funded vs filled at the end of each month."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from i18n import _
from services.finance.staffing.figures import FteMonth
from ui.platform.charts import localised, month_label


def fte_over_time(points: Sequence[FteMonth]) -> alt.TopLevelMixin:
    """Two lines (ETP financés, ETP pourvus) over the months; the gap between them is the vacancy.

    The frame's column names are internal field names: every title a person reads is given."""
    order = [month_label(p.month) for p in points]
    funded, filled = _("ETP financés"), _("ETP pourvus")
    frame = pd.DataFrame(
        [{"Mois": month_label(p.month), "Série": funded, "ETP": p.funded_hundredths / 100} for p in points]
        + [{"Mois": month_label(p.month), "Série": filled, "ETP": p.filled_hundredths / 100} for p in points]
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("Mois:O", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("ETP:Q", title=_("ETP"), axis=alt.Axis(format=",.1f")),
            color=alt.Color(
                "Série:N", title=None, scale=alt.Scale(domain=[funded, filled], range=["#7a2e5a", "#2a7f62"])
            ),
            tooltip=[
                alt.Tooltip("Mois:O", title=_("Mois")),
                alt.Tooltip("Série:N", title=_("Série")),
                alt.Tooltip("ETP:Q", title=_("ETP"), format=",.2f"),
            ],
        )
        .properties(height=260)
    )
    return localised(chart)
