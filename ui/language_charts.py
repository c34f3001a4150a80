"""Altair charts of French-course progress, with French labels (levels, skills, months).

Each chart has a `*_frame` function building exactly the rows it draws, so tests can compare them
with a direct SQL computation. Vega's own month names are English: dates are labelled here.
"""

from __future__ import annotations

from datetime import date, datetime

import altair as alt
import pandas as pd
from babel.dates import format_date

from models.courses import CefrLevel, LanguageSkill
from models.labels import label
from services.language_progress import GroupDistribution, LearnerProgress, Moment, SiteProgress
from ui.charts import french

LEVEL_LABELS = [label(level) for level in CefrLevel]  # index = rank
SKILL_LABELS = [label(skill) for skill in LanguageSkill]
SKILL_COLOURS = ["#7a2e5a", "#2e6f7a", "#c0792b", "#4f7a2e"]
MOMENT_LABELS = [label(Moment.ENTRY), label(Moment.LATEST)]
MOMENT_COLOURS = ["#b9b9b9", "#7a2e5a"]
# Vega expressions: French short month names, level labels by rank.
_MONTHS = "['janv.','févr.','mars','avr.','mai','juin','juil.','août','sept.','oct.','nov.','déc.']"
FRENCH_MONTH_LABEL = f"{_MONTHS}[month(datum.value)] + ' ' + year(datum.value)"
LEVEL_LABEL_EXPR = "[" + ",".join(f"'{text}'" for text in LEVEL_LABELS) + "][datum.value]"


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def french_day(day: date) -> str:
    return format_date(day, format="d MMM y", locale="fr_FR")


def hours_text(minutes: int) -> str:
    """150 → '2 h 30', 120 → '2 h' (exact: minutes, never a rounded float)."""
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def levels_gained_text(levels: int) -> str:
    """+2 → '+2 niveaux', 0 → 'stable', -1 → '−1 niveau'."""
    if levels == 0:
        return "stable"
    plural = "x" if abs(levels) > 1 else ""
    return f"{'+' if levels > 0 else '−'}{abs(levels)} niveau{plural}"


# --- one learner --------------------------------------------------------------------------------


def steps_frame(progress: LearnerProgress) -> pd.DataFrame:
    """One row per assessment: date, skill, level (label and rank)."""
    return pd.DataFrame({
        "Date": [_moment(step.assessed_on) for step in progress.steps],
        "Jour": [french_day(step.assessed_on) for step in progress.steps],
        "Compétence": [label(step.skill) for step in progress.steps],
        "Niveau": [label(step.level) for step in progress.steps],
        "Rang": [step.rank for step in progress.steps],
    }, columns=["Date", "Jour", "Compétence", "Niveau", "Rang"])


def hours_frame(progress: LearnerProgress) -> pd.DataFrame:
    """One row per month with attendance: minutes and hours present, sessions attended."""
    return pd.DataFrame({
        "Mois": [_moment(point.month) for point in progress.monthly],
        "Mois (texte)": [format_date(point.month, format="MMMM y", locale="fr_FR") for point in progress.monthly],
        "Minutes": [point.minutes for point in progress.monthly],
        "Heures": [point.minutes / 60 for point in progress.monthly],
        "Séances": [point.sessions for point in progress.monthly],
    }, columns=["Mois", "Mois (texte)", "Minutes", "Heures", "Séances"])


def learner_steps(progress: LearnerProgress) -> alt.TopLevelMixin:
    """Level of each skill over time (a step holds until the next assessment), above the monthly hours."""
    steps = steps_frame(progress)
    hours = hours_frame(progress)
    dates = list(steps["Date"]) + list(hours["Mois"])
    domain = [min(dates), max(dates)] if dates else None
    x_axis = alt.Axis(labelExpr=FRENCH_MONTH_LABEL, labelAngle=0, tickCount="month", grid=False)
    x_scale = alt.Scale(domain=domain) if domain else alt.Undefined
    levels = alt.Chart(steps).mark_line(interpolate="step-after", point=True, strokeWidth=2).encode(
        x=alt.X("Date:T", title=None, axis=x_axis, scale=x_scale),
        y=alt.Y("Rang:Q", title="Niveau CECRL", scale=alt.Scale(domain=[0, len(LEVEL_LABELS) - 1]),
                axis=alt.Axis(values=list(range(len(LEVEL_LABELS))), labelExpr=LEVEL_LABEL_EXPR, grid=True)),
        color=alt.Color("Compétence:N", title=None, sort=SKILL_LABELS,
                        scale=alt.Scale(domain=SKILL_LABELS, range=SKILL_COLOURS), legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("Jour:N", title="Évaluation"), "Compétence:N", "Niveau:N"],
    ).properties(height=240, width="container")
    bars = alt.Chart(hours).mark_bar(color="#9a9a9a").encode(
        x=alt.X("yearmonth(Mois):T", title=None, axis=x_axis, scale=x_scale),
        y=alt.Y("Heures:Q", title="Heures de présence"),
        tooltip=[alt.Tooltip("Mois (texte):N", title="Mois"), alt.Tooltip("Heures:Q", format=".1f"), "Séances:Q"],
    ).properties(height=110, width="container")
    return french(alt.vconcat(levels, bars).resolve_scale(x="shared"))


# --- one group ----------------------------------------------------------------------------------


def distribution_frame(distribution: GroupDistribution) -> pd.DataFrame:
    """One row per skill × moment (entry, latest) × level with at least one learner."""
    return pd.DataFrame({
        "Compétence": [label(c.skill) for c in distribution.counts],
        "Moment": [label(c.moment) for c in distribution.counts],
        "Niveau": [label(c.level) for c in distribution.counts],
        "Rang": [c.level.rank for c in distribution.counts],
        "Apprenant·es": [c.learners for c in distribution.counts],
    }, columns=["Compétence", "Moment", "Niveau", "Rang", "Apprenant·es"])


def entry_vs_latest(distribution: GroupDistribution) -> alt.TopLevelMixin:
    """Per skill, learners per level at entry in the group and at their latest assessment."""
    frame = distribution_frame(distribution)
    used = sorted(set(frame["Rang"])) if len(frame) else []
    order = [LEVEL_LABELS[rank] for rank in range(min(used), max(used) + 1)] if used else LEVEL_LABELS
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("Niveau:N", title=None, sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("Moment:N", sort=MOMENT_LABELS),
        y=alt.Y("Apprenant·es:Q", title="Apprenant·es", axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("Moment:N", title=None, sort=MOMENT_LABELS,
                        scale=alt.Scale(domain=MOMENT_LABELS, range=MOMENT_COLOURS), legend=alt.Legend(orient="top")),
        tooltip=["Compétence:N", "Moment:N", "Niveau:N", "Apprenant·es:Q"],
    ).properties(height=170, width=260)
    return french(chart.facet(facet=alt.Facet("Compétence:N", title=None, sort=SKILL_LABELS), columns=2))


# --- sites --------------------------------------------------------------------------------------


def sites_frame(sites: list[SiteProgress]) -> pd.DataFrame:
    return pd.DataFrame({
        "Site": [site.site_code for site in sites],
        "Apprenant·es évalué·es": [site.learners for site in sites],
        "Heures pour un niveau (médiane)": [
            None if site.median_minutes_per_level is None else site.median_minutes_per_level / 60 for site in sites
        ],
        "Progressions mesurées": [site.gains for site in sites],
        "Atteignent A1": [site.share_a1 for site in sites],
        "Atteignent A2": [site.share_a2 for site in sites],
    }, columns=["Site", "Apprenant·es évalué·es", "Heures pour un niveau (médiane)", "Progressions mesurées",
                "Atteignent A1", "Atteignent A2"])


def hours_per_level(sites: list[SiteProgress]) -> alt.TopLevelMixin:
    frame = sites_frame(sites).dropna(subset=["Heures pour un niveau (médiane)"])
    chart = alt.Chart(frame).mark_bar(color="#7a2e5a").encode(
        y=alt.Y("Site:N", title=None, sort="x"),
        x=alt.X("Heures pour un niveau (médiane):Q", title="Heures de présence pour gagner un niveau (médiane)"),
        tooltip=["Site:N", alt.Tooltip("Heures pour un niveau (médiane):Q", format=".1f"), "Progressions mesurées:Q"],
    ).properties(height=alt.Step(22), width="container")
    return french(chart)


def reaching_levels(sites: list[SiteProgress]) -> alt.TopLevelMixin:
    frame = sites_frame(sites).melt(id_vars=["Site", "Apprenant·es évalué·es"],
                                    value_vars=["Atteignent A1", "Atteignent A2"], var_name="Seuil",
                                    value_name="Part").dropna(subset=["Part"])
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("Site:N", title=None),
        yOffset=alt.YOffset("Seuil:N"),
        x=alt.X("Part:Q", title="Part des apprenant·es évalué·es", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("Seuil:N", title=None, scale=alt.Scale(range=["#c0792b", "#7a2e5a"]),
                        legend=alt.Legend(orient="top")),
        tooltip=["Site:N", "Seuil:N", alt.Tooltip("Part:Q", format=".0%"), "Apprenant·es évalué·es:Q"],
    ).properties(height=alt.Step(14), width="container")
    return french(chart)
