"""« À faire » in a real browser (issue 17): a worker opens it, follows a line to the file, does the work
and comes back to a list without that line.

A Lyon file of the demo database gets a residence permit that ended three days ago (the demo data has no
permit end, so this is the only line of its kind). A social worker of Lyon (this journey's own account)
opens « À faire », sees the count and the overdue line, follows it to the file where the situation form
is open, records the renewed permit's end, goes back to « À faire »: the line is gone, the count is 0.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

import clock
from i18n.formats import day as french_day
from models.organisation import Role, Site
from models.persons import IntakeOrigin, Person
from services.platform.config import load_settings
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_page, sign_in, type_date
from tests.browser.script_runs import wait_settled

pytestmark = pytest.mark.browser

PERMIT = "Fin du titre de séjour ou du récépissé"
KIND = "Fin du titre de séjour"


def a_file_whose_permit_ended(app: RunningApp, days_ago: int) -> str:
    """A new open Lyon file, seen today, whose residence permit ended `days_ago` days ago; its code."""
    today = clock.today()
    cipher = FieldCipher(load_settings(database_url=app.database_url).encryption_keys())
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
            code = f"LYO-{today.year}-9917"
            session.add(
                Person(
                    code=code,
                    site_id=lyon.id,
                    code_year=today.year,
                    code_number=9917,
                    first_contact_on=today - timedelta(days=40),
                    intake_on=today - timedelta(days=40),
                    origin=IntakeOrigin.SELF,
                    consent_on=today - timedelta(days=40),
                    last_contact_on=today,
                    alias_encrypted=cipher.encrypt("Maëlys"),
                    permit_ends_on=today - timedelta(days=days_ago),
                )
            )
            session.commit()
    finally:
        engine.dispose()
    return code


def test_a_worker_follows_a_line_does_the_work_and_the_line_is_gone(page, running_app: RunningApp) -> None:
    expect = expect_()
    today = clock.today()
    code = a_file_whose_permit_ended(running_app, 3)
    worker = an_account(running_app, "ts.lyon.worklist", "Inès Garnier", Role.INTERVENANT, site_codes=("LYO",))
    sign_in(page, running_app, worker)

    open_page(page, "À faire")
    main = page.get_by_test_id("stMain")
    # (not « Fin du titre de séjour victime », the legal follow-up's permit, a count of its own)
    permits = main.get_by_test_id("stMetric").filter(has_text=re.compile(rf"{re.escape(KIND)}(?! victime)"))
    expect(permits).to_contain_text("1")
    expect(permits).to_contain_text("1 en retard")
    line = main.get_by_role(
        "link", name=re.compile(rf"En retard · {re.escape(french_day(today - timedelta(days=3)))} · {KIND} · {code}")
    )
    expect(line).to_have_count(1, timeout=WAIT_MS)

    line.click()
    expect(page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)).to_be_visible(timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    form = main.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Enregistrer les modifications"))
    renewed = today + timedelta(days=365)
    type_date(form, PERMIT, renewed)  # the situation form is open: the line said where the work is
    form.get_by_role("button", name="Enregistrer les modifications").click()
    expect(main.get_by_text(f"titre jusqu'au {french_day(renewed)}")).to_be_visible(timeout=WAIT_MS)

    open_page(page, "À faire")
    permits = main.get_by_test_id("stMetric").filter(has_text=re.compile(rf"{re.escape(KIND)}(?! victime)"))
    expect(permits).to_contain_text("0")
    expect(main.get_by_role("link", name=re.compile(code))).to_have_count(0, timeout=WAIT_MS)
