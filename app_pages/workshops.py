"""Ateliers: sessions and roll calls, cycles, validated modules, follow-up figures, module configuration.

The workshop team (intervenant, chef_service) works on its sites; direction reads the session lists
and attendance rates of every site (counts only: no roll call, no person).
"""

import streamlit as st

from services import workshops
from services.db import unit_of_work
from services.pages import PageKey
from services.principal import Capability
from ui import form_state
from ui.guards import require_page
from ui.runtime import runtime
from ui.workshop_follow_up import follow_up_tab
from ui.workshop_modules import modules_tab
from ui.workshop_people import completions_tab, enrolment_tab
from ui.workshop_sessions import sessions_tab

principal = require_page(PageKey.WORKSHOPS)
current = runtime()
st.title("Ateliers")
st.caption("Ateliers de mobilisation sur le projet professionnel : séances, appel, cycles et modules validés.")
form_state.show_toast()

team = principal.can(Capability.RUN_FIELD_ACTIVITIES)
with unit_of_work(current.engine) as uow:
    sites = workshops.my_sites(uow, principal)
if not sites:
    st.info("Aucun site ne vous est rattaché.")
    st.stop()
site_ids = [s.id for s in sites]
site_of = {s.id: s for s in sites}
if len(sites) > 1:
    everything = "Tous les sites" if principal.all_sites else "Tous mes sites"
    site_id = st.selectbox("Site", [None, *site_ids], key="workshops_site",
                           format_func=lambda i: everything if i is None else site_of[i].label)
else:
    site_id = site_ids[0]
several_sites = site_id is None and len(sites) > 1

labels = ["Séances"]
if team:
    labels += ["Inscriptions", "Modules validés"]
labels.append("Suivi")
if workshops.may_configure_modules(principal):
    labels.append("Modules")
# Only the open tab runs (each tab reads the database).
tabs = dict(zip(labels, st.tabs(labels, key="workshops_tab", on_change="rerun"), strict=True))

if tabs["Séances"].open:
    with tabs["Séances"]:
        sessions_tab(current, principal, sites, site_id, team)
if team and tabs["Inscriptions"].open:
    with tabs["Inscriptions"]:
        enrolment_tab(current, principal, site_id, several_sites)
if team and tabs["Modules validés"].open:
    with tabs["Modules validés"]:
        completions_tab(current, principal)
if tabs["Suivi"].open:
    with tabs["Suivi"]:
        follow_up_tab(current, principal, site_id, team)
if "Modules" in tabs and tabs["Modules"].open:
    with tabs["Modules"]:
        modules_tab(current, principal, sites, site_id)
