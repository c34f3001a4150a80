"""Streamlit pages of each PageKey; app.py registers only those the role may open."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import streamlit as st

from i18n import N_, _
from services.platform.pages import PageKey, pages_for
from services.platform.principal import Principal


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: str
    icon: str
    section: str


PAGE_SPECS: dict[PageKey, PageSpec] = {
    PageKey.HOME: PageSpec("app_pages/home.py", N_("Accueil"), ":material/home:", N_("Parcours")),
    PageKey.WORKLIST: PageSpec("app_pages/worklist.py", N_("À faire"), ":material/checklist:", N_("Parcours")),
    PageKey.INTAKE: PageSpec(
        "app_pages/persons/intake.py", N_("Nouvel accueil"), ":material/person_add:", N_("Personnes accompagnées")
    ),
    PageKey.CASELOAD: PageSpec(
        "app_pages/persons/caseload.py", N_("File active"), ":material/folder_shared:", N_("Personnes accompagnées")
    ),
    PageKey.PERSON_FILE: PageSpec(
        "app_pages/persons/person_file.py", N_("Fiche personne"), ":material/badge:", N_("Personnes accompagnées")
    ),
    PageKey.DASHBOARD: PageSpec(
        "app_pages/reporting/dashboard.py", N_("Tableau de bord"), ":material/dashboard:", N_("Pilotage")
    ),
    PageKey.FUNDER_SPACE: PageSpec(
        "app_pages/reporting/funder_space.py", N_("Espace financeur"), ":material/volunteer_activism:", N_("Pilotage")
    ),
    PageKey.ACTIVITY_REPORT: PageSpec(
        "app_pages/reporting/activity_report.py", N_("Rapport d'activité"), ":material/summarize:", N_("Pilotage")
    ),
    PageKey.OUTREACH: PageSpec(
        "app_pages/activities/outreach.py", N_("Aller-vers"), ":material/directions_walk:", N_("Activités")
    ),
    PageKey.WORKSHOPS: PageSpec(
        "app_pages/activities/workshops.py", N_("Ateliers"), ":material/groups:", N_("Activités")
    ),
    PageKey.COURSES: PageSpec(
        "app_pages/activities/courses.py", N_("Cours de français"), ":material/translate:", N_("Activités")
    ),
    PageKey.LANGUAGE_PROGRESS: PageSpec(
        "app_pages/activities/language_progress.py",
        N_("Progression en français"),
        ":material/trending_up:",
        N_("Activités"),
    ),
    PageKey.BUDGET: PageSpec(
        "app_pages/finance/budget.py", N_("Suivi budgétaire"), ":material/monitoring:", N_("Budget et postes")
    ),
    PageKey.GRANTS: PageSpec(
        "app_pages/finance/grants.py", N_("Financements"), ":material/account_balance:", N_("Budget et postes")
    ),
    PageKey.PAYMENTS: PageSpec(
        "app_pages/finance/payments.py", N_("Versements et trésorerie"), ":material/savings:", N_("Budget et postes")
    ),
    PageKey.EXPENSES: PageSpec(
        "app_pages/finance/expenses.py", N_("Dépenses"), ":material/receipt_long:", N_("Budget et postes")
    ),
    PageKey.STAFFING: PageSpec(
        "app_pages/finance/staffing.py", N_("Postes"), ":material/work:", N_("Budget et postes")
    ),
    PageKey.FINANCIAL_REPORT: PageSpec(
        "app_pages/finance/financial_report.py",
        N_("Compte rendu financier"),
        ":material/description:",
        N_("Budget et postes"),
    ),
    PageKey.ORGANISATION: PageSpec(
        "app_pages/admin/organisation.py", N_("Association et sites"), ":material/apartment:", N_("Administration")
    ),
    PageKey.USERS: PageSpec(
        "app_pages/admin/users.py", N_("Comptes utilisateurs"), ":material/group:", N_("Administration")
    ),
    PageKey.AUDIT: PageSpec(
        "app_pages/admin/audit_log.py", N_("Journal d'audit"), ":material/policy:", N_("Administration")
    ),
    PageKey.PARTNERS: PageSpec(
        "app_pages/admin/partners.py", N_("Partenaires"), ":material/handshake:", N_("Administration")
    ),
    PageKey.RETENTION: PageSpec(
        "app_pages/admin/retention.py", N_("Conservation des données"), ":material/auto_delete:", N_("Administration")
    ),
    PageKey.PRACTICE_NOTES: PageSpec(
        "app_pages/capitalisation/practice_notes.py",
        N_("Notes de pratique"),
        ":material/edit_note:",
        N_("Capitalisation"),
    ),
    PageKey.GUIDES: PageSpec(
        "app_pages/capitalisation/guides.py", N_("Guides de pratique"), ":material/menu_book:", N_("Capitalisation")
    ),
    PageKey.ACCOUNT: PageSpec("app_pages/account.py", N_("Mon compte"), ":material/person:", N_("Mon compte")),
}


# Menu sections, top to bottom; pages keep their PageKey order inside a section.
SECTION_ORDER = (
    N_("Parcours"),
    N_("Pilotage"),
    N_("Personnes accompagnées"),
    N_("Activités"),
    N_("Budget et postes"),
    N_("Capitalisation"),
    N_("Administration"),
    N_("Mon compte"),
)


# The pages this run's navigation registered: `navigation_for` sets them before the page runs, in the run's own
# thread. Given a script path, st.page_link resolves it on disk and walks every registered page for each link;
# given the registered st.Page, it does neither (« À faire » draws 50 links).
_registered: ContextVar[dict[PageKey, st.Page]] = ContextVar("registered_pages")


def navigation_for(principal: Principal) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {section: [] for section in SECTION_ORDER}
    registered: dict[PageKey, st.Page] = {}
    for key in pages_for(principal.role):
        spec = PAGE_SPECS[key]
        title = spec.title  # a French id, translated each run (the page's identity is its script and url)
        page = st.Page(spec.script, title=_(title), icon=spec.icon, url_path=key.value, default=key == PageKey.HOME)
        sections.setdefault(spec.section, []).append(page)
        registered[key] = page
    _registered.set(registered)
    return {_(section): pages for section, pages in sections.items() if pages}


def link_target(key: PageKey) -> st.Page | str:
    """What `st.page_link` is given for the page `key`: the page this run registered, else its script (a role
    that may not open it gets Streamlit's error, as with the script; callers check `may_open` first)."""
    return _registered.get({}).get(key) or PAGE_SPECS[key].script
