"""Altair charts of the workshop page (French labels)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from i18n import _, formats
from services.activities.workshops.figures import ModuleRate
from ui.platform.charts import localised

BAR_COLOUR = "#7a2e5a"


def rate_frame(rates: list[ModuleRate]) -> pd.DataFrame:
    """The numbers every attendance-rate chart draws (one row per site and module with a roll).

    The column names are internal field names (the tests read them); the charts title them with `_()`."""
    shown = [r for r in rates if r.rate is not None]
    return pd.DataFrame(
        {
            "Site": [r.site_code for r in shown],
            "Module": [r.module_name for r in shown],
            "Taux": [r.rate for r in shown],
            "Libellé": [formats.percent(r.rate) for r in shown],
            "Présences": [r.present for r in shown],
            "Absences excusées": [r.excused for r in shown],
            "Absences": [r.absent for r in shown],
            "Séances": [r.sessions for r in shown],
        }
    )


def attendance_rate_chart(rates: list[ModuleRate]) -> alt.TopLevelMixin:
    """Attendance rate per module: bars for one site, a site × module grid for several."""
    frame = rate_frame(rates)
    modules = list(dict.fromkeys(frame["Module"]))
    tooltip = [
        alt.Tooltip("Site:N", title=_("Site")),
        alt.Tooltip("Module:N", title=_("Module")),
        alt.Tooltip("Taux:Q", format=".0%", title=_("Taux de présence")),
        alt.Tooltip("Présences:Q", format=",d", title=_("Présences")),
        alt.Tooltip("Absences excusées:Q", format=",d", title=_("Absences excusées")),
        alt.Tooltip("Absences:Q", format=",d", title=_("Absences")),
        alt.Tooltip("Séances:Q", format=",d", title=_("Séances")),
    ]
    if frame["Site"].nunique() <= 1:
        base = alt.Chart().encode(
            y=alt.Y("Module:N", title=None, sort=modules, axis=alt.Axis(labelLimit=320)),
            x=alt.X("Taux:Q", title=_("Taux de présence"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=tooltip,
        )
        chart = alt.layer(
            base.mark_bar(color=BAR_COLOUR), base.mark_text(align="left", dx=4).encode(text="Libellé:N"), data=frame
        ).properties(height=alt.Step(28), width=480)
    else:
        base = alt.Chart().encode(
            x=alt.X("Site:N", title=None, axis=alt.Axis(orient="top", labelAngle=0)),
            y=alt.Y("Module:N", title=None, sort=modules, axis=alt.Axis(labelLimit=320)),
            tooltip=tooltip,
        )
        cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
            color=alt.Color(
                "Taux:Q",
                title=_("Taux de présence"),
                scale=alt.Scale(domain=[0, 1], scheme="purples"),
                legend=alt.Legend(format="%", orient="bottom"),
            )
        )
        text = base.mark_text(fontSize=11).encode(
            text="Libellé:N", color=alt.condition(alt.datum.Taux > 0.6, alt.value("white"), alt.value("black"))
        )
        chart = alt.layer(cells, text, data=frame).properties(height=alt.Step(26), width=alt.Step(56))
    return localised(chart)
