"""An outreach round logged on the Aller-vers page in a real browser (issue 4).

A social worker of Lyon (an account of this journey's own) opens Aller-vers, reads this month's figures,
logs a street round with the short form, and sees the month's number of rounds go up by one and the
persons met by the number typed.
"""

from __future__ import annotations

import os
import re

import pytest

from models.organisation import Role
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, choose, expect_, open_page, sign_in

pytestmark = pytest.mark.browser

PERSONS_MET = 16
SCREENSHOTS = os.environ.get("PARCOURS_OUTREACH_SCREENSHOTS")  # a folder: keep screenshots of the journey


def _figure(page, label: str) -> int:
    """The value of one of the month's figures (st.metric), as a number."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    expect_()(metric).to_have_count(1, timeout=WAIT_MS)
    text = metric.get_by_test_id("stMetricValue").inner_text()
    return int(re.sub(r"\D", "", text))


def _wait_figure(page, label: str, expected: int) -> None:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    pattern = re.compile(rf"^{expected // 1000}\D?{expected % 1000:03d}$" if expected >= 1000 else rf"^{expected}$")
    expect_()(metric.get_by_test_id("stMetricValue")).to_have_text(pattern, timeout=WAIT_MS)


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_a_social_worker_logs_a_round_and_sees_the_month_go_up(page, running_app: RunningApp) -> None:
    expect = expect_()
    worker = an_account(running_app, "ts.lyon.outreach", "Inès Royer", Role.INTERVENANT, site_codes=("LYO",))
    sign_in(page, running_app, worker)
    open_page(page, "Aller-vers", "Aller-vers")
    rounds_before = _figure(page, "Maraudes")
    met_before = _figure(page, "Personnes rencontrées")
    _shot(page, "before")

    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Enregistrer la maraude"))
    expect(form).to_have_count(1, timeout=WAIT_MS)
    hour = form.get_by_role("spinbutton", name="heure, Heure de début", exact=True)
    hour.click()
    page.keyboard.type("2130")  # st.time_input is an hour / minute segmented field
    expect(hour).to_have_text("21")
    expect(form.get_by_role("spinbutton", name="minute, Heure de début", exact=True)).to_have_text("30")
    form.get_by_role("spinbutton", name="Durée (minutes)").fill("150")
    expect(form.get_by_role("radio", name="Présentielle")).to_be_checked()
    choose(form, "Secteur ou plateforme", "Périphérie")
    expect(form.get_by_text(worker.display_name)).to_be_visible()  # the team defaults to the one who logs
    form.get_by_role("spinbutton", name="Personnes rencontrées").fill(str(PERSONS_MET))
    form.get_by_role("spinbutton", name="Dont nouveaux contacts").fill("3")
    form.get_by_role("spinbutton", name="Entretiens menés").fill("9")
    form.get_by_role("spinbutton", name="Orientées vers un accueil").fill("1")
    form.get_by_role("spinbutton", name="Préservatifs distribués").fill("80")
    _shot(page, "filled")
    form.get_by_role("button", name="Enregistrer la maraude").click()

    expect(page.get_by_text(re.compile(r"^Maraude du .+ enregistrée\.$")).first).to_be_visible(timeout=WAIT_MS)
    _wait_figure(page, "Maraudes", rounds_before + 1)
    _wait_figure(page, "Personnes rencontrées", met_before + PERSONS_MET)
    expect(form.get_by_role("spinbutton", name="Personnes rencontrées")).to_have_value("0")  # ready for the next
    _shot(page, "after")
    assert running_app.audit_count(worker.username, "outreach.round_logged") == 1
