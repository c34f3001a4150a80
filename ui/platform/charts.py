"""Altair charts with labels in the active language, and the one way to draw them with a text alternative."""

from __future__ import annotations

import functools
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st
from babel.dates import get_month_names

from i18n import FRENCH, _, babel_locale, formats, language
from models.labels import label
from models.pathway import BarrierSeverity
from services.home import GrantConsumption, MonthlyPoint
from services.platform.config import get_settings

if not get_settings().validate_chart_specs:
    # Altair also checks each piece of a chart (a scale, an axis, a mark) against the schema as it is built,
    # in its « debug mode » (on by default): about a tenth of the director dashboard's run. See `show`.
    alt.utils.schemapi.disable_debug_mode()

FRENCH_TIME_FORMAT = {
    "dateTime": "%A %e %B %Y à %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
}
FRENCH_NUMBER_FORMAT = {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"]}
# Vega's default English, but in euros (its default currency is the dollar).
ENGLISH_NUMBER_FORMAT = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["€", ""]}


def localised(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Month names and number formats of the active language in the rendered chart (Vega locale options).

    French sets Vega's French locale; English keeps Vega's English month names, with euros. Set on a copy,
    not through `properties()`, which checks the value against the schema at every run (see `readable`)."""
    localised_chart = chart.copy(deep=False)
    if language() != FRENCH:
        localised_chart.usermeta = {"embedOptions": {"formatLocale": ENGLISH_NUMBER_FORMAT}}
    else:
        localised_chart.usermeta = {
            "embedOptions": {"timeFormatLocale": FRENCH_TIME_FORMAT, "formatLocale": FRENCH_NUMBER_FORMAT}
        }
    return localised_chart


def vega_list(texts: list[str]) -> str:
    """A Vega expression array of texts, quoted."""
    return "[" + ",".join("'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'" for text in texts) + "]"


def month_names_expr() -> str:
    """Vega expression: the abbreviated month names of the active language ('janv.' / 'Jan'), indexed by
    Vega's month(); axis labels are built from it because Vega's own names are English."""
    names = get_month_names("abbreviated", locale=babel_locale())
    return vega_list([names[number] for number in range(1, 13)])


def month_label(month: date) -> str:
    """'déc. 25' / 'Dec 25': Vega's own month names are English, so labels are made here."""
    return formats.short_month(month)


def monthly_bars(points: list[MonthlyPoint]) -> list[alt.TopLevelMixin]:
    """One bar chart per series, titled with it, each with its own scale and the width of its column (a facet
    has a fixed width per panel, wider than a phone)."""
    months = sorted({p.month for p in points})
    order = [month_label(m) for m in months]
    charts = []
    for series in dict.fromkeys(p.series for p in points):
        frame = pd.DataFrame(
            {
                "Mois": [month_label(p.month) for p in points if p.series == series],
                "Série": [series for p in points if p.series == series],
                "Valeur": [p.value for p in points if p.series == series],
            }
        )
        chart = (
            alt.Chart(frame, title=alt.Title(series, anchor="start", fontSize=13))
            .mark_bar(color="#7a2e5a")
            .encode(
                x=alt.X("Mois:O", title=None, sort=order, axis=alt.Axis(labelAngle=-45)),
                y=alt.Y("Valeur:Q", title=None, axis=alt.Axis(format=",d", tickMinStep=1)),
                tooltip=[
                    alt.Tooltip("Mois:O", title=_("Mois")),
                    alt.Tooltip("Série:N", title=_("Série")),
                    alt.Tooltip("Valeur:Q", format=",d", title=_("Valeur")),
                ],
            )
            .properties(height=180)
        )
        charts.append(localised(chart))
    return charts


def grant_progress(grants: list[GrantConsumption]) -> alt.TopLevelMixin:
    """Share of each grant consumed against share of its period elapsed: two bars per grant, in one chart as
    wide as its column (grant names cut on a phone, whole in the tooltip)."""
    rows = []
    consumed, elapsed = _("Budget consommé"), _("Période écoulée")
    for grant in grants:
        rows.append({"Subvention": grant.grant_name, "Mesure": consumed, "Part": grant.consumed_share})
        rows.append({"Subvention": grant.grant_name, "Mesure": elapsed, "Part": grant.elapsed_share})
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("Subvention:N", title=None, sort=None),
            yOffset=alt.YOffset("Mesure:N", sort=[consumed, elapsed]),
            x=alt.X(
                "Part:Q",
                title=None,
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, max(1.0, frame["Part"].max())]),
            ),
            color=alt.Color(
                "Mesure:N",
                title=None,
                sort=[consumed, elapsed],
                scale=alt.Scale(range=["#7a2e5a", "#b9b9b9"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("Subvention:N", title=_("Subvention")),
                alt.Tooltip("Mesure:N", title=_("Mesure")),
                alt.Tooltip("Part:Q", format=".0%", title=_("Part")),
            ],
        )
        .properties(height=max(MIN_CHART_HEIGHT, 30 * len(grants)))
    )
    return localised(chart)


SEVERITY_COLOURS = {
    BarrierSeverity.NONE: "#9ccf9c",
    BarrierSeverity.PARTIAL: "#f0b35a",
    BarrierSeverity.MAJOR: "#c0392b",
}


def barrier_evolution(points: list) -> alt.TopLevelMixin:
    """Severity of each barrier at each assessment: one row per barrier, one column per date.

    `points` are services.persons.pathway.BarrierPoint; dates are labelled in the active language ('12 mars 26')."""
    dates = sorted({p.assessed_on for p in points})
    frame = pd.DataFrame(
        {
            "Évaluation": [formats.short_day(p.assessed_on) for p in points],
            "Frein": [label(p.barrier) for p in points],
            "Niveau": [label(p.severity) for p in points],
        }
    )
    order = [formats.short_day(d) for d in dates]
    base = alt.Chart(frame).encode(
        x=alt.X("Évaluation:O", title=None, sort=order, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("Frein:N", title=None),
        tooltip=[
            alt.Tooltip("Évaluation:O", title=_("Évaluation")),
            alt.Tooltip("Frein:N", title=_("Frein")),
            alt.Tooltip("Niveau:N", title=_("Niveau")),
        ],
    )
    severities = [label(severity) for severity in SEVERITY_COLOURS]
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "Niveau:N",
            title=_("Niveau du frein"),
            sort=severities,
            scale=alt.Scale(domain=severities, range=list(SEVERITY_COLOURS.values())),
            legend=alt.Legend(orient="bottom"),
        ),
    )
    text = base.mark_text(fontSize=11).encode(text="Niveau:N")
    return localised((cells + text).properties(height=alt.Step(28), width=alt.Step(90)))


# --- Drawing: every chart of every page goes through show (tests/architecture/test_charts.py) -----

MIN_CHART_HEIGHT = 160
"""Pixels of plotting area a chart gets at least; its title, legend and axis labels come on top of it."""
AXIS_LABEL_LIMIT = 140  # px: a longer label ends in « … » (its full text is in the tooltip)
LEGEND_LABEL_LIMIT = 200


def readable(chart: alt.TopLevelMixin, *, description: str) -> alt.TopLevelMixin:
    """The chart as a page shows it, described and readable from a 390 px phone to a desktop.

    Streamlit's theme sizes a chart with `autosize: fit`: its `height` is the whole drawing, so a title, a
    legend and slanted month labels leave the bars a sliver (the Aller-vers charts were 20 px high). Here a
    single or layered chart's height is its plotting area (`fit-x`: only the width follows the column), at
    least MIN_CHART_HEIGHT. Axis labels that would overlap are thinned out (`labelOverlap`) and long ones
    cut; legends go below the plot, where a narrow screen has room for them.

    One copy of the chart, its settings set on it: copying a layered chart combines its layers' parameters
    again, deep-copying every layer, and `properties()` checks each value against the Vega-Lite schema at
    every run (a dashboard draws eleven charts). The tests check the whole spec instead (`show`)."""
    configured = chart.copy(deep=["config"])  # what configure_axis() does, for both configurations
    configured.description = description
    if isinstance(chart, alt.Chart | alt.LayerChart):
        height = chart.height
        if isinstance(height, int | float) and height < MIN_CHART_HEIGHT:
            configured.height = MIN_CHART_HEIGHT
        configured.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    if configured.config is alt.Undefined:
        configured.config = alt.Config()
    configured.config["axis"] = alt.AxisConfig(labelOverlap="greedy", labelSeparation=4, labelLimit=AXIS_LABEL_LIMIT)
    configured.config["legend"] = alt.LegendConfig(
        orient="bottom", labelLimit=LEGEND_LABEL_LIMIT, titleLimit=LEGEND_LABEL_LIMIT
    )
    return configured


def show(chart: alt.TopLevelMixin, title: str, summary: str, *, where=None, **options) -> None:
    """Draw a chart on the page (or in `where`, a column or container), made `readable`, with its text
    alternative (issue 19): its title and one line of what it shows become Vega-Lite's top-level
    `description`, which Vega writes as the aria-label of the drawn chart (role graphics-document): a
    screen reader announces it instead of an unnamed image. Pages put the same words on screen (a header
    or bold title, a caption). `options` go to st.altair_chart (width…)."""
    described = readable(chart, description=f"{title}. {summary}")
    if not get_settings().validate_chart_specs:
        # Altair checks a spec against the whole Vega-Lite JSON schema each time Streamlit converts it (its
        # to_dict() without arguments): a fifth of the director dashboard's run on the large dataset. The
        # charts are built by this code the same way at every run, so the check is made where it can fail
        # a build: in the tests (PARCOURS_VALIDATE_CHART_SPECS), by every page test that draws a chart.
        object.__setattr__(described, "to_dict", functools.partial(type(described).to_dict, described, validate=False))
    (where or st).altair_chart(described, **options)


def show_charts_in_pairs(charts: list[alt.TopLevelMixin], title: str, summary: str) -> None:
    """Charts two a row on a desktop (Streamlit's columns stack on a phone, one under the other); a single
    chart takes the whole width. Each is described by `title`, its own title, and `summary`."""
    for start in range(0, len(charts), 2):
        pair = charts[start : start + 2]
        for column, chart in zip(st.columns(2) if len(charts) > 1 else [None], pair, strict=False):
            own = chart.title if isinstance(chart.title, str) else None
            show(chart, f"{title} — {own}" if own else title, summary, where=column)
