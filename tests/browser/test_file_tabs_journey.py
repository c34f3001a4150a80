"""The tabs of a person file in a real browser: opening a tab draws its lists, and a form typed in one tab
is still there after a look at another.

The file draws the lists, tables and charts of its open tab only, and every tab's forms whichever is open
(app_pages/persons/person_file.py): a click on a tab is a run of the page. A social worker of Lyon (this
journey's own account) opens a Lyon file of the demo data by its address, starts a note in « Notes »
without adding it, opens « Freins » (its table of current barriers is drawn), comes back: the note she was
writing is there, and adding it lists it.
"""

from __future__ import annotations

import re

import pytest

from models.organisation import Role
from models.pathway import BarrierAssessment
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, an_active_file, expect_, open_settled, open_tab, sign_in

pytestmark = pytest.mark.browser

DRAFT = "Rendez-vous pris à la CPAM, attestation à rapporter"


def test_a_note_being_written_survives_a_look_at_another_tab(page, running_app: RunningApp) -> None:
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.onglets", "Maëlle Garnier", Role.INTERVENANT, site_codes=("LYO",))
    sign_in(page, running_app, worker)
    code = an_active_file(running_app, "LYO", with_rows_of=BarrierAssessment)
    open_settled(page, f"{running_app.url}/person_file?code={code}")
    expect(page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)).to_be_visible(timeout=WAIT_MS)
    freins = page.get_by_role("tabpanel", name="Freins", exact=True)
    expect(freins).to_be_hidden()

    notes = open_tab(page, "Notes")
    notes.get_by_role("textbox", name="Note").fill(DRAFT)

    freins = open_tab(page, "Freins")
    expect(freins.get_by_role("heading", name="Freins actuels")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("tabpanel", name="Notes", exact=True)).to_be_hidden()

    notes = open_tab(page, "Notes")
    expect(notes.get_by_role("textbox", name="Note")).to_have_value(DRAFT, timeout=WAIT_MS)
    notes.get_by_role("button", name="Ajouter la note").click()
    notes = open_tab(page, "Notes")
    expect(notes.get_by_text(DRAFT, exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(notes.get_by_role("textbox", name="Note")).to_have_value("")
    expect(page.get_by_text(re.compile("Une erreur inattendue"))).to_have_count(0)
