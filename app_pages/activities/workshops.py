"""Ateliers: sessions and roll calls, cycles, validated modules, follow-up figures, module configuration.

The workshop team (intervenant, chef_service) works on its sites; direction reads the session lists
and attendance rates of every site (counts only: no roll call, no person).
"""

import streamlit as st

from i18n import N_, _
from services.activities.workshops import modules as workshop_modules
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability
from ui.activities.workshops.follow_up import follow_up_tab
from ui.activities.workshops.modules import modules_tab
from ui.activities.workshops.people import completions_tab, enrolment_tab
from ui.activities.workshops.sessions import sessions_tab
from ui.platform import form_state
from ui.platform.guards import require_page
from ui.platform.language_switch import tabs_keeping_the_open_one
from ui.platform.runtime import runtime

TAB_KEY = "workshops_tab"
# The tabs, by a stable name (the labels follow the language).
TAB_LABELS = {
    "sessions": N_("Séances"),
    "enrolment": N_("Inscriptions"),
    "completions": N_("Modules validés"),
    "follow_up": N_("Suivi"),
    "modules": N_("Modules"),
}


principal = require_page(PageKey.WORKSHOPS)
current = runtime()
st.title(_("Ateliers"))
st.caption(_("Ateliers de mobilisation sur le projet professionnel : séances, appel, cycles et modules validés."))
form_state.show_toast()

team = principal.can(Capability.RUN_FIELD_ACTIVITIES)
with unit_of_work(current.engine) as uow:
    sites = workshop_modules.my_sites(uow, principal)
if not sites:
    st.info(_("Aucun site ne vous est rattaché."))
    st.stop()
site_ids = [s.id for s in sites]
site_of = {s.id: s for s in sites}
if len(sites) > 1:
    everything = _("Tous les sites") if principal.all_sites else _("Tous mes sites")
    site_id = st.selectbox(
        _("Site"),
        [None, *site_ids],
        key="workshops_site",
        format_func=lambda i: everything if i is None else site_of[i].label,
    )
else:
    site_id = site_ids[0]
several_sites = site_id is None and len(sites) > 1

names = ["sessions"]
if team:
    names += ["enrolment", "completions"]
names.append("follow_up")
if workshop_modules.may_configure_modules(principal):
    names.append("modules")
# Only the open tab runs (each tab reads the database).
labels = [_(TAB_LABELS[name]) for name in names]
tabs = dict(zip(names, tabs_keeping_the_open_one(labels, key=TAB_KEY, on_change="rerun"), strict=True))

if tabs["sessions"].open:
    with tabs["sessions"]:
        sessions_tab(current, principal, sites, site_id, team)
if team and tabs["enrolment"].open:
    with tabs["enrolment"]:
        enrolment_tab(current, principal, site_id, several_sites)
if team and tabs["completions"].open:
    with tabs["completions"]:
        completions_tab(current, principal)
if tabs["follow_up"].open:
    with tabs["follow_up"]:
        follow_up_tab(current, principal, site_id, team)
if "modules" in tabs and tabs["modules"].open:
    with tabs["modules"]:
        modules_tab(current, principal, sites, site_id)
