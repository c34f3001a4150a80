"""Grant money in, in a real browser (issue 18): a finance officer records a tranche received on
Versements et trésorerie and reads the cash position of the grant move by exactly the amount typed.

« Reçu à ce jour » and « Trésorerie de la convention » are first checked against SQL written here, then the
officer records 2 345,67 € received today for the first tranche still expected, and both figures grow by
it. The account is this journey's own.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import clock
from i18n.formats import euros
from models.organisation import Role
from services.accounts.auth import load_principal
from services.finance import money_in
from services.platform.db import make_engine, unit_of_work
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_page, open_tab, sign_in

pytestmark = pytest.mark.browser

AMOUNT_CENTS = 234_567  # 2 345,67 €


def _metric(page, label: str):
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    expect_()(metric).to_have_count(1, timeout=WAIT_MS)
    return metric.get_by_test_id("stMetricValue")


def _cash_of_the_default_grant(app: RunningApp, username: str) -> tuple[int, int, int]:
    """(grant id, received to date, spent to date) of the grant the page opens on, summed in SQL."""
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            grant_id = money_in.grant_choices(session, load_principal(session, username))[0].id
            today = clock.today()
            received = session.execute(
                sa.text(
                    "SELECT COALESCE(SUM(received_cents), 0) FROM grant_tranche "
                    "WHERE grant_id = :g AND received_on <= :today"
                ),
                {"g": grant_id, "today": today},
            ).scalar_one()
            spent = session.execute(
                sa.text(
                    "SELECT COALESCE(SUM(amount_cents), 0) FROM expense WHERE grant_id = :g AND spent_on <= :today"
                ),
                {"g": grant_id, "today": today},
            ).scalar_one()
            return grant_id, int(received), int(spent)
    finally:
        engine.dispose()


def test_a_received_tranche_moves_the_cash_position(running_app, new_page):
    expect = expect_()
    gestion = an_account(running_app, "gestion.versements", "Claire Morel", Role.GESTION)
    _grant_id, received, spent = _cash_of_the_default_grant(running_app, gestion.username)

    page = new_page()
    sign_in(page, running_app, gestion)
    open_page(page, "Versements et trésorerie")
    expect(_metric(page, "Reçu à ce jour")).to_have_text(euros(received), timeout=WAIT_MS)
    expect(_metric(page, "Trésorerie de la convention")).to_have_text(euros(received - spent), timeout=WAIT_MS)

    panel = open_tab(page, "Versement reçu")
    panel.get_by_role("textbox", name="Montant reçu (€)").fill("2 345,67")
    panel.get_by_role("button", name="Enregistrer la réception").click()
    expect(page.get_by_text("Versement reçu enregistré.")).to_be_visible(timeout=WAIT_MS)

    expect(_metric(page, "Reçu à ce jour")).to_have_text(euros(received + AMOUNT_CENTS), timeout=WAIT_MS)
    expect(_metric(page, "Trésorerie de la convention")).to_have_text(
        euros(received + AMOUNT_CENTS - spent), timeout=WAIT_MS
    )
