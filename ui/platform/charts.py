"""Altair charts with labels in the active language, and the one way to draw them with a text alternative."""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from babel.dates import get_month_names
from cachetools import LRUCache

# Streamlit's conversion of an Altair chart into the spec it draws (private, pinned with Streamlit; see
# `PreparedChart`): tests/pages/test_chart_specs.py fails if it changes.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

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
    configured = _laid_out(chart)
    configured.description = description
    return configured


def _laid_out(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """`readable` but for the description: a copy with its height, sizing, axis and legend settings."""
    configured = chart.copy(deep=["config"])  # what configure_axis() does, for both configurations
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


def _unchecked_unless_testing(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    if not get_settings().validate_chart_specs:
        # Altair checks a spec against the whole Vega-Lite JSON schema each time Streamlit converts it (its
        # to_dict() without arguments): a fifth of the director dashboard's run on the large dataset. The
        # charts are built by this code the same way at every run, so the check is made where it can fail
        # a build: in the tests (PARCOURS_VALIDATE_CHART_SPECS), by every page test that draws a chart.
        object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
    return chart


@dataclass(frozen=True)
class PreparedChart:
    """A chart made `readable` (but for its description) and converted once into the Vega-Lite spec Streamlit
    sends to the browser, its data already in Arrow (`from_aggregates`). Read only: `show` copies it."""

    spec: Mapping[str, Any]
    title: str | None  # the chart's own title when it is a plain text (show_charts_in_pairs names it)


PREPARED_CHARTS = 256  # entries of the cache of `from_aggregates`, a few kilobytes each
_prepared: LRUCache = LRUCache(maxsize=PREPARED_CHARTS)
_prepared_lock = threading.Lock()
_NOT_YET = object()


def from_aggregates(build: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`build(*args, **kwargs)` (a chart, a list of charts or None) as PreparedChart(s) for `show`, built and
    converted only the first time these arguments are seen in this language.

    Why: building an Altair chart and converting it (Altair's to_dict copies every layer) was about 40 % of
    the director dashboard's run once its figures are cached, at every click, for the same figures. The cache
    is keyed by the arguments' values (dataclasses, tuples, lists, dicts, dates, numbers, texts, enums;
    anything else raises TypeError), the builder and the language: a chart is rebuilt as soon as one figure
    differs, and two users who see the same figures share the same drawing.

    Only for charts of aggregates (counts, sums, rates, per site or month): never a chart of one person's
    file or learning (those are drawn with `show(build(...))`), so the cache holds no personal data
    (docs/design.md §4); a figure of services.persons or with a person's field (PERSONAL_FIELDS) is refused
    with TypeError. Bounded (PREPARED_CHARTS, least recently used first out)."""
    # The builder itself, not its name: two lambdas of one module share a name, never an identity.
    key = (build, _frozen(args), _frozen(kwargs), language(), get_settings().validate_chart_specs)
    with _prepared_lock:
        found = _prepared.get(key, _NOT_YET)
    if found is _NOT_YET:
        built = build(*args, **kwargs)
        if built is None:
            found = None
        elif isinstance(built, list | tuple):
            found = tuple(_prepared_chart(chart) for chart in built)
        else:
            found = _prepared_chart(built)
        with _prepared_lock:
            _prepared[key] = found
    return list(found) if isinstance(found, tuple) else found


def _prepared_chart(chart: alt.TopLevelMixin) -> PreparedChart:
    # Streamlit's own conversion (what st.altair_chart does before drawing the spec): the same spec and Arrow
    # data as an Altair chart drawn directly (tests/pages/test_chart_specs.py compares the two).
    spec = _convert_altair_to_vega_lite_spec(_unchecked_unless_testing(_laid_out(chart)))
    return PreparedChart(spec, chart.title if isinstance(chart.title, str) else None)


# Values equal only when they are the same value of the same type: kept as they are.
_PLAIN = frozenset({str, int, date, datetime, time, type(None)})
# A figure with one of these fields, or a type of services.persons, is a person's data: never a cache key.
PERSONAL_FIELDS = frozenset({"person_id", "first_name", "alias", "birth_year"})


def _frozen(value: Any) -> Hashable:
    """A hashable value equal only for arguments that draw the same chart: the same values of the same types
    (True is not 1, 1.0 is not 1, Decimal("1.0") is not Decimal("1"): each may be written differently)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple or kind is list:
        return (tuple, tuple(map(_frozen, value)))
    if kind is float or kind is bool or issubclass(kind, Enum):
        return (kind, value)
    if kind is Decimal:
        return (Decimal, str(value))
    if kind is dict:
        return (dict, tuple((_frozen(k), _frozen(v)) for k, v in value.items()))
    names = _figure_fields(kind)
    return (kind, tuple(_frozen(getattr(value, name)) for name in names))


@functools.cache
def _figure_fields(kind: type) -> tuple[str, ...]:
    """The fields of a dataclass of figures (TypeError for anything else, or for a person's data)."""
    if not is_dataclass(kind):
        raise TypeError(f"charts.from_aggregates: a {kind.__name__} is not a value a chart is cached by")
    names = tuple(field.name for field in fields(kind))
    if kind.__module__.startswith("services.persons") or PERSONAL_FIELDS.intersection(names):
        raise TypeError(f"charts.from_aggregates: a {kind.__name__} is a person's data, never cached")
    return names


def clear_prepared_charts() -> None:
    with _prepared_lock:
        _prepared.clear()


def show(chart: alt.TopLevelMixin | PreparedChart, title: str, summary: str, *, where=None, **options) -> None:
    """Draw a chart on the page (or in `where`, a column or container), made `readable`, with its text
    alternative (issue 19): its title and one line of what it shows become Vega-Lite's top-level
    `description`, which Vega writes as the aria-label of the drawn chart (role graphics-document): a
    screen reader announces it instead of an unnamed image. Pages put the same words on screen (a header
    or bold title, a caption). `options` go to st.altair_chart / st.vega_lite_chart (width…)."""
    description = f"{title}. {summary}"
    if isinstance(chart, PreparedChart):
        # A copy: Streamlit patches some of a spec's nested values in place (legend titles); the Arrow bytes
        # are immutable, so copying them costs nothing.
        (where or st).vega_lite_chart(spec={**copy.deepcopy(dict(chart.spec)), "description": description}, **options)
        return
    (where or st).altair_chart(_unchecked_unless_testing(readable(chart, description=description)), **options)


def show_charts_in_pairs(charts: list[alt.TopLevelMixin] | list[PreparedChart], title: str, summary: str) -> None:
    """Charts two a row on a desktop (Streamlit's columns stack on a phone, one under the other); a single
    chart takes the whole width. Each is described by `title`, its own title, and `summary`."""
    for start in range(0, len(charts), 2):
        pair = charts[start : start + 2]
        for column, chart in zip(st.columns(2) if len(charts) > 1 else [None], pair, strict=False):
            if isinstance(chart, PreparedChart):
                own = chart.title
            else:
                own = chart.title if isinstance(chart.title, str) else None
            show(chart, f"{title} — {own}" if own else title, summary, where=column)
