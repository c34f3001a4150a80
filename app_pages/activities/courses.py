"""Cours de français: groups, learners, sessions and roll calls, assessments (chef_service, formateur).

A formateur sees the groups it teaches; chef_service the groups of its sites, and creates them.
"""

from datetime import date

import streamlit as st

import clock
from i18n import _
from services.activities.attendance import SessionKind
from services.activities.courses import groups as course_groups
from services.activities.courses.groups import GroupRow
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.activities.courses.follow_up import follow_up_tab
from ui.activities.courses.groups import (
    NEW_GROUP_SECTION,
    create_group_form,
    edit_group_form,
    group_label,
    groups_table,
    period,
)
from ui.activities.courses.learners import group_learners, learners_tab
from ui.activities.courses.sessions import sessions_tab
from ui.activities.linked_roll import choose_linked_group, linked_roll_call
from ui.platform import form_state, lazy_sections, widgets
from ui.platform.guards import require_page
from ui.platform.language_switch import tabs_keeping_the_open_one
from ui.platform.runtime import Runtime, runtime
from ui.platform.text import md

principal = require_page(PageKey.COURSES)

TAB_KEY = "courses_tab"  # the open tab's label (tests open a tab through it)
OPENED_TABS = "courses_tabs_opened"  # (group id, names of the group's tabs opened)
LEARNERS, SESSIONS, FOLLOW_UP, SETTINGS = "learners", "sessions", "follow_up", "settings"


def no_group_yet(manager: bool) -> None:
    if manager:
        st.info(_("Aucun groupe pour l'instant : créez le premier ci-dessous."))
    else:
        st.info(
            _(
                "Vous n'animez encore aucun groupe : un·e chef·fe de service vous ajoute comme formateur·rice "
                "d'un groupe."
            )
        )


def choose_group(groups: list[GroupRow], today: date) -> GroupRow:
    """One of the groups, running ones first; its name and description as the heading of what follows."""
    several_sites = len({g.site_id for g in groups}) > 1
    by_id = {g.id: g for g in groups}
    running = [g.id for g in groups if g.is_running(today)]
    ordered = running + [g.id for g in groups if g.id not in running]

    def group_option(group_id: int) -> str:
        name = group_label(by_id[group_id], several_sites)
        return name if by_id[group_id].is_running(today) else _("{group} (terminé)").format(group=name)

    group = by_id[widgets.selectbox(_("Groupe"), ordered, key="courses_group", format_func=group_option)]
    st.header(md(group_label(group, several_sites)))
    st.caption(
        _("{schedule} · {period} · formateur·rices : {teachers}").format(
            schedule=md(group.schedule or _("Horaires non précisés")),
            period=md(period(group)),
            teachers=md(", ".join(group.teacher_names) or "—"),
        )
    )
    return group


def group_tabs(current: Runtime, principal: Principal, group: GroupRow, today: date, manager: bool) -> None:
    """The group's tabs; each is drawn once opened on the group, and stays drawn (ui.platform.lazy_sections:
    what is typed in a roll call or a form survives a look at another tab)."""
    sections = [
        (LEARNERS, _("Apprenant·es")),
        (SESSIONS, _("Séances et appel")),
        (FOLLOW_UP, _("Suivi d'un·e apprenant·e")),
    ] + ([(SETTINGS, _("Paramètres du groupe"))] if manager else [])
    tabs = tabs_keeping_the_open_one([label for _name, label in sections], key=TAB_KEY, on_change="rerun")
    drawn = lazy_sections.tabs_to_draw(OPENED_TABS, group.id, [name for name, _label in sections], tabs)
    learners = None
    with tabs[0]:
        if LEARNERS in drawn:
            learners = learners_tab(current, principal, group, today)
    with tabs[1]:
        if SESSIONS in drawn:
            sessions_tab(current, principal, group, today)
    with tabs[2]:
        if FOLLOW_UP in drawn:
            if learners is None:  # the learners' tab was not drawn
                learners = group_learners(current, principal, group, today)
            follow_up_tab(current, principal, group, learners)
    if manager:
        with tabs[3]:
            if SETTINGS in drawn:
                edit_group_form(current, principal, group)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    st.title(_("Cours de français"))
    st.caption(
        _(
            "Les groupes de français adapté (alphabétisation, post-alphabétisation, FLE) : apprenant·es, "
            "séances et appel, évaluations CECRL par compétence, certifications et passages vers le droit "
            "commun."
        )
    )
    form_state.show_toast()
    today = clock.today()
    with unit_of_work(current.engine) as uow:
        groups = course_groups.list_groups(uow, principal)
        sites = course_groups.manageable_sites(uow, principal)
    manager = course_groups.may_manage_groups(principal)
    if groups:
        groups_table(groups, today)
    else:
        no_group_yet(manager)
    if manager and sites:
        lazy_sections.section(
            _("Créer un groupe"),
            key=NEW_GROUP_SECTION,
            draw=lambda: create_group_form(current, principal, sites),
            expanded=not groups,
        )
    linked_roll_call(current.engine, principal, SessionKind.COURSE)  # a link from « À faire »
    if groups:
        choose_linked_group([g.id for g in groups], "courses_group")
        group_tabs(current, principal, choose_group(groups, today), today, manager)


page(principal)
