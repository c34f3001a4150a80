"""Ateliers: sessions and roll calls, cycles, validated modules, follow-up figures, module configuration.

The workshop team (intervenant, chef_service) works on its sites; direction reads the session lists
and attendance rates of every site (counts only: no roll call, no person).
"""

import streamlit as st

from i18n import N_, _
from services.activities.attendance import SessionKind
from services.activities.workshops import modules as workshop_modules
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from services.platform.sites import SiteChoice
from ui.activities.linked_roll import linked_roll_call
from ui.activities.workshops.follow_up import follow_up_tab
from ui.activities.workshops.modules import modules_tab
from ui.activities.workshops.people import completions_tab, enrolment_tab
from ui.activities.workshops.sessions import sessions_tab
from ui.platform import form_state, lazy_sections, widgets
from ui.platform.guards import require_page
from ui.platform.language_switch import tabs_keeping_the_open_one
from ui.platform.runtime import Runtime, runtime

principal = require_page(PageKey.WORKSHOPS)

TAB_KEY = "workshops_tab"
OPENED_TABS = "workshops_tabs_opened"  # (site chosen, names of the tabs opened for it)
# The tabs, by a stable name (the labels follow the language).
TAB_LABELS = {
    "sessions": N_("Séances"),
    "enrolment": N_("Inscriptions"),
    "completions": N_("Modules validés"),
    "follow_up": N_("Suivi"),
    "modules": N_("Modules"),
}


def choose_site(principal: Principal, sites: list[SiteChoice]) -> int | None:
    """One of the principal's sites, or None for all of them (asked only when there are several)."""
    if len(sites) == 1:
        return sites[0].id
    site_of = {s.id: s for s in sites}
    everything = _("Tous les sites") if principal.all_sites else _("Tous mes sites")
    return widgets.selectbox(
        _("Site"),
        [None, *site_of],
        key="workshops_site",
        format_func=lambda i: everything if i is None else site_of[i].label,
    )


def tab_names(principal: Principal) -> list[str]:
    """The tabs the role sees, in order."""
    team = principal.can(Capability.RUN_FIELD_ACTIVITIES)
    names = ["sessions", *(["enrolment", "completions"] if team else []), "follow_up"]
    if workshop_modules.may_configure_modules(principal):
        names.append("modules")
    return names


def draw_tab(name: str, current: Runtime, principal: Principal, sites: list[SiteChoice], site_id: int | None) -> None:
    team = principal.can(Capability.RUN_FIELD_ACTIVITIES)
    several_sites = site_id is None and len(sites) > 1
    if name == "sessions":
        sessions_tab(current, principal, sites, site_id, team)
    elif name == "enrolment":
        enrolment_tab(current, principal, site_id, several_sites)
    elif name == "completions":
        completions_tab(current, principal)
    elif name == "follow_up":
        follow_up_tab(current, principal, site_id, team)
    else:
        modules_tab(current, principal, sites, site_id)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Ateliers"))
    st.caption(_("Ateliers de mobilisation sur le projet professionnel : séances, appel, cycles et modules validés."))
    form_state.show_toast()
    with unit_of_work(current.engine) as uow:
        sites = workshop_modules.my_sites(uow, principal)
    if not sites:
        st.info(_("Aucun site ne vous est rattaché."))
        return
    if principal.can(Capability.RUN_FIELD_ACTIVITIES):
        linked_roll_call(current.engine, principal, SessionKind.WORKSHOP)  # a link from « À faire »
    site_id = choose_site(principal, sites)
    names = tab_names(principal)
    # A tab is drawn once opened, and stays drawn (ui.platform.lazy_sections): each tab reads the database, and
    # what is typed in a form of one survives a look at another.
    tabs = tabs_keeping_the_open_one([_(TAB_LABELS[name]) for name in names], key=TAB_KEY, on_change="rerun")
    drawn = lazy_sections.tabs_to_draw(OPENED_TABS, site_id, names, tabs)
    for name, tab in zip(names, tabs, strict=True):
        if name in drawn:
            with tab:
                draw_tab(name, current, principal, sites, site_id)


page(principal)
