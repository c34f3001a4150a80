"""Altair charts of French-course progress, labelled in the active language (levels, skills, months).

Each chart has a `*_frame` function building exactly the rows it draws, so tests can compare them
with a direct SQL computation. Vega's own month names are English: dates are labelled here.
"""

from __future__ import annotations

from datetime import date, datetime

import altair as alt
import pandas as pd

from i18n import _, formats, ngettext
from models.courses import CefrLevel, LanguageSkill
from models.labels import label
from services.activities.courses.progress import GroupDistribution, LearnerProgress, Moment, SiteProgress
from ui.platform.charts import MIN_CHART_HEIGHT, localised, month_names_expr, vega_list

SKILL_COLOURS = ["#7a2e5a", "#2e6f7a", "#c0792b", "#4f7a2e"]
MOMENT_COLOURS = ["#b9b9b9", "#7a2e5a"]


# Labels in the active language: computed at each call, never at import.
def level_labels() -> list[str]:
    """Labels of the CECRL levels, index = rank."""
    return [label(level) for level in CefrLevel]


def skill_labels() -> list[str]:
    return [label(skill) for skill in LanguageSkill]


def moment_labels() -> list[str]:
    return [label(Moment.ENTRY), label(Moment.LATEST)]


def month_label_expr() -> str:
    """Vega expression: short month name of the active language, then the year ('févr. 2026' / 'Feb 2026')."""
    return f"{month_names_expr()}[month(datum.value)] + ' ' + year(datum.value)"


def level_label_expr() -> str:
    """Vega expression: the label of a level from its rank."""
    return f"{vega_list(level_labels())}[datum.value]"


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def french_day(day: date) -> str:
    return formats.day(day)


def hours_text(minutes: int) -> str:
    """150 → '2 h 30', 120 → '2 h' (exact: minutes, never a rounded float)."""
    hours, rest = divmod(int(minutes), 60)
    if rest:
        return _("{hours} h {minutes}").format(hours=hours, minutes=f"{rest:02d}")
    return _("{hours} h").format(hours=hours)


def levels_gained_text(levels: int) -> str:
    """+2 → '+2 niveaux', 0 → 'stable', -1 → '−1 niveau'."""
    if levels == 0:
        return _("stable")
    return ngettext("{sign}{count} niveau", "{sign}{count} niveaux", abs(levels)).format(
        sign="+" if levels > 0 else "−", count=abs(levels)
    )


# --- one learner --------------------------------------------------------------------------------


def steps_frame(progress: LearnerProgress) -> pd.DataFrame:
    """One row per assessment: date, skill, level (label and rank)."""
    return pd.DataFrame(
        {
            "Date": [_moment(step.assessed_on) for step in progress.steps],
            "Jour": [french_day(step.assessed_on) for step in progress.steps],
            "Compétence": [label(step.skill) for step in progress.steps],
            "Niveau": [label(step.level) for step in progress.steps],
            "Rang": [step.rank for step in progress.steps],
        },
        columns=["Date", "Jour", "Compétence", "Niveau", "Rang"],
    )


def hours_frame(progress: LearnerProgress) -> pd.DataFrame:
    """One row per month with attendance: minutes and hours present, sessions attended."""
    return pd.DataFrame(
        {
            "Mois": [_moment(point.month) for point in progress.monthly],
            "Mois (texte)": [formats.month(point.month) for point in progress.monthly],
            "Minutes": [point.minutes for point in progress.monthly],
            "Heures": [point.minutes / 60 for point in progress.monthly],
            "Séances": [point.sessions for point in progress.monthly],
        },
        columns=["Mois", "Mois (texte)", "Minutes", "Heures", "Séances"],
    )


def learner_steps(progress: LearnerProgress) -> alt.TopLevelMixin:
    """Level of each skill over time (a step holds until the next assessment), above the monthly hours."""
    steps = steps_frame(progress)
    hours = hours_frame(progress)
    dates = list(steps["Date"]) + list(hours["Mois"])
    domain = [min(dates), max(dates)] if dates else None
    x_axis = alt.Axis(labelExpr=month_label_expr(), labelAngle=0, tickCount="month", grid=False)
    levels_count, skills = len(level_labels()), skill_labels()
    x_scale = alt.Scale(domain=domain) if domain else alt.Undefined
    levels = (
        alt.Chart(steps)
        .mark_line(interpolate="step-after", point=True, strokeWidth=2)
        .encode(
            x=alt.X("Date:T", title=None, axis=x_axis, scale=x_scale),
            y=alt.Y(
                "Rang:Q",
                title=_("Niveau CECRL"),
                scale=alt.Scale(domain=[0, levels_count - 1]),
                axis=alt.Axis(values=list(range(levels_count)), labelExpr=level_label_expr(), grid=True),
            ),
            color=alt.Color(
                "Compétence:N",
                title=None,
                sort=skills,
                scale=alt.Scale(domain=skills, range=SKILL_COLOURS),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("Jour:N", title=_("Évaluation")),
                alt.Tooltip("Compétence:N", title=_("Compétence")),
                alt.Tooltip("Niveau:N", title=_("Niveau")),
            ],
        )
        .properties(height=240, width="container")
    )
    bars = (
        alt.Chart(hours)
        .mark_bar(color="#9a9a9a")
        .encode(
            x=alt.X("yearmonth(Mois):T", title=None, axis=x_axis, scale=x_scale),
            y=alt.Y("Heures:Q", title=_("Heures de présence")),
            tooltip=[
                alt.Tooltip("Mois (texte):N", title=_("Mois")),
                alt.Tooltip("Heures:Q", format=".1f", title=_("Heures")),
                alt.Tooltip("Séances:Q", title=_("Séances")),
            ],
        )
        .properties(height=110, width="container")
    )
    return localised(alt.vconcat(levels, bars).resolve_scale(x="shared"))


# --- one group ----------------------------------------------------------------------------------


def distribution_frame(distribution: GroupDistribution) -> pd.DataFrame:
    """One row per skill × moment (entry, latest) × level with at least one learner."""
    return pd.DataFrame(
        {
            "Compétence": [label(c.skill) for c in distribution.counts],
            "Moment": [label(c.moment) for c in distribution.counts],
            "Niveau": [label(c.level) for c in distribution.counts],
            "Rang": [c.level.rank for c in distribution.counts],
            "Apprenant·es": [c.learners for c in distribution.counts],
        },
        columns=["Compétence", "Moment", "Niveau", "Rang", "Apprenant·es"],
    )


def entry_vs_latest(distribution: GroupDistribution) -> list[alt.TopLevelMixin]:
    """Per skill (one chart each, titled with it, as wide as its column), learners per level at entry in the
    group and at their latest assessment; every chart has the same levels on its axis."""
    frame = distribution_frame(distribution)
    used = sorted(set(frame["Rang"])) if len(frame) else []
    levels, moments = level_labels(), moment_labels()
    order = [levels[rank] for rank in range(min(used), max(used) + 1)] if used else levels
    charts = []
    for skill in [name for name in skill_labels() if name in set(frame["Compétence"])]:
        chart = (
            alt.Chart(frame[frame["Compétence"] == skill], title=alt.Title(skill, anchor="start", fontSize=13))
            .mark_bar()
            .encode(
                x=alt.X("Niveau:N", title=None, sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelAngle=0)),
                xOffset=alt.XOffset("Moment:N", sort=moments),
                y=alt.Y("Apprenant·es:Q", title=_("Apprenant·es"), axis=alt.Axis(format="d", tickMinStep=1)),
                color=alt.Color(
                    "Moment:N",
                    title=None,
                    sort=moments,
                    scale=alt.Scale(domain=moments, range=MOMENT_COLOURS),
                    legend=alt.Legend(orient="bottom"),
                ),
                tooltip=[
                    alt.Tooltip("Compétence:N", title=_("Compétence")),
                    alt.Tooltip("Moment:N", title=_("Moment")),
                    alt.Tooltip("Niveau:N", title=_("Niveau")),
                    alt.Tooltip("Apprenant·es:Q", title=_("Apprenant·es")),
                ],
            )
            .properties(height=170)
        )
        charts.append(localised(chart))
    return charts


# --- sites --------------------------------------------------------------------------------------


def sites_frame(sites: list[SiteProgress]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Site": [site.site_code for site in sites],
            "Apprenant·es évalué·es": [site.learners for site in sites],
            "Heures pour un niveau (médiane)": [
                None if site.median_minutes_per_level is None else site.median_minutes_per_level / 60 for site in sites
            ],
            "Progressions mesurées": [site.gains for site in sites],
            "Atteignent A1": [site.share_a1 for site in sites],
            "Atteignent A2": [site.share_a2 for site in sites],
        },
        columns=[
            "Site",
            "Apprenant·es évalué·es",
            "Heures pour un niveau (médiane)",
            "Progressions mesurées",
            "Atteignent A1",
            "Atteignent A2",
        ],
    )


def hours_per_level(sites: list[SiteProgress]) -> alt.TopLevelMixin:
    frame = sites_frame(sites).dropna(subset=["Heures pour un niveau (médiane)"])
    chart = (
        alt.Chart(frame)
        .mark_bar(color="#7a2e5a")
        .encode(
            y=alt.Y("Site:N", title=None, sort="x"),
            x=alt.X("Heures pour un niveau (médiane):Q", title=_("Heures de présence pour gagner un niveau (médiane)")),
            tooltip=[
                alt.Tooltip("Site:N", title=_("Site")),
                alt.Tooltip(
                    "Heures pour un niveau (médiane):Q", format=".1f", title=_("Heures pour un niveau (médiane)")
                ),
                alt.Tooltip("Progressions mesurées:Q", title=_("Progressions mesurées")),
            ],
        )
        .properties(height=max(MIN_CHART_HEIGHT, 28 * len(frame)), width="container")
    )
    return localised(chart)


def reaching_levels(sites: list[SiteProgress]) -> alt.TopLevelMixin:
    frame = (
        sites_frame(sites)
        .melt(
            id_vars=["Site", "Apprenant·es évalué·es"],
            value_vars=["Atteignent A1", "Atteignent A2"],
            var_name="Seuil",
            value_name="Part",
        )
        .dropna(subset=["Part"])
    )
    # The thresholds are read in the legend: their names in the active language.
    frame["Seuil"] = frame["Seuil"].map({"Atteignent A1": _("Atteignent A1"), "Atteignent A2": _("Atteignent A2")})
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("Site:N", title=None),
            yOffset=alt.YOffset("Seuil:N"),
            x=alt.X(
                "Part:Q",
                title=_("Part des apprenant·es évalué·es"),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "Seuil:N", title=None, scale=alt.Scale(range=["#c0792b", "#7a2e5a"]), legend=alt.Legend(orient="bottom")
            ),
            tooltip=[
                alt.Tooltip("Site:N", title=_("Site")),
                alt.Tooltip("Seuil:N", title=_("Seuil")),
                alt.Tooltip("Part:Q", format=".0%", title=_("Part")),
                alt.Tooltip("Apprenant·es évalué·es:Q", title=_("Apprenant·es évalué·es")),
            ],
        )
        .properties(height=max(MIN_CHART_HEIGHT, 30 * frame["Site"].nunique()), width="container")
    )
    return localised(chart)
