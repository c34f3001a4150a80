"""The holder of a new account sets the password with the single-use code the admin handed over, then
signs in with it, in a real browser against `streamlit run app.py` (issue 13, finding 7)."""

from __future__ import annotations

import pytest

import clock
from models.organisation import Role
from services.accounts import users
from services.platform.config import load_settings
from services.platform.db import make_engine, unit_of_work
from services.platform.principal import SYSTEM_ACTOR
from tests.browser.conftest import WAIT_MS, RunningApp
from tests.browser.journey import Account, expect_, sign_in

pytestmark = pytest.mark.browser

PASSPHRASE = "le vieux phare du port breton"
REFUSED = "Code invalide, expiré ou déjà utilisé. Demandez un nouveau code à l'administration."


def _enrolled(app: RunningApp, username: str, display_name: str) -> str:
    """A chef_service account made as the admin's page makes it without a password: its code, shown once."""
    engine = make_engine(app.database_url)
    try:
        # Dated when the server started: its clock never reads earlier (see journey.an_account).
        with clock.pinned(app.clock_at_start), unit_of_work(engine) as session:
            issued = users.enrol_user(
                session,
                load_settings(database_url=app.database_url),
                SYSTEM_ACTOR,
                username=username,
                display_name=display_name,
                role=Role.CHEF_SERVICE,
                site_codes=["LYO"],
            )
    finally:
        engine.dispose()
    return issued.code


def _fill_and_save(page, username: str, code: str) -> None:
    expect = expect_()
    page.get_by_text("Première connexion ou code reçu").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Enregistrer mon mot de passe"))
    expect(form).to_have_count(1, timeout=WAIT_MS)
    form.get_by_role("textbox", name="Votre identifiant").fill(username)
    form.get_by_role("textbox", name="Code reçu").fill(code)
    form.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill(PASSPHRASE)
    form.get_by_role("textbox", name="Nouveau mot de passe (confirmation)").fill(PASSPHRASE)
    form.get_by_role("button", name="Enregistrer mon mot de passe").click()


def test_the_holder_sets_the_password_with_the_code_then_signs_in(page, running_app: RunningApp) -> None:
    expect = expect_()
    account = Account("chef.code.navigateur", "Inès Navigateur", PASSPHRASE)
    code = _enrolled(running_app, account.username, account.display_name)

    page.goto(running_app.url)
    expect(page.get_by_role("button", name="Se connecter")).to_have_count(1, timeout=WAIT_MS)
    _fill_and_save(page, account.username, code.lower().replace("-", " "))  # as typed from a paper note
    expect(page.get_by_text(f"Mot de passe enregistré pour « {account.username} »").first).to_be_visible(
        timeout=WAIT_MS
    )
    assert running_app.audit_count(account.username, "user.enrolment_completed") == 1

    # The code is used up: typed again, it is refused beside its field.
    _fill_and_save(page, account.username, code)
    expect(page.get_by_text(REFUSED).first).to_be_visible(timeout=WAIT_MS)

    sign_in(page, running_app, account)
    expect(page.get_by_role("heading", name="Bonjour Inès Navigateur", level=1)).to_have_count(1)
