"""Tableau de bord: "how are we doing?" for a period and sites — direction (every site), chef_service
(its own sites). First the director's three questions (ui.reporting.dashboard_answers: persons
accompanied, budget vs time per grant, which site lags, with the Excel export); then activity
indicators with their change, 12-month trends, the cohort funnel, budget consumption per grant, FTE
funded vs filled, and the site comparison."""

import streamlit as st

from clock import today
from i18n import _
from i18n.formats import day, fte, number
from services.platform.db import unit_of_work
from services.platform.inputs import PeriodInput
from services.platform.pages import PageKey
from services.platform.principal import Principal
from services.reporting import dashboard, director_answers
from services.reporting.dashboard import MAIN_KEYS, OUTCOME_KEYS, referrals_by_partner_kind
from ui.platform import charts, form_state
from ui.platform.charts import grant_progress
from ui.platform.guards import require_page
from ui.platform.runtime import runtime
from ui.platform.text import md
from ui.reporting import dashboard_answers, dashboard_appointments, dashboard_charts, dashboard_filters
from ui.reporting.dashboard_tiles import comparison_frame, tiles

principal = require_page(PageKey.DASHBOARD)


def _series_names() -> dict[str, str]:
    """Short names of the series drawn together in one trend chart (legend)."""
    return {
        "persons_met_street": _("Présentiel"),
        "persons_met_online": _("En ligne"),
        "outcomes_durable_employment": _("Emploi durable"),
        "outcomes_transition_employment": _("Emploi de transition"),
        "outcomes_positive_exit": _("Sortie positive"),
        "outcomes_housing": _("Logement"),
        "outcomes_health_care": _("Soins"),
        "outcomes_regularisation": _("Régularisation"),
        "outcomes_voluntary_return": _("Retour au pays"),
        "outcomes_lost_contact": _("Perte de contact"),
        "outcomes_other": _("Autre"),
    }


def _trends() -> list[tuple[str, list[str]]]:
    return [
        (_("Nouveaux accueils"), ["new_intakes"]),
        (_("Personnes rencontrées en maraude"), ["persons_met_street", "persons_met_online"]),
        (_("Heures de français suivies"), ["course_hours"]),
        (_("Sorties par catégorie"), list(OUTCOME_KEYS)),
    ]


def _stop_unless_comparable(period: tuple) -> None:
    """A custom range longer than the dashboard compares gets the period's message (the page stops)."""
    problems = PeriodInput.problems({"start": period[0], "end": period[1]}, longest_days=dashboard.MAX_DAYS)
    for field in problems:
        form_state.field_error(problems, field)
    if problems:
        st.stop()


def page(principal: Principal) -> None:
    """The page's body, in a function so that every text is translated when the page is drawn."""
    current = runtime()
    st.title(_("Tableau de bord"))
    st.caption(
        _(
            "Où en sommes-nous ? Les chiffres d'activité de la période choisie, comparés à la période "
            "précédente de même durée, pour les sites choisis."
        )
    )
    now = today()

    with unit_of_work(current.engine) as uow:
        sites = dashboard.sites_in_scope(uow, principal)
    period = dashboard_filters.period_picker(now)
    site_ids = dashboard_filters.site_picker(sites)
    if period is None:
        st.stop()
    if not site_ids:
        st.warning(_("Choisissez au moins un site."))
        st.stop()

    _stop_unless_comparable(period)

    with unit_of_work(current.engine) as uow:
        board = dashboard.director_dashboard(
            uow, principal, start=period[0], end=period[1], site_ids=site_ids, today=now
        )

    st.caption(
        _(
            "Période {period}, comparée à la période {previous} (flèches : évolution). {count} site(s) : {sites}."
        ).format(
            period=md(dashboard_filters.period_text(board.start, board.end)),
            previous=md(dashboard_filters.period_text(board.previous_start, board.previous_end)),
            count=number(len(board.sites)),
            sites=", ".join(md(s.name) for s in board.sites),
        )
    )

    with unit_of_work(current.engine) as uow:
        answers = director_answers.director_answers(
            uow, principal, start=period[0], end=period[1], site_ids=site_ids, today=now
        )

    def workbook() -> bytes:
        with unit_of_work(current.engine) as uow:
            return director_answers.build_workbook(
                uow, principal, start=period[0], end=period[1], site_ids=site_ids, today=now
            )

    dashboard_answers.answers_section(principal, answers, build=workbook)

    sparklines: dict[str, list[float]] = {}
    for point in board.monthly:
        sparklines.setdefault(point.key, []).append(float(point.value))

    st.header(_("Activité"))
    tiles(board, MAIN_KEYS, sparklines=sparklines)
    st.caption(
        _(
            "Chaque tuile : le chiffre de la période et son évolution par rapport à la période précédente. "
            "Survolez le point d'interrogation pour la définition exacte et, pour les flux, les chiffres des "
            "12 derniers mois."
        )
    )

    st.header(_("Sorties"))
    tiles(board, OUTCOME_KEYS, sparklines=sparklines)
    st.caption(
        _(
            "Personnes ayant une sortie datée dans la période, par catégorie (« sorties dynamiques » de l'IAE "
            "adaptées) : emploi durable (CDI, CDD ou intérim de plus de 6 mois, fonction publique, création "
            "d'entreprise), emploi de transition (CDD ou intérim de moins de 6 mois, contrat aidé), sortie "
            "positive (formation qualifiante, embauche en SIAE) ; puis les sorties hors emploi : logement, accès "
            "aux soins (droits santé ouverts, parcours de soins), régularisation (titre de séjour obtenu), retour "
            "volontaire au pays d'origine, perte de contact."
        )
    )

    st.header(_("Tendances sur 12 mois"))
    names = _series_names()
    trends = _trends()
    for row in (trends[:2], trends[2:]):
        for column, (title, keys) in zip(st.columns(2), row, strict=True):
            column.markdown(f"**{md(title)}**")
            charts.show(
                charts.from_aggregates(dashboard_charts.trend_chart, board.monthly, keys, names=names),
                title,
                _("Barres par mois sur les 12 derniers mois."),
                where=column,
                width="stretch",
            )
    st.caption(_("Les 12 mois jusqu'au {day} (le dernier mois s'arrête à cette date).").format(day=day(board.end)))

    st.header(_("Parcours de la cohorte"))
    charts.show(
        charts.from_aggregates(dashboard_charts.funnel_chart, board.funnel),
        _("Parcours de la cohorte"),
        _("Une barre par étape : nombre de personnes accueillies dans la période qui l'ont atteinte, et leur part."),
        width="stretch",
    )
    met = sum(board.current.get(key).value or 0 for key in ("persons_met_street", "persons_met_online"))
    st.caption(
        _(
            "Cohorte : les personnes dont l'accueil date de la période. Pour chacune, on regarde si elle vient "
            "de l'aller-vers (origine « maraude » de son dossier), si elle a été présente à au moins un atelier "
            "ou un cours de français, et si une sortie est enregistrée — à ce jour, quelle que soit la date. "
            "Les pourcentages sont rapportés à la cohorte ; les étapes ne s'emboîtent pas. Pour mémoire, "
            "{met} personnes rencontrées en maraude sur la période (comptages anonymes)."
        ).format(met=number(met))
    )

    st.header(_("Orientations vers les partenaires"))
    charts.show(
        charts.from_aggregates(
            dashboard_charts.referrals_chart,
            referrals_by_partner_kind(board.current),
            referrals_by_partner_kind(board.previous),
        ),
        _("Orientations vers les partenaires"),
        _("Par type de partenaire, les orientations de la période à côté de celles de la période précédente."),
        width="stretch",
    )
    st.caption(_("Orientations faites dans la période, par type de partenaire, comparées à la période précédente."))

    dashboard_appointments.appointments_section(board, sorted({point.month for point in board.monthly}))

    st.header(_("Budget et postes"))
    st.markdown("**" + _("Consommation des financements") + "**")
    if board.grants:
        charts.show(
            charts.from_aggregates(grant_progress, list(board.grants)),
            _("Consommation des financements"),
            _("Pour chaque convention, part du budget dépensée face à la part de la durée écoulée."),
            width="stretch",
        )
    else:
        st.info(_("Aucun financement en cours sur la période pour ces sites."))
    st.caption(
        _(
            "Au {day}, pour chaque convention en cours sur la période : part du budget prévu sur les lignes de "
            "ces sites déjà dépensée, face à la part de la durée de la convention écoulée."
        ).format(day=day(board.as_of))
    )
    st.markdown("**" + _("ETP financés et pourvus") + "**")
    if board.fte:
        charts.show(
            charts.from_aggregates(
                dashboard_charts.fte_by_site, board.fte, {site.code: site.name for site in board.sites}
            ),
            _("ETP financés et pourvus"),
            _("Pour chaque site, ETP financés et ETP pourvus côte à côte."),
            width="stretch",
        )
        funded = sum(f.funded_hundredths for f in board.fte)
        filled = sum(f.filled_hundredths for f in board.fte)
        st.caption(
            _("Au {day} : {funded} ETP financés, dont {filled} pourvus ({vacant} vacants).").format(
                day=day(board.as_of), funded=fte(funded), filled=fte(filled), vacant=fte(funded - filled)
            )
        )
    else:
        st.info(_("Aucun poste ouvert à cette date sur ces sites."))

    if len(board.site_rows) > 1:
        st.header(_("Comparaison des sites"))
        st.dataframe(comparison_frame(board.site_rows, MAIN_KEYS + OUTCOME_KEYS), hide_index=True)
        st.caption(_("Les mêmes indicateurs, site par site, pour la période choisie."))


page(principal)
