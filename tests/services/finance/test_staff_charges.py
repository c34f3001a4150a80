"""Monthly charge of staff costs on the grants' 64 lines: amounts, idempotence, months not ended."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.finance import BudgetCategory, Expense
from models.organisation import Role
from services.finance.staffing import charges as staff_charges
from services.platform.errors import PermissionDenied, ValidationFailed
from tests import factories

TODAY = date(2026, 3, 15)
STAFF = BudgetCategory.STAFF


@pytest.fixture
def world(session: Session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    agrasc = factories.a_staff_grant(session, factories.a_funder(session, "AGRASC"), lyon, grenoble)
    region = factories.a_staff_grant(session, factories.a_funder(session, "Région"), lyon)
    gestion = factories.principal(session, factories.a_user(session, Role.GESTION))
    return lyon, grenoble, agrasc, region, gestion


def charged(session: Session) -> list[tuple]:
    return [
        tuple(r)
        for r in session.exec(
            select(
                Expense.post_id, Expense.budget_line_id, Expense.spent_on, Expense.amount_cents, Expense.label
            ).order_by(Expense.post_id, Expense.budget_line_id)
        ).all()
    ]


def test_month_cost_split_and_prorated_from_the_history(session, world):
    lyon, grenoble, agrasc, region, gestion = world
    split = factories.a_funded_post(
        session,
        lyon,
        monthly_cost_cents=100_001,
        funding=[(agrasc, 5_000), (region, 5_000)],
        holder_name='=HYPERLINK("x")',
    )
    # vacant from 11 February: 10 days filled of 28 → 3 000 € × 10/28 = 1 071,43 €
    partial = factories.a_funded_post(
        session,
        grenoble,
        monthly_cost_cents=300_000,
        funding=[(agrasc, 10_000)],
        history=[(date(2025, 1, 1), True), (date(2026, 2, 11), False)],
    )
    factories.a_funded_post(
        session, grenoble, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)], history=[(date(2025, 1, 1), False)]
    )  # never filled: nothing
    result = staff_charges.charge_month(session, gestion, month=date(2026, 2, 1), today=TODAY)
    feb = date(2026, 2, 28)
    label = "Salaires chargés — Conseiller·ère en insertion professionnelle (CIP) — février 2026"
    assert charged(session) == [
        (split.id, agrasc.lines[("LYO", STAFF)].id, feb, 50_001, label),
        (split.id, region.lines[("LYO", STAFF)].id, feb, 50_000, label),
        (partial.id, agrasc.lines[("GRE", STAFF)].id, feb, 107_143, label),
    ]
    assert (result.created, result.skipped, result.total_cents, result.posts) == (3, 0, 100_001 + 107_143, 2)
    # the same sums straight from the database
    assert (
        session.execute(text("SELECT SUM(amount_cents) FROM expense WHERE post_id IS NOT NULL")).scalar_one()
        == result.total_cents
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "staff.charged")).one()
    assert (event.entity_id, event.detail) == ("2026-02", "n=3 skip=0 total_cents=207144")


def test_charging_twice_books_nothing_more(session, world):
    lyon, _grenoble, agrasc, _region, gestion = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)])
    first = staff_charges.charge_month(session, gestion, month=date(2026, 1, 1), today=TODAY)
    again = staff_charges.charge_month(session, gestion, month=date(2026, 1, 20), today=TODAY)
    assert (first.created, again.created, again.skipped, again.total_cents) == (1, 0, 1, 0)
    assert len(charged(session)) == 1
    # a post filled later in the month is charged on the next run, the others are not repeated
    factories.a_funded_post(
        session, lyon, monthly_cost_cents=310_000, funding=[(agrasc, 10_000)], starts_on=date(2026, 1, 17)
    )
    late = staff_charges.charge_month(session, gestion, month=date(2026, 1, 1), today=TODAY)
    assert (late.created, late.skipped, late.total_cents) == (1, 1, 150_000)  # 3 100 € × 15/31


def test_month_not_ended_is_refused(session, world):
    lyon, _grenoble, agrasc, _region, gestion = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)])
    with pytest.raises(ValidationFailed) as caught:
        staff_charges.charge_month(session, gestion, month=date(2026, 3, 1), today=TODAY)
    assert "mars 2026 n'est pas terminé" in caught.value.errors["month"]
    with pytest.raises(ValidationFailed):
        staff_charges.charge_month(session, gestion, month=date(2026, 2, 1), today=date(2026, 2, 28))
    staff_charges.charge_month(session, gestion, month=date(2026, 2, 1), today=date(2026, 3, 1))
    assert charged(session)[0][3] == 300_000
    assert staff_charges.last_ended_month(TODAY) == date(2026, 2, 1)


def test_only_gestion_charges_and_months_outside_the_grant_are_not_charged(session, world):
    lyon, _grenoble, agrasc, _region, _gestion = world
    with pytest.raises(PermissionDenied):
        staff_charges.charge_month(
            session,
            factories.principal(session, factories.a_user(session, Role.DIRECTION)),
            month=date(2026, 1, 1),
            today=TODAY,
        )
    post = factories.a_funded_post(
        session, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)], starts_on=date(2024, 1, 1)
    )
    result = staff_charges.charge_month(session, _gestion, month=date(2024, 6, 1), today=TODAY)
    assert (result.created, result.uncharged_post_ids) == (0, (post.id,))


def test_the_summary_shown_before_charging_counts_what_the_charge_books(session, world):
    lyon, grenoble, agrasc, region, gestion = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=100_001, funding=[(agrasc, 5_000), (region, 5_000)])
    factories.a_funded_post(
        session,
        grenoble,
        monthly_cost_cents=300_000,
        funding=[(agrasc, 10_000)],
        history=[(date(2025, 1, 1), True), (date(2026, 2, 11), False)],
    )
    factories.a_funded_post(session, lyon, monthly_cost_cents=250_000, funding=[])  # filled, funded by nobody
    february = date(2026, 2, 1)
    before = staff_charges.charge_summary(session, gestion, month=date(2026, 2, 14), today=TODAY)
    # 3 charges (the split post twice), 2 posts, 1 000,01 € + 3 000 € × 10/28, one post without funding
    assert before == staff_charges.ChargeSummary(february, 3, 2, 100_001 + 107_143, 0, 1)
    staff_charges.charge_month(session, gestion, month=february, today=TODAY)
    after = staff_charges.charge_summary(session, gestion, month=february, today=TODAY)
    assert after == staff_charges.ChargeSummary(february, 0, 0, 0, 3, 1)
    with pytest.raises(ValidationFailed):
        staff_charges.charge_summary(session, gestion, month=date(2026, 3, 1), today=TODAY)


def test_the_summary_is_refused_to_a_role_without_the_budget(session, world):
    *_rest, _gestion = world
    worker = factories.principal(session, factories.a_user(session, Role.INTERVENANT, world[0]))
    with pytest.raises(PermissionDenied):
        staff_charges.charge_summary(session, worker, month=date(2026, 2, 1), today=TODAY)
