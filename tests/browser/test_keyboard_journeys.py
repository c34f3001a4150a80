"""Without a mouse (issue 19): with the keyboard only, a teacher signs in, opens « Cours de français » and
takes a roll of 15; a social worker of Lyon signs in, opens « Nouvel accueil » and creates a person file.

Every step is a key (Tab, Shift+Tab, Space, Enter, arrows, typed text) sent through `page.keyboard`; no
click, no `fill`, and `no_pointer` makes sure of it: the page records every pointer or mouse press and every
click a pointer made (a key's click has `detail` 0), and the test fails on any. The saved rows are then read
with SQL written here.

Tab is pressed only on a settled page (`wait_settled`), which includes every widget being mounted: Streamlit
loads the code of a kind of widget the first time a page of the browser draws one and shows a placeholder
with nothing to focus until then. The intake page is the first with selectboxes, dates, a number and
checkboxes; on a loaded machine Tab used to go round « Prénom », « Téléphone » and the save button (the
login page had loaded the text field's and the button's code) before the rest had come (tests/browser/
script_runs.py). Each journey signs in with an account of its own, made for it here.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from datetime import time as clock_time

import pytest
import sqlalchemy as sa

import clock
from models.organisation import Role
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_settled
from tests.browser.keyboard import focused, labelled, named, tab_to
from tests.browser.roll_call_world import a_group_of_fifteen, saved_marks
from tests.browser.script_runs import poll, wait_settled
from tests.conftest import TEST_ENCRYPTION_KEY

pytestmark = pytest.mark.browser

# In every document of the page, from its first script on: what a pointer did (a key's click has detail 0).
_RECORD_POINTER = """
(() => {
  window.__parcoursPointer = [];
  const record = event => {
    if (event.type !== 'click' || event.detail > 0) window.__parcoursPointer.push(event.type);
  };
  for (const type of ['pointerdown', 'mousedown', 'click']) window.addEventListener(type, record, true);
})();
"""


@pytest.fixture
def no_pointer(page):
    """The page records every pointer press and pointer click from its first document on; the test fails
    if there was any (in the page as it is at the end: every journey here stays in one document after its
    sign-in, Streamlit's pages being one single-page app)."""
    page.add_init_script(_RECORD_POINTER)
    yield page
    assert page.evaluate("() => window.__parcoursPointer") == [], "a pointer was used"


def sign_in_by_keyboard(page, app: RunningApp, username: str, password: str, display_name: str) -> None:
    expect = expect_()
    open_settled(page, app.url)
    expect(page.get_by_role("button", name="Se connecter")).to_have_count(1, timeout=WAIT_MS)
    tab_to(page, labelled("Identifiant"), "the username field")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Mot de passe"
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Bonjour {display_name}", level=1)).to_have_count(1, timeout=WAIT_MS)
    wait_settled(page, WAIT_MS, also=lambda: any(c["name"] == app.cookie_name for c in page.context.cookies()))


def open_by_keyboard(page, link: str) -> None:
    """Tab to the menu entry and press Enter; wait for the page's title, the end of its run and every widget
    mounted (`wait_settled`): a key pressed earlier could pass by a widget still to come."""
    tab_to(page, named(link), f"the menu entry {link}")
    page.keyboard.press("Enter")
    expect_()(page.get_by_role("heading", name=link, level=1)).to_have_count(1, timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)


_ROLL_READY = """count => {
  const groups = [...document.querySelectorAll('[role=radiogroup][aria-label^="Présence de "]')];
  return groups.length === count && groups.every(g => g.querySelector('input[type=radio]:checked')?.tabIndex === 0);
}"""
ABSENT, EXCUSED = (0, 9), (4,)  # rows (by code) marked absent (→) and excused (←)


def test_a_roll_call_by_keyboard_only(page, no_pointer, running_app: RunningApp) -> None:
    expect = expect_()
    teacher = an_account(running_app, "fle.lyon.clavier", "Sacha Perrin", Role.FORMATEUR, site_codes=("LYO",))
    world = a_group_of_fifteen(running_app, teacher, "Appel au clavier", clock_time(8, 45))
    sign_in_by_keyboard(page, running_app, teacher.username, teacher.password, teacher.display_name)
    open_by_keyboard(page, "Cours de français")
    tab_to(page, lambda now: now.get("role") == "tab", "the tabs of the group")
    for _ in range(6):  # the arrow keys move along the tabs
        if focused(page).get("text") == "Séances et appel":
            break
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="Séances et appel", exact=True)).to_have_attribute("aria-selected", "true")
    wait_settled(page, WAIT_MS)
    # Streamlit 1.67 draws the radios before their groups take their marks: until then (a moment, longer on a
    # loaded machine) Tab passes some groups by. Wait until every group of the roll holds its checked radio.
    poll(page, lambda: page.evaluate(_ROLL_READY, len(world.codes)), "the roll's radio groups ready", WAIT_MS)

    for row, code in enumerate(world.codes):
        now = tab_to(page, lambda now, code=code: now.get("group", "").startswith(f"Présence de {code}"), code)
        assert now["type"] == "radio" and now["checked"]  # on « Présent·e », the start of the roll
        if row in ABSENT:
            page.keyboard.press("ArrowRight")
        elif row in EXCUSED:
            page.keyboard.press("ArrowLeft")
    tab_to(page, named("Enregistrer l'appel"), "the save button")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Appel enregistré : 12 présent·e(s), 2 absent·e(s), 1 excusé·e(s).").first).to_be_visible(
        timeout=WAIT_MS
    )
    expected = dict.fromkeys(world.codes, "present")
    expected |= {world.codes[row]: "absent" for row in ABSENT} | {world.codes[row]: "excused" for row in EXCUSED}
    assert saved_marks(running_app, world.session_id) == expected
    assert running_app.audit_count(teacher.username, "attendance.roll_saved") == 1


CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])
ALIAS, PHONE, BIRTH_YEAR = "Zélie-Anouk", "06 47 21 58 93", 1991


def type_date_by_keyboard(page, label: str, value: date) -> None:
    """Tab to the day segment of a date field and type its digits (the field moves on to month and year)."""
    tab_to(page, labelled(f"day, {label}"), f"the day of {label}")
    page.keyboard.type(value.strftime("%d%m%Y"))
    segments = page.evaluate(
        """label => ['day', 'month', 'year'].map(part =>
             document.querySelector(`[role=spinbutton][aria-label="${part}, ${label}"]`)?.innerText)""",
        label,
    )
    assert segments == [f"{value.day:02d}", f"{value.month:02d}", str(value.year)], segments


def choose_by_keyboard(page, label: str, typed: str, option: str) -> None:
    """A selectbox by keys: Tab to it, ArrowDown opens its list, the typed text filters it, Enter picks the
    highlighted option."""
    expect = expect_()
    tab_to(page, labelled(label), f"the box {label}")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("listbox")).to_have_count(1)
    page.keyboard.type(typed)
    expect(page.get_by_role("option", name=option, exact=True)).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.get_by_role("listbox")).to_have_count(0)
    assert focused(page)["value"] == option


def stored_person(app: RunningApp, code: str):
    engine = make_engine(app.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT s.code AS site, p.first_contact_on, p.intake_on, p.origin, p.alias_encrypted, "
                    "p.phone_encrypted, p.birth_year, p.consent_on, p.consent_processing, "
                    "p.consent_partner_sharing, p.consent_statistics FROM person p "
                    "JOIN site s ON s.id = p.site_id WHERE p.code = :code"
                ),
                {"code": code},
            ).one()
    finally:
        engine.dispose()


def test_an_intake_by_keyboard_only(page, no_pointer, running_app: RunningApp) -> None:
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.clavier", "Noé Garnier", Role.INTERVENANT, site_codes=("LYO",))
    today = clock.today()
    sign_in_by_keyboard(page, running_app, worker.username, worker.password, worker.display_name)
    open_by_keyboard(page, "Nouvel accueil")

    site = tab_to(page, labelled("Site *"), "the site box")
    assert site["value"] == "LYO — Lyon"  # the worker's one site, chosen already
    type_date_by_keyboard(page, "Date du premier contact *", today - timedelta(days=2))
    intake = tab_to(page, labelled("day, Date de l'accueil *"), "the intake date")
    assert intake["text"] == f"{today.day:02d}"  # today, as the form proposes
    choose_by_keyboard(page, "Comment la personne est arrivée *", "Démarche", "Démarche personnelle")
    tab_to(page, labelled("Prénom ou pseudonyme *"), "the first name")
    page.keyboard.type(ALIAS)
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Année de naissance"
    page.keyboard.type(str(BIRTH_YEAR))
    tab_to(page, labelled("Téléphone"), "the phone")
    page.keyboard.type(PHONE)
    type_date_by_keyboard(page, "Date du consentement *", today)
    for box in ("Accepte le traitement de son dossier *", "Accepte le partage avec les partenaires nommés"):
        now = tab_to(page, labelled(box), box)
        assert not now["checked"]
        page.keyboard.press("Space")
        assert focused(page)["checked"], box
    tab_to(page, named("Enregistrer le dossier"), "the save button")
    page.keyboard.press("Enter")

    created = page.get_by_text(re.compile(r"^Dossier LYO-\d{4}-\d{4} créé\.$"))
    expect(created.first).to_be_visible(timeout=WAIT_MS)
    code = re.search(r"LYO-\d{4}-\d{4}", created.first.inner_text()).group(0)
    wait_settled(page, WAIT_MS)
    row = stored_person(running_app, code)
    assert (row.site, str(row.first_contact_on), str(row.intake_on), row.origin, str(row.consent_on)) == (
        "LYO",
        (today - timedelta(days=2)).isoformat(),
        today.isoformat(),
        "self",
        today.isoformat(),
    )
    assert (CIPHER.decrypt(row.alias_encrypted), CIPHER.decrypt(row.phone_encrypted), row.birth_year) == (
        ALIAS,
        PHONE,
        BIRTH_YEAR,
    )
    assert (row.consent_processing, row.consent_partner_sharing, row.consent_statistics) == (1, 1, 1)
    assert running_app.audit_count(worker.username, "person.create") == 1  # one file, this one
