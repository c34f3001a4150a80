"""Tableau de bord: "how are we doing?" for a period and sites — direction (every site), chef_service
(its own sites). Activity indicators with their change, 12-month trends, the cohort funnel, budget
consumption per grant, FTE funded vs filled, and the site comparison."""

import streamlit as st

from services import dashboard
from services.clock import today
from services.db import unit_of_work
from services.errors import ValidationFailed
from services.indicators import MAIN_KEYS, OUTCOME_KEYS, referrals_by_partner_kind
from services.pages import PageKey
from ui import dashboard_charts, dashboard_filters
from ui.charts import grant_progress
from ui.dashboard_tiles import comparison_frame, tiles
from ui.format import day, fte, number
from ui.guards import require_page
from ui.runtime import runtime

principal = require_page(PageKey.DASHBOARD)
current = runtime()
st.title("Tableau de bord")
st.caption("Où en sommes-nous ? Les chiffres d'activité de la période choisie, comparés à la période précédente de "
           "même durée, pour les sites choisis.")
now = today()

with unit_of_work(current.engine) as uow:
    sites = dashboard.sites_in_scope(uow, principal)
period = dashboard_filters.period_picker(now)
site_ids = dashboard_filters.site_picker(sites)
if period is None:
    st.stop()
if not site_ids:
    st.warning("Choisissez au moins un site.")
    st.stop()

try:
    with unit_of_work(current.engine) as uow:
        board = dashboard.director_dashboard(uow, principal, start=period[0], end=period[1], site_ids=site_ids,
                                             today=now)
except ValidationFailed as error:
    st.error(" ".join(error.errors.values()))
    st.stop()

st.caption(f"Période {dashboard_filters.period_text(board.start, board.end)}, comparée à la période "
           f"{dashboard_filters.period_text(board.previous_start, board.previous_end)} "
           f"(flèches : évolution). {len(board.sites)} site(s) : {', '.join(s.name for s in board.sites)}.")

sparklines: dict[str, list[float]] = {}
for point in board.monthly:
    sparklines.setdefault(point.key, []).append(float(point.value))

st.subheader("Activité")
tiles(board, MAIN_KEYS, sparklines=sparklines)
st.caption("Chaque tuile : le chiffre de la période, son évolution par rapport à la période précédente et, pour les "
           "flux, les 12 derniers mois en petit. Survolez le point d'interrogation pour la définition exacte.")

st.subheader("Sorties")
tiles(board, OUTCOME_KEYS, sparklines=sparklines)
st.caption("Personnes ayant une sortie datée dans la période, par catégorie (« sorties dynamiques » de l'IAE "
           "adaptées) : emploi durable (CDI, CDD ou intérim de plus de 6 mois, fonction publique, création "
           "d'entreprise), emploi de transition (CDD ou intérim de moins de 6 mois, contrat aidé), sortie positive "
           "(formation qualifiante, embauche en SIAE).")

st.subheader("Tendances sur 12 mois")
names = {"persons_met_street": "Présentiel", "persons_met_online": "En ligne",
         "outcomes_durable_employment": "Emploi durable", "outcomes_transition_employment": "Emploi de transition",
         "outcomes_positive_exit": "Sortie positive", "outcomes_other": "Autre"}
TRENDS = [("Nouveaux accueils", ["new_intakes"]),
          ("Personnes rencontrées en maraude", ["persons_met_street", "persons_met_online"]),
          ("Heures de français suivies", ["course_hours"]),
          ("Sorties par catégorie", list(OUTCOME_KEYS))]
for row in (TRENDS[:2], TRENDS[2:]):
    for column, (title, keys) in zip(st.columns(2), row, strict=True):
        column.markdown(f"**{title}**")
        column.altair_chart(dashboard_charts.trend_chart(board.monthly, keys, names=names), width="stretch")
st.caption(f"Les 12 mois jusqu'au {day(board.end)} (le dernier mois s'arrête à cette date).")

st.subheader("Parcours de la cohorte")
st.altair_chart(dashboard_charts.funnel_chart(board.funnel), width="stretch")
met = sum(board.current.get(key).value or 0 for key in ("persons_met_street", "persons_met_online"))
st.caption(f"Cohorte : les personnes dont l'accueil date de la période. Pour chacune, on regarde si elle vient de "
           f"l'aller-vers (origine « maraude » de son dossier), si elle a été présente à au moins un atelier ou un "
           f"cours de français, et si une sortie est enregistrée — à ce jour, quelle que soit la date. Les "
           f"pourcentages sont rapportés à la cohorte ; les étapes ne s'emboîtent pas. Pour mémoire, "
           f"{number(met)} personnes rencontrées en maraude sur la période (comptages anonymes).")

st.subheader("Orientations vers les partenaires")
st.altair_chart(dashboard_charts.referrals_chart(referrals_by_partner_kind(board.current),
                                                 referrals_by_partner_kind(board.previous)), width="stretch")
st.caption("Orientations faites dans la période, par type de partenaire, comparées à la période précédente.")

st.subheader("Budget et postes")
st.markdown("**Consommation des financements**")
if board.grants:
    st.altair_chart(grant_progress(list(board.grants)), width="stretch")
else:
    st.info("Aucun financement en cours sur la période pour ces sites.")
st.caption(f"Au {day(board.as_of)}, pour chaque convention en cours sur la période : part du budget prévu sur les "
           f"lignes de ces sites déjà dépensée, face à la part de la durée de la convention écoulée.")
st.markdown("**ETP financés et pourvus**")
if board.fte:
    st.altair_chart(dashboard_charts.fte_by_site(board.fte, {site.code: site.name for site in board.sites}),
                    width="stretch")
    funded = sum(f.funded_hundredths for f in board.fte)
    filled = sum(f.filled_hundredths for f in board.fte)
    st.caption(f"Au {day(board.as_of)} : {fte(funded)} ETP financés, dont {fte(filled)} pourvus "
               f"({fte(funded - filled)} vacants).")
else:
    st.info("Aucun poste ouvert à cette date sur ces sites.")

if len(board.site_rows) > 1:
    st.subheader("Comparaison des sites")
    st.dataframe(comparison_frame(board.site_rows, MAIN_KEYS + OUTCOME_KEYS), hide_index=True)
    st.caption("Les mêmes indicateurs, site par site, pour la période choisie.")
