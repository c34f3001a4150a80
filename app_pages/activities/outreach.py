"""Aller-vers: log a round (teams of a site), list and correct the rounds of my sites, monthly figures.

Direction reads every site (figures by site too) and has no form.
"""

from datetime import date

import streamlit as st

import clock
from i18n import _, formats, ngettext
from services.activities import outreach
from services.activities.outreach import MonthlyOutreach, RoundPage
from services.platform.db import read
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from services.platform.sites import SiteChoice
from ui.activities.outreach import charts as outreach_charts
from ui.activities.outreach import forms as outreach_forms
from ui.platform import charts, form_state, pager, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import Runtime, runtime
from ui.platform.text import md

principal = require_page(PageKey.OUTREACH)

MONTHS = 12
PAGE_SIZE = 25
ALL = 0  # sentinel of the "all" choices (Streamlit draws a None option as an empty choice)


def this_month(by_mode: list[MonthlyOutreach], month: date) -> None:
    st.header(_("Ce mois-ci ({month})").format(month=md(outreach_charts.month_name(month))))
    rows = [row for row in by_mode if row.month == month]
    for column, (name, text) in zip(st.columns(4), outreach_charts.SERIES.items(), strict=False):
        column.metric(_(text), formats.number(sum(getattr(row, name) for row in rows)), border=True)


def monthly_figures(by_mode: list[MonthlyOutreach], by_site: list[MonthlyOutreach], months: list[date]) -> None:
    """The charts of the last MONTHS months by mode, then the totals by site (several sites only)."""
    st.header(_("Les {count} derniers mois").format(count=MONTHS))
    st.caption(
        _(
            "Par mois de la maraude. « Accueils issus des maraudes » : dossiers ouverts avec l'origine "
            "« aller-vers » qui renvoient à une maraude de ce mois, comptés dans le mois de la maraude (même si "
            "l'accueil a eu lieu plus tard) ; un dossier « aller-vers » qui ne renvoie à aucune maraude n'y "
            "figure pas."
        )
    )
    for pair in (list(outreach_charts.SERIES)[:2], list(outreach_charts.SERIES)[2:]):
        for column, series in zip(st.columns(2), pair, strict=False):
            charts.show(
                charts.from_aggregates(outreach_charts.monthly_by_mode, by_mode, months, series),
                _(outreach_charts.SERIES[series]),
                _("Par mois sur les {count} derniers mois, barres empilées par mode (rue, en ligne).").format(
                    count=MONTHS
                ),
                where=column,
            )
    if by_site:
        st.header(_("Par site"))
        st.caption(
            _(
                "Totaux des {count} derniers mois. « Accueils / nouveaux contacts » rapporte les accueils issus "
                "des maraudes aux personnes rencontrées pour la première fois."
            ).format(count=MONTHS)
        )
        st.dataframe(outreach_charts.site_totals(by_site), hide_index=True)
        charts.show(
            charts.from_aggregates(outreach_charts.persons_met_by_site, by_site, months),
            _("Personnes rencontrées par site"),
            _("Une courbe par site, mois par mois, les deux modes ensemble."),
        )


def round_filters(sites: list[SiteChoice], months: list[date]) -> tuple[date | None, int | None]:
    """The month and site chosen for the list of rounds (new filters: back to its first page)."""
    filters = st.columns(2)
    month_index = widgets.on(filters[0]).selectbox(  # 1 = this month, 2 = last month…
        _("Mois"),
        [ALL, *list(range(1, MONTHS + 1))],
        key="outreach_month",
        format_func=lambda i: _("Tous les mois") if i == ALL else outreach_charts.month_name(months[-i]),
    )
    site_id = None
    if len(sites) > 1:
        site_labels = {ALL: _("Tous les sites")} | {s.id: s.label for s in sites}
        site_id = (
            widgets.on(filters[1]).selectbox(
                _("Site"), list(site_labels), format_func=site_labels.get, key="outreach_site"
            )
            or None
        )
    month = None if month_index == ALL else months[-month_index]
    return month, site_id


def rounds_list(page: RoundPage, with_site: bool) -> None:
    """One page of rounds, with its count and the buttons to the previous and next pages."""
    st.caption(
        ngettext(
            "{count} maraude · page {page} sur {pages}", "{count} maraudes · page {page} sur {pages}", page.total
        ).format(count=formats.number(page.total), page=md(page.page), pages=md(page.page_count))
    )
    if not page.rows:
        st.info(_("Aucune maraude pour ce choix."))
    else:
        st.dataframe(outreach_charts.rounds_table(page.rows, with_site=with_site), hide_index=True)
    pager.buttons("outreach_page", page.page, page.page_count)


def recorded_rounds(current: Runtime, principal: Principal, sites: list[SiteChoice], months: list[date]) -> None:
    """The rounds of my sites, filtered and paged; the correction form of one of them for writers."""
    st.header(_("Maraudes enregistrées"))
    month, site_id = round_filters(sites, months)
    page_number = pager.current("outreach_page", (month, site_id))
    page = read(
        current.engine,
        lambda uow: outreach.list_rounds(
            uow, principal, site_id=site_id, month=month, page=page_number, page_size=PAGE_SIZE
        ),
    )
    rounds_list(page, with_site=len(sites) > 1)
    if principal.can(Capability.RUN_FIELD_ACTIVITIES) and page.rows:
        st.header(_("Corriger une maraude"))
        st.caption(
            _(
                "Une maraude de la page affichée ci-dessus ; si quelqu'un l'a modifiée entre-temps, "
                "votre correction est refusée et vos saisies restent dans le formulaire."
            )
        )
        outreach_forms.edit_round_form(current, principal, page.rows)


def outreach_figures(uow, principal: Principal, *, writer: bool, today: date):
    """The sites and the monthly figures the page draws (a read: run again if the connection drops)."""
    sites = outreach.outreach_sites(uow, principal)
    writable_sites = outreach.outreach_sites(uow, principal, writable=True) if writer else []
    if len(sites) > 1:
        by_site = outreach.monthly_outreach(uow, principal, months=MONTHS, by_site=True, today=today)
        return sites, writable_sites, by_site, outreach.across_sites(by_site)
    return sites, writable_sites, [], outreach.monthly_outreach(uow, principal, months=MONTHS, today=today)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Aller-vers"))
    st.caption(
        _(
            "Maraudes présentielles (rue, véhicules, salons) et dématérialisées (annonces, réseaux) : "
            "des nombres seulement, personne n'est identifié dans une maraude."
        )
    )
    form_state.show_toast()
    writer = principal.can(Capability.RUN_FIELD_ACTIVITIES)
    today = clock.today()
    months = [clock.month_start(today, offset) for offset in range(-(MONTHS - 1), 1)]
    sites, writable_sites, by_site, by_mode = read(
        current.engine, lambda uow: outreach_figures(uow, principal, writer=writer, today=today)
    )
    this_month(by_mode, months[-1])
    if writer:
        with st.expander(_("Saisir une maraude"), expanded=True, icon=":material/add_circle:"):
            outreach_forms.new_round_form(current, principal, writable_sites)
    else:
        st.caption(_("Consultation seule : les maraudes sont saisies par les équipes des sites."))
    monthly_figures(by_mode, by_site, months)
    recorded_rounds(current, principal, sites, months)


page(principal)
