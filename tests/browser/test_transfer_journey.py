"""Moving a file to another site in a real browser (issue 17): a chef_service of Lyon and Grenoble
moves a Lyon file to Grenoble from the file itself; the Lyon worker who had it open can no longer open
it: its old link says it was transferred (never where), its new code is not found. The old link still
leads the chef, who works at Grenoble too, to the file under its new code. (That Grenoble's team then
opens it, banner included, is tests/pages/test_safety_pages.py's.) The accounts and the file are this journey's own."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

import clock
from models.organisation import Role, Site
from models.persons import IntakeOrigin
from models.safety import PersonTransfer
from services.accounts.auth import load_principal
from services.persons import files as person_files
from services.persons import safety
from services.platform.config import load_settings
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_settled, save_until_shown, sign_in
from tests.browser.script_runs import wait_settled

pytestmark = pytest.mark.browser

INSTRUCTIONS = "Ne pas laisser de message vocal"
REASON = "Mise à l'abri : le réseau la cherche à Lyon"


def _a_flagged_lyon_file(app: RunningApp, username: str) -> str:
    """A new Lyon file taken in by `username`, with a danger flag; its code."""
    settings = load_settings(database_url=app.database_url)
    engine = make_engine(app.database_url, encryption_keys=settings.encryption_keys())
    try:
        with clock.pinned(app.clock_at_start), unit_of_work(engine) as session:
            principal = load_principal(session, username)
            lyon = session.exec(select(Site.id).where(Site.code == "LYO")).one()
            day = clock.today() - timedelta(days=3)
            created = person_files.create_intake(
                session,
                principal,
                data={
                    "site_id": lyon,
                    "first_contact_on": day,
                    "intake_on": day,
                    "origin": IntakeOrigin.SELF,
                    "alias": "Oriane",
                    "consent_on": day,
                    "consent_processing": True,
                    "consent_statistics": True,
                },
                cipher=FieldCipher(settings.encryption_keys()),
            )
            safety.set_safety(session, principal, created.id, data={"flagged": True, "instructions": INSTRUCTIONS})
        return created.code
    finally:
        engine.dispose()


def _new_code(app: RunningApp, old_code: str) -> str:
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            return session.exec(select(PersonTransfer.new_code).where(PersonTransfer.old_code == old_code)).one()
    finally:
        engine.dispose()


def _file_shown(page, code: str) -> None:
    heading = page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)
    expect_()(heading).to_have_count(1, timeout=WAIT_MS)
    expect_()(heading).to_be_visible()
    banner = page.get_by_text(f"Signalement de danger — consignes de contact sûr : {INSTRUCTIONS}")
    expect_()(banner).to_be_visible(timeout=WAIT_MS)


TRANSFERRED = "Ce dossier a été transféré vers un autre site : votre équipe n'y a plus accès."


def _refused(page, message: str) -> None:
    expect = expect_()
    expect(page.get_by_role("heading", name="Fiche personne", level=1, exact=True)).to_have_count(1, timeout=WAIT_MS)
    expect(page.get_by_text(message)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Grenoble")).to_have_count(0)
    expect(page.get_by_text(INSTRUCTIONS)).to_have_count(0)
    expect(page.get_by_text("Oriane", exact=True)).to_have_count(0)


def test_a_chef_of_both_sites_moves_a_file_and_the_old_sites_worker_loses_it(
    page, new_page, running_app: RunningApp
) -> None:
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.moved", "Léa Morel", Role.INTERVENANT, site_codes=("LYO",))
    chef = an_account(running_app, "chef.lyon.grenoble", "Samia Haddad", Role.CHEF_SERVICE, site_codes=("LYO", "GRE"))
    code = _a_flagged_lyon_file(running_app, worker.username)
    old_link = f"{running_app.url}/person_file?code={code}"

    # The Lyon worker has the file open, its danger banner at the top.
    sign_in(page, running_app, worker)
    open_settled(page, old_link)
    _file_shown(page, code)

    # The chef_service of both sites moves it to Grenoble from the file.
    chef_page = new_page()
    sign_in(chef_page, running_app, chef)
    open_settled(chef_page, old_link)
    _file_shown(chef_page, code)
    chef_page.get_by_text("Transférer le dossier vers un autre site").click()
    destination = chef_page.get_by_role("combobox", name="Site de destination *")
    expect(destination).to_have_count(1, timeout=WAIT_MS)
    chef_page.get_by_role("textbox", name="Motif du transfert *").fill(REASON)
    # A click landing in a run of the cookie manager's is lost (script_runs): clicked again only then.
    save_until_shown(
        chef_page,
        chef_page.get_by_role("button", name="Transférer le dossier"),
        chef_page.get_by_role("heading", name=re.compile(r"^Fiche personne · GRE-\d{4}-\d{4}$")),
    )
    wait_settled(chef_page, WAIT_MS)
    new_code = _new_code(running_app, code)
    assert re.fullmatch(r"GRE-\d{4}-\d{4}", new_code), new_code
    expect(chef_page.get_by_text(f"(ancien code {code})", exact=False)).to_be_visible(timeout=WAIT_MS)

    # The Lyon worker: the link she had open says the file moved (not where); the new code is not found.
    open_settled(page)  # a reload of the old link
    _refused(page, TRANSFERRED)
    open_settled(page, f"{running_app.url}/person_file?code={new_code}")
    _refused(page, "Dossier introuvable.")

    # The old link still leads the chef, who works at Grenoble too, to the file under its new code.
    open_settled(chef_page, old_link)
    _file_shown(chef_page, new_code)
    expect(chef_page.get_by_text(f"Le code {code} est l'ancien code de ce dossier", exact=False)).to_be_visible(
        timeout=WAIT_MS
    )
