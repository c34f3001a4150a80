"""Postes: FTE funded vs filled, vacancies, monthly cost by grant, posts; gestion edits posts and charges salaries."""

import pandas as pd
import streamlit as st

from clock import today
from i18n import N_, _, formats
from i18n.formats import day, euros, fte, number
from models.labels import label
from services.finance.staffing import figures as staffing_figures
from services.finance.staffing import posts as staffing
from services.finance.staffing import recruitment
from services.finance.staffing.figures import FteFigure, FteMonth, GrantCost, Vacancy
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from ui.finance import recruitment as recruitment_ui
from ui.finance import staffing_forms
from ui.finance.staffing_charts import fte_over_time
from ui.platform import charts, form_state, lazy_sections, widgets
from ui.platform.guards import require_page
from ui.platform.language_switch import tabs_keeping_the_open_one
from ui.platform.runtime import Runtime, runtime

principal = require_page(PageKey.STAFFING)

VACANCY_ALERT_DAYS = 60
# gestion's tabs, by name (the labels follow the language).
MANAGEMENT_TABS = {
    "charge": N_("Imputation mensuelle"),
    "create": N_("Créer un poste"),
    "edit": N_("Modifier un poste"),
}
TAB_KEY = "staffing_manage_tab"  # the open tab's label (tests open a tab through it)
OPENED_TABS = "staffing_manage_tabs_opened"  # (None, names of the tabs opened)


def _funding_text(post: staffing.PostRow) -> str:
    """'Convention A 60,00 % ; Convention B 40,00 %', or 'À définir'."""
    parts = [_("{grant} {share} %").format(grant=f.grant_name, share=formats.amount(f.share_bp)) for f in post.funding]
    return " ; ".join(parts) or _("À définir")


def _key_figures(figures: list[FteFigure], vacancies: list[Vacancy]) -> None:
    funded = sum(f.funded_hundredths for f in figures)
    filled = sum(f.filled_hundredths for f in figures)
    cols = st.columns(4)
    cols[0].metric(_("ETP financés"), fte(funded))
    cols[1].metric(_("ETP pourvus"), fte(filled))
    cols[2].metric(_("ETP vacants"), fte(funded - filled))
    cols[3].metric(
        _("Postes vacants depuis plus de {days} jours").format(days=VACANCY_ALERT_DAYS),
        number(sum(1 for v in vacancies if v.days > VACANCY_ALERT_DAYS)),
    )


def _fte_table(figures: list[FteFigure]) -> None:
    st.header(_("ETP par site et type de poste"))
    if not figures:
        st.info(_("Aucun poste ouvert aujourd'hui."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Site"): [f.site_code for f in figures],
                _("Type de poste"): [label(f.post_type) for f in figures],
                _("Postes"): [f.posts for f in figures],
                _("ETP financés"): [fte(f.funded_hundredths) for f in figures],
                _("ETP pourvus"): [fte(f.filled_hundredths) for f in figures],
                _("ETP vacants"): [fte(f.vacant_hundredths) for f in figures],
                _("Postes vacants"): [f.vacant_posts for f in figures],
            }
        ),
        hide_index=True,
    )


def _fte_chart(series: tuple[FteMonth, ...]) -> None:
    st.header(_("ETP financés et pourvus, mois par mois"))
    charts.show(
        charts.from_aggregates(fte_over_time, series),
        _("ETP financés et pourvus, mois par mois"),
        _("Deux courbes : ETP financés et ETP pourvus ; l'écart entre elles est la vacance."),
        width="stretch",
    )
    st.caption(
        _(
            "Situation au dernier jour de chaque mois (aujourd'hui pour le mois en cours), reconstituée à "
            "partir de l'historique des postes. L'écart entre les deux courbes correspond aux postes vacants."
        )
    )


def _vacancies_table(vacancies: list[Vacancy]) -> None:
    st.header(_("Postes vacants"))
    if not vacancies:
        st.success(_("Aucun poste vacant."))
        return
    days_column = _("Jours")
    frame = pd.DataFrame(
        {
            _("Site"): [v.site_code for v in vacancies],
            _("Type de poste"): [label(v.post_type) for v in vacancies],
            _("ETP"): [fte(v.fte_hundredths) for v in vacancies],
            _("Vacant depuis le"): [day(v.vacant_since) for v in vacancies],
            days_column: [v.days for v in vacancies],
        }
    )
    st.dataframe(
        frame.style.apply(
            lambda row: [
                "background-color: #f8d7da" if row[days_column] > VACANCY_ALERT_DAYS else "" for _unused in row
            ],
            axis=1,
        ),
        hide_index=True,
    )
    st.caption(
        _("En rouge : vacants depuis plus de {days} jours (alerte de la consommation budgétaire).").format(
            days=VACANCY_ALERT_DAYS
        )
    )


def _costs_table(costs: tuple[GrantCost, ...]) -> None:
    st.header(_("Coût mensuel par convention"))
    if not costs:
        st.info(_("Aucun poste pourvu financé."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Convention"): [c.grant_name for c in costs],
                _("Financeur"): [c.funder_name for c in costs],
                _("ETP financés (pourvus)"): [fte(c.fte_hundredths_funded) for c in costs],
                _("Coût mensuel chargé"): [euros(c.monthly_cents) for c in costs],
            }
        ),
        hide_index=True,
    )
    st.caption(
        _(
            "Coût d'un mois complet des postes pourvus aujourd'hui, réparti selon leur financement : {total} au total."
        ).format(total=euros(sum(c.monthly_cents for c in costs)))
    )


def _posts_table(posts: list[staffing.PostRow]) -> None:
    st.header(_("Liste des postes"))
    if not posts:
        st.info(_("Aucun poste."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("Site"): [p.site_code for p in posts],
                _("Type de poste"): [label(p.post_type) for p in posts],
                _("ETP"): [fte(p.fte_hundredths) for p in posts],
                _("Coût mensuel"): [euros(p.monthly_cost_cents) for p in posts],
                _("Début"): [day(p.starts_on) for p in posts],
                _("Fin"): [day(p.ends_on) for p in posts],
                _("Situation"): [_("Pourvu") if p.is_filled else _("Vacant") for p in posts],
                _("Depuis le"): [day(p.status_since) for p in posts],
                _("Titulaire"): [p.holder_name or "" for p in posts],
                _("Financement"): [_funding_text(p) for p in posts],
            }
        ),
        hide_index=True,
    )


def _management(current: Runtime, principal: Principal, posts: list[staffing.PostRow], sites: list) -> None:
    """gestion: the monthly charge, a new post, and the funding, situation and characteristics of one post."""
    st.divider()
    st.header(_("Gérer les postes"))
    # Tabs drawn once opened, and kept (ui.platform.lazy_sections): their forms were half of the page's run.
    tabs = tabs_keeping_the_open_one([_(label) for label in MANAGEMENT_TABS.values()], key=TAB_KEY, on_change="rerun")
    drawn = lazy_sections.tabs_to_draw(OPENED_TABS, None, list(MANAGEMENT_TABS), tabs)
    charge_tab, create_tab, edit_tab = tabs
    if "charge" in drawn:
        with charge_tab:
            st.caption(
                _(
                    "Impute sur la ligne « 64 – Charges de personnel » de chaque convention la part du coût "
                    "des postes pourvus pendant le mois écoulé (au prorata des jours pourvus). Une imputation "
                    "déjà faite n'est jamais refaite."
                )
            )
            staffing_forms.monthly_charge(current.engine, principal)
    if "create" in drawn:
        with create_tab:
            staffing_forms.create_post_form(current.engine, principal, sites)
    if "edit" in drawn:
        with edit_tab:
            _edit_post(current, principal, posts, sites)


def _edit_post(current: Runtime, principal: Principal, posts: list[staffing.PostRow], sites: list) -> None:
    if not posts:
        st.caption(_("Aucun poste à modifier."))
        return
    chosen = widgets.selectbox(_("Poste"), posts, key="staffing_post_choice", format_func=staffing_forms.post_label)
    st.markdown(_("**Financement**"))
    staffing_forms.funding_form(current.engine, principal, chosen)
    st.markdown(_("**Pourvu / vacant**"))
    staffing_forms.status_form(current.engine, principal, chosen)
    st.markdown(_("**Caractéristiques du poste**"))
    staffing_forms.edit_post_form(current.engine, principal, sites, chosen)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Postes"))
    st.caption(
        _(
            "Les postes financés par site, leur occupation et leur coût. Un poste est *financé* entre ses "
            "dates de début et de fin ; il est *pourvu* quand un·e salarié·e l'occupe."
        )
    )
    form_state.show_toast()
    as_of = today()
    with unit_of_work(current.engine) as uow:
        figures = staffing_figures.fte_by_site_and_type(uow, principal, today=as_of)
        vacancies = staffing_figures.vacancies(uow, principal, today=as_of)
        costs = staffing_figures.monthly_cost_by_grant(uow, principal, today=as_of)
        series = staffing_figures.fte_series(uow, principal, today=as_of)
        posts = staffing.list_posts(uow, principal)
        sites = staffing.sites_in_scope(uow, principal)
        recruitments = recruitment.funded_posts(uow, principal, today=as_of)
    _key_figures(figures, vacancies)
    _fte_table(figures)
    _fte_chart(series)
    _vacancies_table(vacancies)
    st.header(_("Recrutements des postes financés"))
    recruitment_ui.late_list(recruitments)
    recruitment_ui.followup_table(recruitments)
    if principal.can(Capability.EDIT_BUDGET):
        recruitment_ui.recruitment_form(current.engine, principal, recruitments)
    _costs_table(costs)
    _posts_table(posts)
    if principal.can(Capability.EDIT_BUDGET):
        _management(current, principal, posts, sites)


page(principal)
