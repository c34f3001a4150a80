"""Two social workers of Lyon edit the same file at once, each in a browser of their own (issue 14).

B saves a new phone number. A, who had the file open before, saves another phone number and a new
housing: nothing is saved over B's number. A sees both numbers side by side, cannot save before choosing,
keeps B's number, and saves: the file shows B's number and A's housing. Both accounts are this journey's own.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.labels import label
from models.organisation import Role, Site
from models.persons import HousingSituation, Person, PersonStatus
from services.platform.db import make_engine, unit_of_work
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, choose, expect_, open_settled, save_until_shown, sign_in
from tests.browser.script_runs import wait_settled

pytestmark = pytest.mark.browser

THEIR_PHONE = "06 31 52 74 90"  # B's
MY_PHONE = "07 45 18 62 33"  # A's
EDIT = "Modifier l'identité et la situation"


def _a_lyon_file(app: RunningApp) -> tuple[str, HousingSituation]:
    """The code of an active Lyon file, and a housing it does not have."""
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            code, housing = session.exec(
                select(Person.code, Person.housing)
                .join(Site, Site.id == Person.site_id)
                .where(Site.code == "LYO", Person.status == PersonStatus.ACTIVE, Person.alias_encrypted.is_not(None))
                .order_by(Person.id.desc())
            ).first()
    finally:
        engine.dispose()
    return code, next(h for h in (HousingSituation.SOCIAL_HOUSING, HousingSituation.OWN_TENANCY) if h != housing)


def _open_edit_form(page, app: RunningApp, code: str):
    """The file's page with its situation form unfolded; returns the form."""
    expect = expect_()
    open_settled(page, f"{app.url}/person_file?code={code}")
    heading = page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)
    expect(heading).to_have_count(1, timeout=WAIT_MS)
    page.get_by_text(EDIT, exact=True).click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Enregistrer les modifications"))
    expect(form).to_be_visible(timeout=WAIT_MS)
    return form


def test_a_conflicting_edit_shows_both_numbers_and_saves_the_chosen_one(page, new_page, running_app) -> None:
    expect = expect_()
    code, my_housing = _a_lyon_file(running_app)
    a = an_account(running_app, "ts.lyon.conflit.a", "Léa Garnier", Role.INTERVENANT, site_codes=("LYO",))
    b = an_account(running_app, "ts.lyon.conflit.b", "Hugo Lemaire", Role.INTERVENANT, site_codes=("LYO",))

    # A opens the file and its form first.
    sign_in(page, running_app, a)
    form_a = _open_edit_form(page, running_app, code)

    # B, in another browser, saves a new phone number.
    other = new_page()
    sign_in(other, running_app, b)
    form_b = _open_edit_form(other, running_app, code)
    form_b.get_by_role("textbox", name="Téléphone").fill(THEIR_PHONE)
    save_until_shown(
        other,
        form_b.get_by_role("button", name="Enregistrer les modifications"),
        other.get_by_test_id("stMain").get_by_text(THEIR_PHONE, exact=True),
    )

    # A saves another number and a housing, over the file as first seen: nothing is saved yet.
    form_a.get_by_role("textbox", name="Téléphone").fill(MY_PHONE)
    choose(form_a, "Hébergement", label(my_housing))
    form_a.get_by_role("button", name="Enregistrer les modifications").click()
    main = page.get_by_test_id("stMain")
    question = main.get_by_role("radiogroup", name="Téléphone : quelle saisie garder ?")
    expect(question).to_be_visible(timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    panel = main.locator("div[class*='__conflict_'][class*='_panel']")  # the container of the choices
    expect(panel).to_have_count(1)
    expect(panel.get_by_text(MY_PHONE, exact=True)).to_be_visible()
    expect(panel.get_by_text(THEIR_PHONE, exact=True)).to_be_visible()
    expect(panel.get_by_text("Votre saisie", exact=True)).to_be_visible()
    expect(panel.get_by_text("Saisie de Hugo Lemaire le ")).to_be_visible()
    save = panel.get_by_role("button", name="Enregistrer avec ces choix")
    expect(save).to_have_count(1)
    expect(save).to_be_disabled()
    expect(form_a.get_by_role("textbox", name="Téléphone")).to_have_value(MY_PHONE)  # the input is kept

    # A keeps B's number and saves: B's number and A's housing.
    question.get_by_role("radio", name="la sienne").check(force=True)
    # The rerun of the choice briefly shows the old, disabled button beside the new one: wait for the
    # enabled one (the rerun has happened), then for the page to settle with it alone.
    expect(save.and_(main.locator("button:enabled"))).to_have_count(1, timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    expect(save).to_have_count(1, timeout=WAIT_MS)
    expect(save).to_be_enabled(timeout=WAIT_MS)
    save.click()
    expect(question).to_have_count(0, timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    expect(main.get_by_text(THEIR_PHONE, exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_text(label(my_housing), exact=True)).to_be_visible()
    expect(main.get_by_text(MY_PHONE, exact=True)).to_have_count(0)

    # B, reloading, sees the same file: its number and A's housing.
    open_settled(other)
    other_main = other.get_by_test_id("stMain")
    expect(other_main.get_by_text(THEIR_PHONE, exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(other_main.get_by_text(label(my_housing), exact=True)).to_be_visible()
