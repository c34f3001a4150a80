"""Altair chart of the staffing page: FTE funded vs filled at the end of each month."""

from __future__ import annotations

import altair as alt
import pandas as pd

from services.staffing_figures import FteMonth
from ui.charts import french, month_label


def fte_over_time(points: list[FteMonth]) -> alt.TopLevelMixin:
    """Two lines (ETP financés, ETP pourvus) over the months; the gap between them is the vacancy."""
    order = [month_label(p.month) for p in points]
    frame = pd.DataFrame(
        [{"Mois": month_label(p.month), "Série": "ETP financés", "ETP": p.funded_hundredths / 100} for p in points]
        + [{"Mois": month_label(p.month), "Série": "ETP pourvus", "ETP": p.filled_hundredths / 100} for p in points]
    )
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("Mois:O", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("ETP:Q", title="ETP", axis=alt.Axis(format=",.1f")),
        color=alt.Color("Série:N", title=None, scale=alt.Scale(domain=["ETP financés", "ETP pourvus"],
                                                               range=["#7a2e5a", "#2a7f62"])),
        tooltip=["Mois:O", "Série:N", alt.Tooltip("ETP:Q", format=",.2f")],
    ).properties(height=260)
    return french(chart)
