"""The tabs of a person file in a real browser: opening a tab draws its lists, and a form typed in one tab
is still there after a look at another.

The file draws the lists, tables and charts of its open tab only, and the forms of every tab opened before
on the file (ui/persons/file_sections.py): a click on a tab is a run of the page. A social worker of Lyon (this
journey's own account) opens a Lyon file of the demo data by its address, starts a note in « Notes »
without adding it, opens « Freins » (its table of current barriers is drawn), comes back: the note she was
writing is there, and adding it lists it. The same for a number typed in the situation form of the file's
head and its section folded: the sections of the head draw their forms once unfolded.
"""

from __future__ import annotations

import re

import pytest

from models.organisation import Role
from models.pathway import BarrierAssessment
from tests.browser.conftest import RunningApp
from tests.browser.journey import (
    WAIT_MS,
    an_account,
    an_active_file,
    expect_,
    open_file,
    open_tab,
    sign_in,
)
from tests.browser.script_runs import wait_settled

pytestmark = pytest.mark.browser

DRAFT = "Rendez-vous pris à la CPAM, attestation à rapporter"


def test_a_note_being_written_survives_a_look_at_another_tab(page, running_app: RunningApp) -> None:
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.onglets", "Maëlle Garnier", Role.INTERVENANT, site_codes=("LYO",))
    sign_in(page, running_app, worker)
    code = an_active_file(running_app, "LYO", with_rows_of=BarrierAssessment)
    open_file(page, running_app, code)
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


TYPED_PHONE = "06 48 27 19 53"
EDIT = "Modifier l'identité et la situation"


def test_a_form_of_the_files_head_being_typed_survives_folding_its_section(page, running_app: RunningApp) -> None:
    """The expanders of the file's head draw their form once unfolded: a number typed in the situation form,
    not saved, is still there after the section was folded (a run) and another tab opened (another run)."""
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.sections", "Inès Marchand", Role.INTERVENANT, site_codes=("LYO",))
    sign_in(page, running_app, worker)
    code = an_active_file(running_app, "LYO", with_rows_of=BarrierAssessment)
    open_file(page, running_app, code)
    phone = page.get_by_role("textbox", name="Téléphone")
    expect(phone).to_have_count(0)  # folded and never unfolded: not drawn

    page.get_by_text(EDIT, exact=True).click()
    expect(phone).to_be_visible(timeout=WAIT_MS)
    phone.fill(TYPED_PHONE)
    page.get_by_text(EDIT, exact=True).click()  # folded again: a run of the page
    expect(phone).to_be_hidden(timeout=WAIT_MS)
    wait_settled(page, WAIT_MS)
    freins = open_tab(page, "Freins")
    expect(freins.get_by_role("heading", name="Freins actuels")).to_be_visible(timeout=WAIT_MS)

    page.get_by_text(EDIT, exact=True).click()
    expect(phone).to_have_value(TYPED_PHONE, timeout=WAIT_MS)
    expect(page.get_by_text(re.compile("Une erreur inattendue"))).to_have_count(0)
