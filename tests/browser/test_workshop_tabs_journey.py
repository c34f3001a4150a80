"""The tabs of « Ateliers » in a real browser: a code typed in the cycle form of « Inscriptions », not saved,
is still there after a look at « Séances ».

The page draws a tab once it was opened, and keeps drawing it (ui/platform/lazy_sections.py): a form not
drawn in a run leaves the browser, and what was typed in it with it. A social worker of Lyon (this journey's
own account) types a file's code in the cycle form, opens « Séances », comes back: the code is there.
"""

from __future__ import annotations

import re

import pytest

from models.organisation import Role
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, an_active_file, expect_, open_settled, open_tab, sign_in

pytestmark = pytest.mark.browser


def test_a_code_being_typed_in_a_cycle_form_survives_a_look_at_the_sessions(page, running_app: RunningApp) -> None:
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.ateliers", "Noémie Perrin", Role.INTERVENANT, site_codes=("LYO",))
    sign_in(page, running_app, worker)
    code = an_active_file(running_app, "LYO")
    open_settled(page, f"{running_app.url}/workshops")
    expect(page.get_by_role("heading", name="Ateliers", level=1)).to_be_visible(timeout=WAIT_MS)

    enrolment = open_tab(page, "Inscriptions")
    enrolment.get_by_role("textbox", name="Code du dossier").fill(code)

    open_tab(page, "Séances")
    expect(page.get_by_role("tabpanel", name="Inscriptions", exact=True)).to_be_hidden(timeout=WAIT_MS)

    enrolment = open_tab(page, "Inscriptions")
    expect(enrolment.get_by_role("textbox", name="Code du dossier")).to_have_value(code, timeout=WAIT_MS)
    expect(page.get_by_text(re.compile("Une erreur inattendue"))).to_have_count(0)
