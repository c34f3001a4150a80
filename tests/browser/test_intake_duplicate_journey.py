"""An intake survives the duplicate check (issue 17).

A social worker of Lyon (an account of this journey's own) types an intake whose first name and birth
year match a file of Lyon, saves, is told of the look-alike, opens it: the file shows in a dialog over
the page (its code, site, intake date, status, first name), then closes it with Échap. Every typed field
is still there; « Créer quand même » saves the new file, whose values are read back with SQL.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

import clock
from i18n.formats import day as french_day
from models.organisation import Role
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, choose, expect_, open_page, sign_in, tick, type_date
from tests.conftest import TEST_ENCRYPTION_KEY

pytestmark = pytest.mark.browser

PHONE = "06 58 14 72 30"
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


def a_lyon_file(app: RunningApp) -> tuple[str, str, int, str]:
    """(code, first name, birth year, intake day as shown) of the first Lyon file in progress with both."""
    engine = make_engine(app.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text(
                    "SELECT p.code, p.alias_encrypted, p.birth_year, p.intake_on FROM person p "
                    "JOIN site s ON s.id = p.site_id WHERE s.code = 'LYO' AND p.status = 'active' "
                    "AND p.birth_year IS NOT NULL AND p.alias_encrypted IS NOT NULL ORDER BY p.code"
                )
            ).first()
    finally:
        engine.dispose()
    intake_on = date.fromisoformat(str(row.intake_on))  # SQLite hands back the ISO text
    return row.code, CIPHER.decrypt(row.alias_encrypted), row.birth_year, french_day(intake_on)


def stored_file(app: RunningApp, code: str) -> tuple[str, str, int, str]:
    engine = make_engine(app.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text(
                    "SELECT p.alias_encrypted, p.phone_encrypted, p.birth_year, s.code AS site FROM person p "
                    "JOIN site s ON s.id = p.site_id WHERE p.code = :code"
                ),
                {"code": code},
            ).one()
    finally:
        engine.dispose()
    return CIPHER.decrypt(row.alias_encrypted), CIPHER.decrypt(row.phone_encrypted), row.birth_year, row.site


def test_an_intake_survives_the_look_at_a_possible_duplicate(page, running_app: RunningApp) -> None:
    expect = expect_()
    code, alias, birth_year, intake_day = a_lyon_file(running_app)
    worker = an_account(running_app, "ts.lyon.doublon", "Inès Marchal", Role.INTERVENANT, site_codes=("LYO",))
    today = clock.today()
    sign_in(page, running_app, worker)

    open_page(page, "Nouvel accueil", "Nouvel accueil")
    form = page.get_by_test_id("stForm")
    choose(form, "Site *", re.compile(r"^LYO — Lyon"))
    type_date(form, "Date du premier contact *", today - timedelta(days=3))
    type_date(form, "Date de l'accueil *", today)
    form.get_by_role("textbox", name="Prénom ou pseudonyme *").fill(alias)
    form.get_by_role("spinbutton", name="Année de naissance").fill(str(birth_year))
    form.get_by_role("textbox", name="Téléphone").fill(PHONE)
    type_date(form, "Date du consentement *", today)
    page.keyboard.press("Escape")  # the calendar of the date field stays open over the checkboxes
    expect(page.get_by_role("grid")).to_have_count(0)
    tick(form, "Accepte le traitement de son dossier *")
    form.get_by_role("button", name="Enregistrer le dossier").click()

    candidate = page.get_by_role("button", name=re.compile(rf"^{code} · "))
    expect(candidate).to_have_count(1, timeout=WAIT_MS)
    candidate.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    expect(dialog.get_by_text(f"Dossier {code}", exact=True)).to_be_visible()
    expect(dialog.get_by_text(re.compile(rf"^Site LYO — .* · accueil le {re.escape(intake_day)}$"))).to_be_visible()
    expect(dialog.get_by_text(alias, exact=True)).to_be_visible()
    expect(dialog.get_by_role("link", name="Ouvrir le dossier complet dans un nouvel onglet")).to_have_attribute(
        "target", "_blank"
    )
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0, timeout=WAIT_MS)

    # Everything typed is still there.
    expect(form.get_by_role("textbox", name="Prénom ou pseudonyme *")).to_have_value(alias)
    expect(form.get_by_role("spinbutton", name="Année de naissance")).to_have_value(str(birth_year))
    expect(form.get_by_role("textbox", name="Téléphone")).to_have_value(PHONE)
    expect(form.get_by_role("spinbutton", name="day, Date du consentement *", exact=True)).to_have_text(
        f"{today.day:02d}"
    )
    expect(form.get_by_role("checkbox", name="Accepte le traitement de son dossier *")).to_be_checked()

    page.get_by_role("button", name="Créer quand même").click()
    created = page.get_by_text(re.compile(r"^Dossier LYO-\d{4}-\d{4} créé\.$"))
    expect(created.first).to_be_visible(timeout=WAIT_MS)
    new_code = re.search(r"LYO-\d{4}-\d{4}", created.first.inner_text()).group(0)
    assert new_code != code
    assert stored_file(running_app, new_code) == (alias, PHONE, birth_year, "LYO")
    assert running_app.audit_count(worker.username, "person.view") == 1  # the look at the candidate
