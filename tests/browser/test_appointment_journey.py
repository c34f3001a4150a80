"""An accompaniment recorded in a person file, in a real browser (issue 17).

A social worker of Lyon (this journey's own account) opens a Lyon file of the demo data by its address,
records an accompaniment to the préfecture with a Romanian interpreter in the « Rendez-vous » tab, and
finds it in the tab's list and on the « Parcours » timeline.
"""

from __future__ import annotations

import re

import pytest

from models.organisation import Role
from tests.browser.conftest import RunningApp
from tests.browser.journey import (
    an_account,
    an_active_file,
    choose,
    expect_,
    has_row,
    open_file,
    open_tab,
    sign_in,
    wait_rows,
)

pytestmark = pytest.mark.browser

NOTE = "Dépôt de la demande de titre de séjour, récépissé remis"


def test_a_worker_records_an_accompaniment_with_an_interpreter(page, running_app: RunningApp) -> None:
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.rdv", "Inès Moreau", Role.INTERVENANT, site_codes=("LYO",))
    sign_in(page, running_app, worker)
    code = an_active_file(running_app, "LYO", newest=True)
    open_file(page, running_app, code)

    panel = open_tab(page, "Rendez-vous")
    choose(panel, "Type", "Accompagnement : préfecture")
    choose(panel, "Langue de l'interprète", "roumain", typed="roum")
    minutes = panel.get_by_role("spinbutton", name="Durée (minutes)")
    minutes.fill("150")
    minutes.press("Tab")
    panel.get_by_role("textbox", name="Note (facultative)").fill(NOTE)
    panel.get_by_role("button", name="Enregistrer le rendez-vous").click()

    panel = open_tab(page, "Rendez-vous")
    rows = wait_rows(panel, has_row(lambda row: NOTE in row), "the new appointment")
    row = next(row for row in rows if NOTE in row)
    assert "Accompagnement : préfecture" in row and "2 h 30" in row and "roumain" in row, row
    assert "Inès Moreau" in row, row

    timeline = open_tab(page, "Parcours")
    wait_rows(
        timeline,
        has_row(lambda row: row[1:] == ("Accompagnement : préfecture", f"2 h 30 — {NOTE}")),
        "the accompaniment on the timeline",
    )
    expect(page.get_by_text(re.compile("Une erreur inattendue"))).to_have_count(0)
