"""Charts and tables of the Aller-vers page: monthly figures by mode, and by site for direction."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
from babel.dates import format_date

from models.labels import label
from models.outreach import OutreachMode
from services.outreach import MonthlyOutreach, RoundRow
from ui import format
from ui.charts import french, month_label

# What each monthly series counts (the key is the MonthlyOutreach field).
SERIES = {
    "rounds": "Maraudes",
    "persons_met": "Personnes rencontrées",
    "new_contacts": "Nouveaux contacts",
    "intakes_from_outreach": "Accueils issus des maraudes",
}
MODE_COLOURS = {OutreachMode.STREET: "#7a2e5a", OutreachMode.ONLINE: "#d08bb0"}
# models.labels keys its labels by enum member, and a StrEnum member equals its value: OutreachMode.STREET
# ("street") collides with HousingSituation.STREET and comes back as « Sans abri ». Until labels are keyed
# by enum type, the two modes are labelled here.


def mode_label(mode: OutreachMode | str) -> str:
    return label(OutreachMode(mode))


def month_name(month: date) -> str:
    """'mai 2026'."""
    return format_date(month, format="LLLL y", locale="fr_FR")


def monthly_by_mode(rows: list[MonthlyOutreach], months: list[date], series: str) -> alt.TopLevelMixin:
    """One series (a key of SERIES) per month, bars stacked by mode; every month shown, even an empty one.

    One chart per series, so that the page lays them out in columns that stack on a phone."""
    frame = pd.DataFrame(
        [{"Mois": month_label(r.month), "Mode": mode_label(r.mode), "Valeur": getattr(r, series)} for r in rows],
        columns=["Mois", "Mode", "Valeur"],
    )
    order = [month_label(m) for m in months]
    modes = [mode_label(mode) for mode in MODE_COLOURS]
    chart = alt.Chart(frame, title=alt.Title(SERIES[series], anchor="start", fontSize=13)).mark_bar().encode(
        x=alt.X("Mois:O", title=None, sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("sum(Valeur):Q", title=None, axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("Mode:N", title=None, scale=alt.Scale(domain=modes, range=list(MODE_COLOURS.values())),
                        legend=alt.Legend(orient="top")),
        order=alt.Order("Mode:N"),
        tooltip=["Mois:O", "Mode:N", alt.Tooltip("sum(Valeur):Q", title=SERIES[series], format=",d")],
    ).properties(height=200)
    return french(chart)


def persons_met_by_site(rows: list[MonthlyOutreach], months: list[date]) -> alt.TopLevelMixin:
    """Persons met per month, one line per site (both modes together)."""
    frame = pd.DataFrame(
        [{"Mois": month_label(r.month), "Site": r.site_code, "Personnes rencontrées": r.persons_met} for r in rows],
        columns=["Mois", "Site", "Personnes rencontrées"],
    )
    order = [month_label(m) for m in months]
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("Mois:O", title=None, sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("sum(Personnes rencontrées):Q", title="Personnes rencontrées",
                axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("Site:N", title="Site", legend=alt.Legend(orient="right")),
        tooltip=["Mois:O", "Site:N", alt.Tooltip("sum(Personnes rencontrées):Q", title="Personnes", format=",d")],
    ).properties(height=260)
    return french(chart)


def site_totals(rows: list[MonthlyOutreach]) -> pd.DataFrame:
    """Totals per site over the months shown (rows are already aggregated in SQL by month, mode and site)."""
    columns = ["rounds", "persons_met", "new_contacts", "referred_to_intake", "intakes_from_outreach"]
    frame = pd.DataFrame([{"Site": r.site_code, **{c: getattr(r, c) for c in columns}} for r in rows],
                         columns=["Site", *columns])
    totals = frame.groupby("Site", as_index=False)[columns].sum().sort_values("Site")
    rate = [format.percent(intakes / new) if new else "—"
            for intakes, new in zip(totals["intakes_from_outreach"], totals["new_contacts"])]
    return pd.DataFrame({
        "Site": totals["Site"],
        "Maraudes": totals["rounds"].map(format.number),
        "Personnes rencontrées": totals["persons_met"].map(format.number),
        "Nouveaux contacts": totals["new_contacts"].map(format.number),
        "Orientées vers un accueil": totals["referred_to_intake"].map(format.number),
        "Accueils issus des maraudes": totals["intakes_from_outreach"].map(format.number),
        "Accueils / nouveaux contacts": rate,
    })


def rounds_table(rows: list[RoundRow], *, with_site: bool) -> pd.DataFrame:
    """The rounds of one page of the list, as shown (counts stay numbers, so the table sorts them)."""
    table = {"Date": [format.day(r.round_on) for r in rows],
             "Début": [f"{r.start_time:%H:%M}" if r.start_time else "—" for r in rows]}
    if with_site:
        table["Site"] = [r.site_code for r in rows]
    table |= {
        "Durée": [f"{r.duration_minutes // 60} h {r.duration_minutes % 60:02d}" for r in rows],
        "Type": [mode_label(r.mode) for r in rows],
        "Secteur": [label(r.area) for r in rows],
        "Rencontrées": [r.persons_met for r in rows],
        "Nouveaux": [r.new_contacts for r in rows],
        "Entretiens": [r.conversations for r in rows],
        "Orientées": [r.referred_to_intake for r in rows],
        "Préservatifs": [r.condoms_given for r in rows],
        "Brochures": [r.leaflets_given for r in rows],
        "Kits": [r.hygiene_kits_given for r in rows],
        "Équipe": [", ".join(r.staff_names) for r in rows],
    }
    return pd.DataFrame(table)
