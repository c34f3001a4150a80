"""Progression en français: per learner, per group, per site (direction, chef_service, formateur).

A formateur sees the learners of its groups (code and first name), chef_service those of its sites,
direction every site, learners by code only.
"""

import streamlit as st

from services import clock, courses
from services.db import unit_of_work
from services.pages import PageKey
from ui.course_progress_views import group_view, learner_view, site_view
from ui.guards import require_page
from ui.runtime import runtime

principal = require_page(PageKey.LANGUAGE_PROGRESS)
current = runtime()
st.title("Progression en français")
st.caption("Niveaux CECRL (pré-A1, A1.1, A1, A2, B1, B2…) par compétence — compréhension et expression, orales "
           "et écrites — et heures de présence aux cours de français adapté.")
today = clock.today()

with unit_of_work(current.engine) as uow:
    groups = courses.list_groups(uow, principal)
if not groups:
    st.info("Aucun groupe de français dans votre périmètre.")
    st.stop()

# Lazy tabs: only the open one runs (the site figures read the whole scope). Direction starts with
# the sites, the teaching roles with their learners.
views = ["Par apprenant·e", "Par groupe", "Par site"]
learner_tab, group_tab, site_tab = st.tabs(views, key="progress_view", on_change="rerun",
                                           default=views[0] if courses.names_visible(principal) else views[2])
with learner_tab:
    if learner_tab.open is not False:
        learner_view(current, principal, groups, today)
with group_tab:
    if group_tab.open is not False:
        group_view(current, principal, groups, today)
with site_tab:
    if site_tab.open is not False:
        site_view(principal, today)
