"""Charts and tables of the Aller-vers page: monthly figures by mode, and by site for direction."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from i18n import N_, _, formats
from models.labels import label
from models.outreach import OutreachMode
from services.activities.outreach import MonthlyOutreach, RoundRow
from ui.platform.charts import localised, month_label

# What each monthly series counts (the key is the MonthlyOutreach field).
SERIES = {
    "rounds": N_("Maraudes"),
    "persons_met": N_("Personnes rencontrées"),
    "new_contacts": N_("Nouveaux contacts"),
    "intakes_from_outreach": N_("Accueils issus des maraudes"),
}
MODE_COLOURS = {OutreachMode.STREET: "#7a2e5a", OutreachMode.ONLINE: "#d08bb0"}
# models.labels keys its labels by enum member, and a StrEnum member equals its value: OutreachMode.STREET
# ("street") collides with HousingSituation.STREET and comes back as « Sans abri ». Until labels are keyed
# by enum type, the two modes are labelled here.


def mode_label(mode: OutreachMode | str) -> str:
    return label(OutreachMode(mode))


def month_name(month: date) -> str:
    """'mai 2026'."""
    return formats.month(month)


def monthly_by_mode(rows: list[MonthlyOutreach], months: list[date], series: str) -> alt.TopLevelMixin:
    """One series (a key of SERIES) per month, bars stacked by mode; every month shown, even an empty one.

    One chart per series, so that the page lays them out in columns that stack on a phone.
    The frame's column names are internal (the tests read them); what a person reads is given as titles."""
    frame = pd.DataFrame(
        [{"Mois": month_label(r.month), "Mode": mode_label(r.mode), "Valeur": getattr(r, series)} for r in rows],
        columns=["Mois", "Mode", "Valeur"],
    )
    order = [month_label(m) for m in months]
    modes = [mode_label(mode) for mode in MODE_COLOURS]
    series_name = SERIES[series]
    title = _(series_name)
    chart = (
        alt.Chart(frame, title=alt.Title(title, anchor="start", fontSize=13))
        .mark_bar()
        .encode(
            x=alt.X("Mois:O", title=None, sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(Valeur):Q", title=None, axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color(
                "Mode:N",
                title=None,
                scale=alt.Scale(domain=modes, range=list(MODE_COLOURS.values())),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("Mode:N"),
            tooltip=[
                alt.Tooltip("Mois:O", title=_("Mois")),
                alt.Tooltip("Mode:N", title=_("Mode")),
                alt.Tooltip("sum(Valeur):Q", title=title, format=",d"),
            ],
        )
        .properties(height=200)
    )
    return localised(chart)


def persons_met_by_site(rows: list[MonthlyOutreach], months: list[date]) -> alt.TopLevelMixin:
    """Persons met per month, one line per site (both modes together)."""
    frame = pd.DataFrame(
        [{"Mois": month_label(r.month), "Site": r.site_code, "Personnes rencontrées": r.persons_met} for r in rows],
        columns=["Mois", "Site", "Personnes rencontrées"],
    )
    order = [month_label(m) for m in months]
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("Mois:O", title=None, sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(
                "sum(Personnes rencontrées):Q",
                title=_("Personnes rencontrées"),
                axis=alt.Axis(format=",d", tickMinStep=1),
            ),
            color=alt.Color("Site:N", title=_("Site"), legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("Mois:O", title=_("Mois")),
                alt.Tooltip("Site:N", title=_("Site")),
                alt.Tooltip("sum(Personnes rencontrées):Q", title=_("Personnes"), format=",d"),
            ],
        )
        .properties(height=260)
    )
    return localised(chart)


def site_totals(rows: list[MonthlyOutreach]) -> pd.DataFrame:
    """Totals per site over the months shown (rows are already aggregated in SQL by month, mode and site)."""
    columns = ["rounds", "persons_met", "new_contacts", "referred_to_intake", "intakes_from_outreach"]
    frame = pd.DataFrame(
        [{"Site": r.site_code, **{c: getattr(r, c) for c in columns}} for r in rows], columns=["Site", *columns]
    )
    totals = frame.groupby("Site", as_index=False)[columns].sum().sort_values("Site")
    rate = [
        formats.percent(intakes / new) if new else "—"
        for intakes, new in zip(totals["intakes_from_outreach"], totals["new_contacts"], strict=False)
    ]
    return pd.DataFrame(
        {
            _("Site"): totals["Site"],
            _("Maraudes"): totals["rounds"].map(formats.number),
            _("Personnes rencontrées"): totals["persons_met"].map(formats.number),
            _("Nouveaux contacts"): totals["new_contacts"].map(formats.number),
            _("Orientées vers un accueil"): totals["referred_to_intake"].map(formats.number),
            _("Accueils issus des maraudes"): totals["intakes_from_outreach"].map(formats.number),
            _("Accueils / nouveaux contacts"): rate,
        }
    )


def rounds_table(rows: list[RoundRow], *, with_site: bool) -> pd.DataFrame:
    """The rounds of one page of the list, as shown (counts stay numbers, so the table sorts them)."""
    table = {
        _("Date"): [formats.day(r.round_on) for r in rows],
        _("Début"): [f"{r.start_time:%H:%M}" if r.start_time else "—" for r in rows],
    }
    if with_site:
        table[_("Site")] = [r.site_code for r in rows]
    table |= {
        _("Durée"): [f"{r.duration_minutes // 60} h {r.duration_minutes % 60:02d}" for r in rows],
        _("Type"): [mode_label(r.mode) for r in rows],
        _("Secteur"): [label(r.area) for r in rows],
        _("Rencontrées"): [r.persons_met for r in rows],
        _("Nouveaux"): [r.new_contacts for r in rows],
        _("Entretiens"): [r.conversations for r in rows],
        _("Orientées"): [r.referred_to_intake for r in rows],
        _("Préservatifs"): [r.condoms_given for r in rows],
        _("Brochures"): [r.leaflets_given for r in rows],
        _("Kits"): [r.hygiene_kits_given for r in rows],
        _("Équipe"): [", ".join(r.staff_names) for r in rows],
    }
    return pd.DataFrame(table)
