"""Financements and Dépenses pages: what each role sees and may do."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from models.audit import AuditEvent
from models.finance import BudgetLine, Expense
from services.platform.pages import PageKey
from tests.pages.conftest import error_after, open_page, signed_in_app, text_input, texts, unique

ENTRY_BUTTON = "Enregistrer la dépense"


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _line_select(at):
    [select_box] = [s for s in at.selectbox if s.label == "Ligne budgétaire"]
    return select_box


def _choose_line(at, code: str) -> None:
    select_box = _line_select(at)
    [index] = [i for i, option in enumerate(select_box.options) if option.startswith(f"{code} ·")]
    select_box.select_index(index)


def test_gestion_records_an_expense_through_the_form(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.EXPENSES)
    assert not at.exception, at.exception
    label = unique("Test saisie ")
    _choose_line(at, "AGR-AV-LYO-60")
    text_input(at, "Montant (€)").input("-12,34")
    text_input(at, "Libellé").input(label)
    text_input(at, "N° de pièce").input(unique("AV-"))
    at = _button(at, ENTRY_BUTTON).click().run()
    assert not at.exception, at.exception
    try:
        with app_engine.connect() as connection:
            row = connection.execute(
                select(Expense.amount_cents, BudgetLine.accounting_code, Expense.import_id)
                .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
                .where(Expense.label == label)
            ).one()
            audited = connection.execute(select(AuditEvent.id).where(AuditEvent.action == "expense.recorded")).first()
        assert tuple(row) == (-12_34, "AGR-AV-LYO-60", None)
        assert audited is not None
        # a fresh, empty form after the success
        assert text_input(at, "Libellé").value == ""
    finally:
        with app_engine.begin() as connection:
            connection.execute(text("DELETE FROM expense WHERE label = :label"), {"label": label})


def test_a_bad_amount_keeps_the_typed_values_and_shows_the_message_by_the_field(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.EXPENSES)
    label = unique("Test montant ")
    _choose_line(at, "AGR-AV-GRE-60")
    text_input(at, "Montant (€)").input("12.50")
    text_input(at, "Libellé").input(label)
    text_input(at, "Fournisseur").input("Papeterie Dauphinoise")
    at = _button(at, ENTRY_BUTTON).click().run()
    assert not at.exception, at.exception
    amount = text_input(at, "Montant (€)")
    assert error_after(at, amount) == "Montant illisible « 12.50 » (attendu par exemple 1 234,56)."
    assert (amount.value, text_input(at, "Libellé").value, text_input(at, "Fournisseur").value) == (
        "12.50",
        label,
        "Papeterie Dauphinoise",
    )
    assert _line_select(at).value is not None
    with app_engine.connect() as connection:
        assert connection.execute(select(Expense.id).where(Expense.label == label)).first() is None


def test_direction_reads_the_expenses_without_any_form(demo_database):
    at = open_page(signed_in_app("direction"), PageKey.EXPENSES)
    assert not at.exception, at.exception
    labels = [b.label for b in at.button]
    assert ENTRY_BUTTON not in labels and "Importer" not in labels and "Supprimer" not in labels
    assert not [s for s in at.selectbox if s.label == "Ligne budgétaire"]
    table = at.dataframe[0].value
    # A page of at most 50 (fewer early in the year, when the demo's calendar-year grants have few expenses).
    assert 1 <= len(table) <= 50 and {"Montant", "Libellé", "N° de pièce"} <= set(table.columns)
    assert not at.get("file_uploader")


def test_direction_reads_the_grants_without_any_form(demo_database):
    at = open_page(signed_in_app("direction"), PageKey.GRANTS)
    assert not at.exception, at.exception
    labels = [b.label for b in at.button]
    assert "Créer le financement" not in labels and "Enregistrer les lignes" not in labels
    assert not at.get("arrow_data_editor")
    # every convention of the demo (seed/funding.py): AGRASC, 3 regions, SDFE, 4 DDETS/DRIETS, 4 departments,
    # 2 cities, 2 FIPD, the foundation
    assert len(at.dataframe[0].value) == 18


def test_chef_de_service_sees_only_lyon_lines_on_financements(app_engine, demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.GRANTS)
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        lyon_grants = connection.execute(
            text(
                'SELECT DISTINCT g.id, g.convention_ref FROM "grant" g JOIN budget_line l ON l.grant_id = g.id '
                "JOIN site s ON s.id = l.site_id WHERE s.code = 'LYO'"
            )
        ).all()
    assert sorted(at.dataframe[0].value["Convention"]) == sorted(ref for _, ref in lyon_grants)
    # AGRASC, Région, DDETS du Rhône, Métropole, FIPD (the foundation: MRS, PAR; the SDFE national subsidy has
    # national lines only, which no site's chef_service sees)
    assert len(lyon_grants) == 5
    [chooser] = [s for s in at.selectbox if s.label == "Financement"]
    for grant_id, _ in lyon_grants:
        at = chooser.set_value(grant_id).run()
        assert not at.exception, at.exception
        [chooser] = [s for s in at.selectbox if s.label == "Financement"]
        lines = at.dataframe[1].value
        assert set(lines["Site"]) == {"LYO"}
        assert all(code.split("-")[2] == "LYO" for code in lines["Code analytique"])
    assert "Enregistrer les lignes" not in [b.label for b in at.button]


def test_gestion_sees_the_lines_editor_with_its_running_total(demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.GRANTS)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total des lignes"] == metrics["Montant de la convention"]
    assert metrics["Reste à répartir"].startswith("0,00")
    assert "Enregistrer les lignes" in [b.label for b in at.button]
    assert "Créer le financement" in [b.label for b in at.button]
    assert not list(texts(at.error))
