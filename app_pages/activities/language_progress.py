"""Progression en français: per learner, per group, per site (direction, chef_service, formateur).

A formateur sees the learners of its groups (code and first name), chef_service those of its sites,
direction every site, learners by code only.
"""

import streamlit as st

import clock
from i18n import N_, _
from services.activities.courses import groups as course_groups
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.activities.courses.progress_views import group_view, learner_view, site_view
from ui.platform import lazy_sections
from ui.platform.guards import require_page
from ui.platform.language_switch import tabs_keeping_the_open_one
from ui.platform.runtime import runtime

VIEWS = (N_("Par apprenant·e"), N_("Par groupe"), N_("Par site"))
LEARNER, GROUP, SITES = "learner", "group", "sites"  # the views' names, in the order of VIEWS
TAB_KEY = "progress_view"  # the open tab's label (tests open a tab through it)
OPENED_VIEWS = "progress_views_opened"  # (user id, names of the views opened)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Progression en français"))
    st.caption(
        _(
            "Niveaux CECRL (pré-A1, A1.1, A1, A2, B1, B2…) par compétence — compréhension et expression, orales "
            "et écrites — et heures de présence aux cours de français adapté."
        )
    )
    today = clock.today()

    with unit_of_work(current.engine) as uow:
        groups = course_groups.list_groups(uow, principal)
    if not groups:
        st.info(_("Aucun groupe de français dans votre périmètre."))
        return

    # Lazy tabs, drawn once opened (ui.platform.lazy_sections): the site figures, read over the whole scope, only
    # for those who look at them, and a learner or group chosen is still chosen after a look at another tab.
    # Direction starts with the sites, the teaching roles with their learners.
    views = [_(view) for view in VIEWS]
    tabs = tabs_keeping_the_open_one(
        views,
        key=TAB_KEY,
        on_change="rerun",
        default=views[0] if course_groups.names_visible(principal) else views[2],
    )
    drawn = lazy_sections.tabs_to_draw(OPENED_VIEWS, principal.user_id, [LEARNER, GROUP, SITES], tabs)
    learner_tab, group_tab, site_tab = tabs
    with learner_tab:
        if LEARNER in drawn:
            learner_view(current, principal, groups, today)
    with group_tab:
        if GROUP in drawn:
            group_view(current, principal, groups, today)
    with site_tab:
        if SITES in drawn:
            site_view(principal, today)


principal = require_page(PageKey.LANGUAGE_PROGRESS)
page(principal)
