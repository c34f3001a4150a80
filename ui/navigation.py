"""Streamlit pages of each PageKey; app.py registers only those the role may open."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from services.pages import PageKey, pages_for
from services.principal import Principal


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: str
    icon: str
    section: str


PAGE_SPECS: dict[PageKey, PageSpec] = {
    PageKey.HOME: PageSpec("app_pages/home.py", "Accueil", ":material/home:", "Parcours"),
    PageKey.INTAKE: PageSpec("app_pages/intake.py", "Nouvel accueil", ":material/person_add:",
                             "Personnes accompagnées"),
    PageKey.CASELOAD: PageSpec("app_pages/caseload.py", "File active", ":material/folder_shared:",
                               "Personnes accompagnées"),
    PageKey.PERSON_FILE: PageSpec("app_pages/person_file.py", "Fiche personne", ":material/badge:",
                                  "Personnes accompagnées"),
    PageKey.DASHBOARD: PageSpec("app_pages/dashboard.py", "Tableau de bord", ":material/dashboard:", "Pilotage"),
    PageKey.FUNDER_SPACE: PageSpec("app_pages/funder_space.py", "Espace financeur", ":material/volunteer_activism:",
                                   "Pilotage"),
    PageKey.OUTREACH: PageSpec("app_pages/outreach.py", "Aller-vers", ":material/directions_walk:", "Activités"),
    PageKey.WORKSHOPS: PageSpec("app_pages/workshops.py", "Ateliers", ":material/groups:", "Activités"),
    PageKey.COURSES: PageSpec("app_pages/courses.py", "Cours de français", ":material/translate:", "Activités"),
    PageKey.LANGUAGE_PROGRESS: PageSpec("app_pages/language_progress.py", "Progression en français",
                                        ":material/trending_up:", "Activités"),
    PageKey.BUDGET: PageSpec("app_pages/budget.py", "Suivi budgétaire", ":material/monitoring:", "Budget et postes"),
    PageKey.GRANTS: PageSpec("app_pages/grants.py", "Financements", ":material/account_balance:",
                             "Budget et postes"),
    PageKey.EXPENSES: PageSpec("app_pages/expenses.py", "Dépenses", ":material/receipt_long:", "Budget et postes"),
    PageKey.STAFFING: PageSpec("app_pages/staffing.py", "Postes", ":material/work:", "Budget et postes"),
    PageKey.FINANCIAL_REPORT: PageSpec("app_pages/financial_report.py", "Compte rendu financier",
                                       ":material/description:", "Budget et postes"),
    PageKey.USERS: PageSpec("app_pages/users.py", "Comptes utilisateurs", ":material/group:", "Administration"),
    PageKey.AUDIT: PageSpec("app_pages/audit_log.py", "Journal d'audit", ":material/policy:", "Administration"),
    PageKey.PARTNERS: PageSpec("app_pages/partners.py", "Partenaires", ":material/handshake:", "Administration"),
    PageKey.RETENTION: PageSpec("app_pages/retention.py", "Conservation des données", ":material/auto_delete:",
                                "Administration"),
    PageKey.ACCOUNT: PageSpec("app_pages/account.py", "Mon compte", ":material/person:", "Mon compte"),
}


# Menu sections, top to bottom; pages keep their PageKey order inside a section.
SECTION_ORDER = ("Parcours", "Pilotage", "Personnes accompagnées", "Activités", "Budget et postes", "Administration",
                 "Mon compte")


def navigation_for(principal: Principal) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {section: [] for section in SECTION_ORDER}
    for key in pages_for(principal.role):
        spec = PAGE_SPECS[key]
        page = st.Page(spec.script, title=spec.title, icon=spec.icon, url_path=key.value,
                       default=key == PageKey.HOME)
        sections.setdefault(spec.section, []).append(page)
    return {section: pages for section, pages in sections.items() if pages}
