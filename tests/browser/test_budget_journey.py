"""Budget follow-up in a real browser (issue 5): a finance officer imports an accounting export, then
a director sees the consumption of the grant move by exactly the imported amount.

The director (role direction) first reads "Réalisé à date" on Suivi budgétaire (it must equal the SQL
sum), the finance officer (role gestion) uploads a one-row CSV on Dépenses › Importer un export
comptable, and the director, back on Suivi budgétaire, reads the old figure plus the imported amount.
Both accounts are this journey's own.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

import clock
from i18n.formats import euros
from models.finance import BudgetCategory, BudgetLine
from models.organisation import Role
from services.accounts.auth import load_principal
from services.finance import consumption as budget_consumption
from services.platform.db import make_engine, unit_of_work
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_page, open_settled, sign_in

pytestmark = pytest.mark.browser

AMOUNT_CENTS = 123_456  # 1 234,56 €
VOUCHER = "NAV-BUDGET-0001"  # the file is new in the session's fresh database (an imported file is refused again)


def _metric(page, label: str):
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    expect_()(metric).to_have_count(1, timeout=WAIT_MS)
    return metric.get_by_test_id("stMetricValue")


def _default_grant_and_line(app: RunningApp, director: str) -> tuple[str, int, str]:
    """For the grant Suivi budgétaire opens on for the director: the accounting code of one of its 60
    lines, its actual to date (SQL) and its convention reference."""
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            direction = load_principal(session, director)
            grant = budget_consumption.list_grants(session, direction)[0]
            line = (
                session.exec(
                    sa.select(BudgetLine)
                    .where(
                        BudgetLine.grant_id == grant.id,
                        BudgetLine.accounting_code.is_not(None),
                        BudgetLine.category == BudgetCategory.PURCHASES,
                    )
                    .order_by(BudgetLine.id)
                )
                .scalars()
                .first()
            )
            assert line is not None, "the demo grant has a 60 line with an accounting code"
            actual = session.execute(
                sa.text(
                    "SELECT COALESCE(SUM(amount_cents), 0) FROM expense WHERE grant_id = :g AND spent_on <= :today"
                ),
                {"g": grant.id, "today": clock.today()},
            ).scalar_one()
            return line.accounting_code, int(actual), grant.convention_ref
    finally:
        engine.dispose()


def test_an_imported_expense_file_moves_the_consumption_direction_sees(running_app, new_page, tmp_path):
    expect = expect_()
    direction = an_account(running_app, "direction.budget", "Agnès Florent", Role.DIRECTION, site_codes=("*",))
    gestion = an_account(running_app, "gestion.import", "Bruno Tessier", Role.GESTION)
    code, actual, reference = _default_grant_and_line(running_app, direction.username)

    director = new_page()
    sign_in(director, running_app, direction)
    open_page(director, "Suivi budgétaire")
    # the caption under the grant selector names the convention shown
    expect(director.get_by_text(re.compile(f"^Convention {re.escape(reference)} ·"))).to_have_count(1, timeout=WAIT_MS)
    expect(_metric(director, "Réalisé à date")).to_have_text(euros(actual), timeout=WAIT_MS)
    expect(director.get_by_text("Comment la prévision est calculée.")).to_be_visible()

    finance = new_page()
    sign_in(finance, running_app, gestion)
    open_page(finance, "Dépenses")
    finance.get_by_role("tab", name="Importer un export comptable", exact=True).click()
    spent_on = (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    export = tmp_path / "export-compta-navigateur.csv"
    export.write_text(
        "Date;Code analytique;Montant;Libellé;Fournisseur;N° de pièce\n"
        f"{spent_on};{code};1 234,56;Fournitures d'atelier;Papeterie du Rhône;{VOUCHER}\n",
        encoding="utf-8",
    )
    finance.locator("input[type='file']").set_input_files(str(export))
    expect(finance.get_by_role("button", name=f"Remove {export.name}")).to_be_visible(timeout=WAIT_MS)  # uploaded
    finance.get_by_role("button", name="Importer", exact=True).click()
    expect(finance.get_by_text(re.compile(r"importé : 1 ligne"))).to_be_visible(timeout=WAIT_MS)

    open_settled(director)  # reloaded: the cookie signs in again, then the page is drawn anew
    expect(director.get_by_role("heading", name="Suivi budgétaire", level=1)).to_have_count(1, timeout=WAIT_MS)
    expect(_metric(director, "Réalisé à date")).to_have_text(euros(actual + AMOUNT_CENTS), timeout=WAIT_MS)
    pace = director.get_by_role("heading", name="Rythme de consommation")
    expect(pace).to_have_count(1)  # a rerun may briefly show the old copy beside it
    expect(pace).to_be_visible()
