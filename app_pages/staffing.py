"""Postes: FTE funded vs filled, vacancies, monthly cost by grant, posts; gestion edits posts and charges salaries."""

import pandas as pd
import streamlit as st

from models.labels import label
from services import staffing, staffing_figures
from services.clock import today
from services.db import unit_of_work
from services.pages import PageKey
from services.principal import Capability
from ui import form_state, staffing_forms
from ui.format import day, euros, fte, number
from ui.guards import require_page
from ui.runtime import runtime
from ui.staffing_charts import fte_over_time

VACANCY_ALERT_DAYS = 60

principal = require_page(PageKey.STAFFING)
current = runtime()
st.title("Postes")
st.caption("Les postes financés par site, leur occupation et leur coût. Un poste est *financé* entre ses dates de "
           "début et de fin ; il est *pourvu* quand un·e salarié·e l'occupe.")
form_state.show_toast()
now = today()

with unit_of_work(current.engine) as uow:
    figures = staffing_figures.fte_by_site_and_type(uow, principal, today=now)
    vacancies = staffing_figures.vacancies(uow, principal, today=now)
    costs = staffing_figures.monthly_cost_by_grant(uow, principal, today=now)
    series = staffing_figures.fte_series(uow, principal, today=now)
    posts = staffing.list_posts(uow, principal)
    sites = staffing.sites_in_scope(uow, principal)

funded = sum(f.funded_hundredths for f in figures)
filled = sum(f.filled_hundredths for f in figures)
cols = st.columns(4)
cols[0].metric("ETP financés", fte(funded))
cols[1].metric("ETP pourvus", fte(filled))
cols[2].metric("ETP vacants", fte(funded - filled))
cols[3].metric(f"Postes vacants depuis plus de {VACANCY_ALERT_DAYS} jours",
               number(sum(1 for v in vacancies if v.days > VACANCY_ALERT_DAYS)))

st.subheader("ETP par site et type de poste")
if figures:
    st.dataframe(pd.DataFrame({
        "Site": [f.site_code for f in figures],
        "Type de poste": [label(f.post_type) for f in figures],
        "Postes": [f.posts for f in figures],
        "ETP financés": [fte(f.funded_hundredths) for f in figures],
        "ETP pourvus": [fte(f.filled_hundredths) for f in figures],
        "ETP vacants": [fte(f.vacant_hundredths) for f in figures],
        "Postes vacants": [f.vacant_posts for f in figures],
    }), hide_index=True)
else:
    st.info("Aucun poste ouvert aujourd'hui.")

st.subheader("ETP financés et pourvus, mois par mois")
st.altair_chart(fte_over_time(series), width="stretch")
st.caption("Situation au dernier jour de chaque mois (aujourd'hui pour le mois en cours), reconstituée à partir de "
           "l'historique des postes. L'écart entre les deux courbes correspond aux postes vacants.")

st.subheader("Postes vacants")
if vacancies:
    frame = pd.DataFrame({
        "Site": [v.site_code for v in vacancies],
        "Type de poste": [label(v.post_type) for v in vacancies],
        "ETP": [fte(v.fte_hundredths) for v in vacancies],
        "Vacant depuis le": [day(v.vacant_since) for v in vacancies],
        "Jours": [v.days for v in vacancies],
    })
    st.dataframe(frame.style.apply(
        lambda row: ["background-color: #f8d7da" if row["Jours"] > VACANCY_ALERT_DAYS else "" for _ in row], axis=1),
        hide_index=True)
    st.caption(f"En rouge : vacants depuis plus de {VACANCY_ALERT_DAYS} jours (alerte de la consommation budgétaire).")
else:
    st.success("Aucun poste vacant.")

st.subheader("Coût mensuel par convention")
if costs:
    st.dataframe(pd.DataFrame({
        "Convention": [c.grant_name for c in costs],
        "Financeur": [c.funder_name for c in costs],
        "ETP financés (pourvus)": [fte(c.fte_hundredths_funded) for c in costs],
        "Coût mensuel chargé": [euros(c.monthly_cents) for c in costs],
    }), hide_index=True)
    st.caption(f"Coût d'un mois complet des postes pourvus aujourd'hui, réparti selon leur financement : "
               f"{euros(sum(c.monthly_cents for c in costs))} au total.")
else:
    st.info("Aucun poste pourvu financé.")

st.subheader("Liste des postes")
if posts:
    st.dataframe(pd.DataFrame({
        "Site": [p.site_code for p in posts],
        "Type de poste": [label(p.post_type) for p in posts],
        "ETP": [fte(p.fte_hundredths) for p in posts],
        "Coût mensuel": [euros(p.monthly_cost_cents) for p in posts],
        "Début": [day(p.starts_on) for p in posts],
        "Fin": [day(p.ends_on) for p in posts],
        "Situation": ["Pourvu" if p.is_filled else "Vacant" for p in posts],
        "Depuis le": [day(p.status_since) for p in posts],
        "Titulaire": [p.holder_name or "" for p in posts],
        "Financement": [" ; ".join(f"{f.grant_name} {f.share_bp / 100:.2f} %".replace(".", ",") for f in p.funding)
                        or "À définir" for p in posts],
    }), hide_index=True)
else:
    st.info("Aucun poste.")

if principal.can(Capability.EDIT_BUDGET):
    st.divider()
    st.subheader("Gérer les postes")
    charge_tab, create_tab, edit_tab = st.tabs(["Imputation mensuelle", "Créer un poste", "Modifier un poste"])
    with charge_tab:
        st.caption("Impute sur la ligne « 64 – Charges de personnel » de chaque convention la part du coût des postes "
                   "pourvus pendant le mois écoulé (au prorata des jours pourvus). Une imputation déjà faite n'est "
                   "jamais refaite.")
        staffing_forms.monthly_charge(current.engine, principal)
    with create_tab:
        staffing_forms.create_post_form(current.engine, principal, sites)
    with edit_tab:
        if not posts:
            st.caption("Aucun poste à modifier.")
        else:
            chosen = st.selectbox("Poste", posts, key="staffing_post_choice", format_func=staffing_forms.post_label)
            st.markdown("**Financement**")
            staffing_forms.funding_form(current.engine, principal, chosen)
            st.markdown("**Pourvu / vacant**")
            staffing_forms.status_form(current.engine, principal, chosen)
            st.markdown("**Caractéristiques du poste**")
            staffing_forms.edit_post_form(current.engine, principal, sites, chosen)
