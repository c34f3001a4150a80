"""Without a mouse (issue 19): a teacher signs in, opens « Cours de français » and takes a roll of 15 with
the keyboard only (the keyboard intake is not written yet).

Every step is a key (Tab, Shift+Tab, Space, Enter, arrows, typed text) sent through `page.keyboard`; no
click, no `fill`. The saved rows are then read with SQL written here.
"""

from __future__ import annotations

from datetime import time as clock_time

import pytest

from models.organisation import Role
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_settled
from tests.browser.keyboard import focused, labelled, named, tab_to
from tests.browser.roll_call_world import a_group_of_fifteen, saved_marks
from tests.browser.script_runs import poll, wait_settled

pytestmark = pytest.mark.browser


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
    """Tab to the menu entry and press Enter; wait for the page's title and the end of its run."""
    tab_to(page, named(link), f"the menu entry {link}")
    page.keyboard.press("Enter")
    expect_()(page.get_by_role("heading", name=link, level=1)).to_have_count(1, timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)


_ROLL_READY = """count => {
  const groups = [...document.querySelectorAll('[role=radiogroup][aria-label^="Présence de "]')];
  return groups.length === count && groups.every(g => g.querySelector('input[type=radio]:checked')?.tabIndex === 0);
}"""
ABSENT, EXCUSED = (0, 9), (4,)  # rows (by code) marked absent (→) and excused (←)


def test_a_roll_call_by_keyboard_only(page, running_app: RunningApp) -> None:
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
