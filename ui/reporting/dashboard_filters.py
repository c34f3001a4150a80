"""Period and sites of the dashboard: presets (current month, previous month, quarter, year, last 12
months) or a custom range, and the sites of the principal's scope."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

import streamlit as st

from clock import month_start
from i18n import N_, _
from i18n.formats import day
from services.reporting.dashboard import SiteChoice
from ui.platform import widgets
from ui.platform.text import md

PRESET_KEY = "dashboard_preset"
RANGE_KEY = "dashboard_range"
SITES_KEY = "dashboard_sites"
# The options of the period control are these French message ids (stable values, the same in every
# language); they are shown translated through format_func.
CUSTOM = N_("Personnalisée")
CURRENT_MONTH = N_("Mois en cours")


def _current_month(today: date) -> tuple[date, date]:
    return month_start(today), today


def _previous_month(today: date) -> tuple[date, date]:
    return month_start(month_start(today), -1), month_start(today) - timedelta(days=1)


def _quarter(today: date) -> tuple[date, date]:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today


def _year(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), today


def _last_12_months(today: date) -> tuple[date, date]:
    return month_start(month_start(today), -11), today


PRESETS: dict[str, Callable[[date], tuple[date, date]]] = {
    CURRENT_MONTH: _current_month,
    N_("Mois précédent"): _previous_month,
    N_("Trimestre en cours"): _quarter,
    N_("Année en cours"): _year,
    N_("12 derniers mois"): _last_12_months,
}


def _option_text(option: str) -> str:
    return _(option)


def period_picker(today: date) -> tuple[date, date] | None:
    """The chosen period (None while a custom range is incomplete)."""
    choice = st.segmented_control(
        _("Période"), [*PRESETS, CUSTOM], default=CURRENT_MONTH, key=PRESET_KEY, required=True, format_func=_option_text
    )
    if choice != CUSTOM:
        return PRESETS[choice or CURRENT_MONTH](today)
    picked = widgets.date_input(
        _("Du … au …"), value=_previous_month(today), max_value=today, format="DD/MM/YYYY", key=RANGE_KEY
    )
    if not isinstance(picked, Sequence) or len(picked) != 2:
        st.info(_("Choisissez la date de début puis la date de fin de la période."))
        return None
    return picked[0], picked[1]


def site_picker(sites: list[SiteChoice]) -> list[int]:
    """The sites to include (every site of the scope by default). A single site needs no choice."""
    if len(sites) <= 1:
        if sites:
            st.caption(_("Site : {site}").format(site=md(sites[0].name)))
        return [site.id for site in sites]
    names = {site.id: site.name for site in sites}
    chosen = widgets.multiselect(
        _("Sites"),
        list(names),
        default=list(names),
        format_func=names.__getitem__,
        key=SITES_KEY,
        placeholder=_("Choisissez au moins un site"),
    )
    return list(chosen)


def period_text(start: date, end: date) -> str:
    return _("du {start} au {end}").format(start=day(start), end=day(end))
