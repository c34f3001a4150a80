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
    PageKey.USERS: PageSpec("app_pages/users.py", "Comptes utilisateurs", ":material/group:", "Administration"),
    PageKey.AUDIT: PageSpec("app_pages/audit_log.py", "Journal d'audit", ":material/policy:", "Administration"),
    PageKey.PARTNERS: PageSpec("app_pages/partners.py", "Partenaires", ":material/handshake:", "Administration"),
    PageKey.RETENTION: PageSpec("app_pages/retention.py", "Conservation des données", ":material/auto_delete:",
                                "Administration"),
    PageKey.ACCOUNT: PageSpec("app_pages/account.py", "Mon compte", ":material/person:", "Mon compte"),
}


def navigation_for(principal: Principal) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for key in pages_for(principal.role):
        spec = PAGE_SPECS[key]
        page = st.Page(spec.script, title=spec.title, icon=spec.icon, url_path=key.value,
                       default=key == PageKey.HOME)
        sections.setdefault(spec.section, []).append(page)
    return sections
