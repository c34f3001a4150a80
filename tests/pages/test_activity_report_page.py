"""Rapport d'activité page: direction chooses the association or a site, chef_service only its own sites; preparing
the report offers the Word and PDF downloads and is audited; the roles that may not open it are refused (also
every role in tests/pages/test_pages_by_role.py, from the access matrix)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

import clock
from models.audit import AuditEvent
from models.organisation import Role, Site
from services.platform.config import PROJECT_ROOT
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import (
    ACCOUNT_OF_ROLE,
    NO_ACCESS,
    TIMEOUT,
    button,
    open_page,
    principal_of,
    signed_in_app,
)
from ui.platform.guards import PRINCIPAL_KEY
from ui.platform.navigation import PAGE_SPECS


def _select(at, label: str):
    return next(s for s in at.selectbox if s.label == label)


def _exports(engine, username: str) -> int:
    with unit_of_work(engine) as uow:
        return len(
            uow.exec(
                select(AuditEvent.id).where(
                    AuditEvent.action == "report.activity_exported", AuditEvent.actor_username == username
                )
            ).all()
        )


def test_direction_chooses_the_association_or_any_site_and_finished_years(app_engine, demo_database):
    at = open_page(signed_in_app("direction"), PageKey.ACTIVITY_REPORT)
    assert not at.exception, at.exception
    assert at.title[0].value == "Rapport d'activité"
    with unit_of_work(app_engine) as uow:
        codes = sorted(uow.exec(select(Site.code)).all())
    options = list(_select(at, "Périmètre").options)
    assert options[0] == "Ensemble de l'association"
    assert [option.split(" – ")[0] for option in options[1:]] == codes
    years = [int(y) for y in _select(at, "Année").options]
    assert years[0] == clock.today().year - 1 and years == sorted(years, reverse=True)


def test_chef_service_chooses_only_its_own_sites():
    at = open_page(signed_in_app("chef.lyon"), PageKey.ACTIVITY_REPORT)
    assert not at.exception, at.exception
    assert [option.split(" – ")[0] for option in _select(at, "Périmètre").options] == ["LYO"]


def test_preparing_the_report_offers_word_and_pdf_and_is_audited(app_engine, demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.ACTIVITY_REPORT)
    before = _exports(app_engine, "chef.lyon")
    at = button(at, "Préparer le rapport").click().run(timeout=180)
    assert not at.exception, at.exception
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["Télécharger le document Word (DOCX)", "Télécharger le PDF"]
    assert _exports(app_engine, "chef.lyon") == before + 1


@pytest.mark.parametrize("role", ["intervenant", "formateur", "gestion", "financeur", "admin"])
def test_the_page_script_refuses_the_other_roles(role, app_engine, demo_database):
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE_SPECS[PageKey.ACTIVITY_REPORT].script), default_timeout=TIMEOUT)
    at.session_state[PRINCIPAL_KEY] = principal_of(app_engine, ACCOUNT_OF_ROLE[Role(role)])
    at.run()
    assert NO_ACCESS in [e.value for e in at.error]
    assert not at.get("download_button") and not at.selectbox and not at.button
