"""Metric tiles of the dashboard: each indicator with its change since the previous period, and the
site comparison table. Every figure is formatted here by i18n.formats (active language)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
import streamlit as st

from i18n import N_, _
from i18n.formats import number, percent
from services.reporting.dashboard import Dashboard, Indicator, SiteRow
from ui.platform.text import md

UNAVAILABLE = N_("indisponible")
# Stocks (files open, PSP underway): a rise is neither good nor bad news.
NEUTRAL_KEYS = frozenset({"active_files", "psp_in_progress"})
PER_ROW = 4


def value_text(indicator: Indicator) -> str:
    """'1 234', '1 234,5 h', '78,8 %' or 'indisponible' (in the active language)."""
    value = indicator.value
    if value is None:
        return _(UNAVAILABLE)
    if indicator.unit == "rate":
        return percent(float(value), 1)
    if indicator.unit == "hours":
        return _("{hours}\u00a0h").format(hours=number(value))
    return number(value)


def delta_text(current: Indicator, previous: Indicator) -> str | None:
    """Change since the previous period, signed ('+12', '−3,5 h', '+1,2 pt'); None when either is unknown."""
    if current.value is None or previous.value is None:
        return None
    change = Decimal(current.value) - Decimal(previous.value)
    if current.unit == "rate":
        points = (change * 100).quantize(Decimal("0.1"))
        return f"{'+' if points >= 0 else '-'}" + _("{points}\u00a0pt").format(points=number(abs(points)))
    text = number(abs(change))
    if current.unit == "hours":
        text = _("{hours}\u00a0h").format(hours=text)
    return f"{'+' if change >= 0 else '-'}{text}"


def tiles(dashboard: Dashboard, keys: Sequence[str], *, sparklines: dict[str, list[float]] | None = None) -> None:
    """One st.metric per key, PER_ROW to a row, with the change since the previous period. A flow's last 12
    months are written in its help, as text: Streamlit draws a metric's sparkline (`chart_data`) as an SVG
    graphic with no text alternative and no way for an app to give it one (axe-core svg-img-alt, issue 19);
    the 12-month charts below the tiles have theirs."""
    for offset in range(0, len(keys), PER_ROW):
        columns = st.columns(PER_ROW)
        for column, key in zip(columns, keys[offset : offset + PER_ROW], strict=False):
            current, previous = dashboard.pair(key)
            months = (sparklines or {}).get(key)
            column.metric(
                md(current.label),
                value_text(current),
                delta_text(current, previous),
                delta_color="off" if key in NEUTRAL_KEYS else "normal",
                # The last 12 months as text (Streamlit's sparkline has no text alternative).
                help=md(current.help)
                + (
                    "\n\n" + _("Les 12 derniers mois : {values}.").format(values=" · ".join(number(v) for v in months))
                    if months
                    else ""
                ),
                border=True,
            )


def comparison_frame(rows: Sequence[SiteRow], keys: Sequence[str]) -> pd.DataFrame:
    """One line per site, one column per indicator (formatted strings, 'indisponible' if None)."""
    if not rows:
        return pd.DataFrame()
    columns = {_("Site"): [row.site.name for row in rows]}
    for key in keys:
        label = rows[0].indicators.get(key).label
        columns[label] = [value_text(row.indicators.get(key)) for row in rows]
    return pd.DataFrame(columns)
