"""Manual expenses: the entry rules, the paginated list within scope, deleting a manual entry."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.finance import Expense, ExpenseImport
from models.types import utcnow
from services.finance import expenses
from services.finance.expenses import Source
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests import factories
from tests.services import budget_world
from tests.services.budget_world import TODAY


@pytest.fixture
def world(session: Session) -> budget_world.BudgetWorld:
    return budget_world.build(session)


def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Expense)).one()


def purchase(world, **changes) -> dict[str, object]:
    """A purchase as the entry form sends it (the amount as typed)."""
    data = {
        "budget_line_id": world.agrasc.lines["AGR-AV-LYO-60"].id,
        "spent_on": date(2026, 5, 4),
        "amount": "1 234,56",
        "label": "  Kits d'hygiène   maraude ",
        "supplier": "Pharmacie du Rhône",
        "voucher_ref": "FA-2026-0101",
    }
    return data | changes


def test_gestion_records_an_expense_and_a_credit_note(session, world):
    before = count(session)
    expense_id = expenses.record_expense(session, world.gestion, data=purchase(world), today=TODAY)
    row = session.get(Expense, expense_id)
    assert (row.amount_cents, row.label, row.grant_id, row.site_id, row.import_id, row.created_by_id) == (
        1_234_56,
        "Kits d'hygiène maraude",
        world.agrasc.grant.id,
        world.lyon.id,
        None,
        world.gestion.user_id,
    )
    expenses.record_expense(
        session,
        world.gestion,
        data=purchase(world, amount="-34,56", voucher_ref="AV-2026-01", spent_on=TODAY),
        today=TODAY,
    )
    assert count(session) == before + 2
    assert session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "expense.recorded",
        "expense.recorded",
    ]


def test_entry_errors_are_french_by_field_and_nothing_is_written(session, world):
    before = count(session)
    cases = [
        (purchase(world, spent_on=date(2026, 5, 16)), {"spent_on": "La date ne peut pas être dans le futur."}),
        (
            purchase(world, budget_line_id=world.region.lines["RAU-ISP-LYO-61"].id, spent_on=date(2025, 8, 31)),
            {"spent_on": "La date doit être dans la période du financement (du 01/09/2025 au 31/08/2026)."},
        ),
        (
            purchase(world, amount="0,00"),
            {"amount": "Le montant ne peut pas être nul (un avoir se saisit en négatif)."},
        ),
        (purchase(world, amount="12.50"), {"amount": "Montant illisible « 12.50 » (attendu par exemple 1 234,56)."}),
        (purchase(world, amount=" "), {"amount": "Le montant est obligatoire."}),
        (  # once a crash on saving (the column's integer overflowed): now a message by the field
            purchase(world, amount="9" * 40),
            {"amount": f"Montant trop élevé « {'9' * 30} » (au plus 10 000 000,00 €)."},
        ),
        (
            purchase(world, label="  ", supplier="x" * 161, voucher_ref="v" * 81, spent_on=None, budget_line_id=None),
            {
                "label": "Le libellé est obligatoire.",
                "supplier": "Le fournisseur ne peut dépasser 160 caractères.",
                "voucher_ref": "La référence de pièce ne peut dépasser 80 caractères.",
                "spent_on": "La date est obligatoire.",
                "budget_line_id": "Choisissez une ligne budgétaire.",
            },
        ),
        (purchase(world, label="x" * 201), {"label": "Le libellé ne peut dépasser 200 caractères."}),
    ]
    for data, expected in cases:
        with pytest.raises(ValidationFailed) as caught:
            expenses.record_expense(session, world.gestion, data=data, today=TODAY)
        assert caught.value.errors == expected
    assert count(session) == before


def test_the_same_line_date_amount_and_voucher_is_refused_as_a_duplicate(session, world):
    expenses.record_expense(session, world.gestion, data=purchase(world), today=TODAY)
    with pytest.raises(ValidationFailed) as caught:
        expenses.record_expense(session, world.gestion, data=purchase(world, label="Autre libellé"), today=TODAY)
    assert caught.value.errors == {
        "_form": "Cette dépense est déjà enregistrée : même ligne, même date (04/05/2026), "
        "même montant, la pièce « FA-2026-0101 »."
    }
    # another voucher, or the same voucher on another line, is a different expense
    expenses.record_expense(session, world.gestion, data=purchase(world, voucher_ref="FA-2026-0102"), today=TODAY)
    expenses.record_expense(
        session, world.gestion, data=purchase(world, budget_line_id=world.agrasc.lines["AGR-AV-GRE-60"].id), today=TODAY
    )
    expenses.record_expense(session, world.gestion, data=purchase(world, voucher_ref=None), today=TODAY)
    with pytest.raises(ValidationFailed):
        expenses.record_expense(session, world.gestion, data=purchase(world, voucher_ref=" "), today=TODAY)


def test_a_voucher_typed_in_another_case_or_spacing_is_the_same_voucher(session, world):
    """Issue 13: the voucher of an expense typed by hand, then again in lower case with spaces (as another
    export writes it), was booked twice."""
    expenses.record_expense(session, world.gestion, data=purchase(world), today=TODAY)
    booked = count(session)
    for typed in ("fa-2026-0101", "  Fa-2026-0101 ", "FA-2026-0101\t"):
        with pytest.raises(ValidationFailed) as caught:
            expenses.record_expense(session, world.gestion, data=purchase(world, voucher_ref=typed), today=TODAY)
        assert set(caught.value.errors) == {"_form"}
        assert caught.value.errors["_form"].startswith("Cette dépense est déjà enregistrée")
    assert count(session) == booked


def test_only_gestion_records_and_deletes(session, world):
    for principal in (world.direction, world.chef_lyon, world.financeur_agrasc, world.intervenant):
        with pytest.raises(PermissionDenied):
            expenses.record_expense(session, principal, data=purchase(world), today=TODAY)
        with pytest.raises(PermissionDenied):
            expenses.delete_expense(session, principal, 1, confirmed=True)


def test_the_list_is_paged_in_sql_with_the_count_and_sum_of_every_matching_row(session, world):
    line = world.agrasc.lines["AGR-AV-LYO-60"]
    for day in range(1, 26):
        factories.an_expense(session, line, spent_on=date(2026, 4, day), amount_cents=100 * day)
    grant_id = world.agrasc.grant.id
    first = expenses.list_expenses(session, world.direction, grant_id=grant_id, page=1, page_size=10)
    raw_count, raw_sum = session.exec(
        text("SELECT COUNT(*), SUM(amount_cents) FROM expense WHERE grant_id = :g"), params={"g": grant_id}
    ).one()
    assert (first.total_count, first.total_cents, first.page_count) == (raw_count, raw_sum, 3)
    assert [r.spent_on for r in first.rows][:2] == [date(2026, 5, 31), date(2026, 4, 30)]
    last = expenses.list_expenses(session, world.direction, grant_id=grant_id, page=9, page_size=10)
    assert last.page == 3 and len(last.rows) == raw_count - 20
    april = expenses.list_expenses(
        session, world.gestion, grant_id=grant_id, line_id=line.id, month=date(2026, 4, 17), page_size=100
    )
    assert (april.total_count, april.total_cents) == (25, sum(100 * d for d in range(1, 26)))
    assert {r.source for r in april.rows} == {Source.MANUAL} and all(r.deletable for r in april.rows)


def test_chef_sees_rows_of_own_sites_and_a_financeur_never_sees_rows(session, world):
    grant_id = world.agrasc.grant.id
    grenoble = expenses.list_expenses(session, world.chef_grenoble, grant_id=grant_id)
    assert [(r.site_code, r.amount_cents) for r in grenoble.rows] == [("GRE", 500_00)]
    for principal in (world.financeur_agrasc, world.intervenant):
        with pytest.raises(PermissionDenied):
            expenses.list_expenses(session, principal, grant_id=grant_id)


def test_only_a_manual_expense_is_deleted_and_the_deletion_is_audited(session, world):
    manual = expenses.record_expense(session, world.gestion, data=purchase(world), today=TODAY)
    batch = ExpenseImport(
        file_sha256="0" * 64, filename="export.csv", imported_at=utcnow(), row_count=1, total_cents=100
    )
    session.add(batch)
    session.flush()
    imported = factories.an_expense(
        session, world.agrasc.lines["AGR-AV-LYO-60"], spent_on=date(2026, 4, 2), amount_cents=100
    )
    imported.import_id = batch.id
    session.flush()
    with pytest.raises(ValidationFailed):
        expenses.delete_expense(session, world.gestion, imported.id, confirmed=True)
    with pytest.raises(ValidationFailed) as caught:
        expenses.delete_expense(session, world.gestion, manual, confirmed=False)
    assert caught.value.errors == {"confirmed": "Cochez la confirmation pour supprimer."}
    expenses.delete_expense(session, world.gestion, manual, confirmed=True)
    assert session.get(Expense, manual) is None and session.get(Expense, imported.id) is not None
    with pytest.raises(NotFound):
        expenses.delete_expense(session, world.gestion, manual, confirmed=True)
    assert session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "expense.recorded",
        "expense.deleted",
    ]
