"""Consumption of a grant: every figure equals a direct SQL sum, subtotals add up, scope holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from models.finance import BudgetCategory, FunderKind
from models.organisation import Role, Site
from services.finance import consumption as bc
from services.finance import funded
from services.platform.errors import NotFound, PermissionDenied
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 3, 15)
AV, ISP = "Aller-vers", "Insertion socio-professionnelle"
STAFF, PURCHASES, INDIRECT = BudgetCategory.STAFF, BudgetCategory.PURCHASES, BudgetCategory.INDIRECT


@dataclass
class World:
    lyon: Site
    grenoble: Site
    marseille: Site
    agrasc: factories.BudgetedGrant
    foundation: factories.BudgetedGrant
    people: dict[str, Principal]


@pytest.fixture
def world(session) -> World:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    marseille = factories.a_site(session, "MRS", "Marseille")
    agrasc_funder = factories.a_funder(session, "AGRASC test")
    foundation_funder = factories.a_funder(session, "Fondation test", FunderKind.FOUNDATION)
    agrasc = factories.a_budgeted_grant(
        session,
        agrasc_funder,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        planned=[
            (AV, lyon, STAFF, 3_000_000),
            (AV, lyon, PURCHASES, 200_001),
            (AV, grenoble, STAFF, 2_500_000),
            (ISP, lyon, STAFF, 4_000_000),
            (ISP, lyon, INDIRECT, 700_000),
            (ISP, grenoble, PURCHASES, 0),
        ],
    )
    foundation = factories.a_budgeted_grant(
        session,
        foundation_funder,
        starts_on=date(2025, 7, 1),
        ends_on=date(2026, 12, 31),
        planned=[(AV, marseille, STAFF, 1_000_000), (AV, marseille, PURCHASES, 99_999)],
    )
    spend = [
        ((AV, "LYO", STAFF), date(2026, 1, 31), 250_000),
        ((AV, "LYO", STAFF), date(2026, 2, 28), 250_001),
        ((AV, "LYO", PURCHASES), date(2026, 1, 5), 12_345),
        ((AV, "LYO", PURCHASES), date(2026, 3, 15), 1),
        ((AV, "LYO", PURCHASES), date(2026, 3, 16), 99_999),  # after today: not yet "actual"
        ((AV, "LYO", PURCHASES), date(2025, 12, 20), 500),  # booked before the start: counts in January
        ((AV, "GRE", STAFF), date(2026, 2, 28), 208_333),
        ((ISP, "LYO", STAFF), date(2026, 2, 28), 333_334),
        ((ISP, "LYO", INDIRECT), date(2026, 3, 1), 77_777),
    ]
    for key, day, cents in spend:
        factories.an_expense(session, agrasc.lines[key], spent_on=day, amount_cents=cents)
    factories.an_expense(session, foundation.lines[(AV, "MRS", STAFF)], spent_on=date(2026, 2, 28), amount_cents=55_555)
    users = {
        "direction": factories.a_user(session, Role.DIRECTION),
        "gestion": factories.a_user(session, Role.GESTION),
        "chef.lyon": factories.a_user(session, Role.CHEF_SERVICE, lyon),
        "chef.mrs": factories.a_user(session, Role.CHEF_SERVICE, marseille),
        "financeur": factories.a_user(session, Role.FINANCEUR, funder_id=agrasc_funder.id),
        "intervenant": factories.a_user(session, Role.INTERVENANT, lyon),
        "formateur": factories.a_user(session, Role.FORMATEUR, lyon),
    }
    return World(
        lyon,
        grenoble,
        marseille,
        agrasc,
        foundation,
        {name: factories.principal(session, user) for name, user in users.items()},
    )


def _sql_by(session, grant_id: int, column: str, sites: tuple[int, ...] | None = None) -> dict[str, tuple[int, int]]:
    """Planned and actual (≤ TODAY) grouped by a column, straight from the tables."""
    site_clause = f"AND l.site_id IN ({','.join(map(str, sites))})" if sites else ""
    rows = session.execute(
        text(f"""
        SELECT {column} AS k, SUM(l.planned_cents) AS planned,
               SUM(COALESCE((SELECT SUM(e.amount_cents) FROM expense e
                             WHERE e.budget_line_id = l.id AND e.spent_on <= :today), 0)) AS actual
        FROM budget_line l JOIN strand s ON s.id = l.strand_id JOIN site ON site.id = l.site_id
        WHERE l.grant_id = :grant {site_clause}
        GROUP BY {column}"""),
        {"grant": grant_id, "today": TODAY},
    ).all()
    return {str(k): (int(p), int(a)) for k, p, a in rows}


def test_each_line_equals_the_direct_sql_sum(session, world):
    report = bc.consumption(session, world.people["direction"], grant_id=world.agrasc.grant.id, today=TODAY)
    expected = _sql_by(session, world.agrasc.grant.id, "l.id")
    assert {str(line.line_id): (line.planned_cents, line.actual_cents) for line in report.lines} == expected
    line = next(line for line in report.lines if line.line_id == world.agrasc.lines[(AV, "LYO", PURCHASES)].id)
    assert line.actual_cents == 12_345 + 1 + 500  # 16 March is after today
    assert line.remaining_cents == 200_001 - 12_846
    assert line.consumed_share == Decimal(12_846) / Decimal(200_001)
    zero = next(line for line in report.lines if line.planned_cents == 0)
    assert zero.consumed_share is None  # no planned amount: no percentage


def test_subtotals_are_the_sql_group_sums_and_add_up_to_the_total(session, world):
    grant_id = world.agrasc.grant.id
    report = bc.consumption(session, world.people["gestion"], grant_id=grant_id, today=TODAY)
    assert {s.key: (s.planned_cents, s.actual_cents) for s in report.by_strand} == _sql_by(session, grant_id, "s.name")
    assert {s.key: (s.planned_cents, s.actual_cents) for s in report.by_site} == _sql_by(session, grant_id, "site.code")
    assert {s.key: (s.planned_cents, s.actual_cents) for s in report.by_category} == _sql_by(
        session, grant_id, "l.category"
    )
    for groups in (report.by_strand, report.by_site, report.by_category, report.lines):
        assert sum(g.planned_cents for g in groups) == report.total.planned_cents
        assert sum(g.actual_cents for g in groups) == report.total.actual_cents
    assert report.total.planned_cents == world.agrasc.grant.amount_cents == 10_400_001
    assert report.total.actual_cents == 250_000 + 250_001 + 12_846 + 208_333 + 333_334 + 77_777
    assert [s.key for s in report.by_category] == ["60", "64", "indirect"]  # Cerfa order
    assert not report.partial_scope and report.total.label == "Total du financement"


def test_monthly_actuals_match_sql_and_cumulate_to_the_actual_to_date(session, world):
    grant_id = world.agrasc.grant.id
    points = bc.monthly_actuals(session, world.people["direction"], grant_id=grant_id, today=TODAY)
    month = (
        "strftime('%Y-%m', spent_on)" if session.get_bind().dialect.name == "sqlite" else "to_char(spent_on, 'YYYY-MM')"
    )
    rows = session.execute(
        text(f"""
        SELECT {month} AS ym, SUM(amount_cents) FROM expense
        WHERE grant_id = :grant AND spent_on <= :today GROUP BY {month}"""),
        {"grant": grant_id, "today": TODAY},
    ).all()
    by_month = {date(int(ym[:4]), int(ym[5:7]), 1): int(c) for ym, c in rows}
    by_month[date(2026, 1, 1)] += by_month.pop(date(2025, 12, 1))  # before the start: first point
    assert [p.month for p in points] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert {p.month: p.actual_cents for p in points} == by_month
    report = bc.consumption(session, world.people["direction"], grant_id=grant_id, today=TODAY)
    assert points[-1].cumulative_cents == report.total.actual_cents
    assert [p.cumulative_cents for p in points] == [262_845, 262_845 + 791_668, report.total.actual_cents]


@pytest.mark.parametrize(
    ("today", "share"),
    [
        (date(2025, 12, 31), Decimal(0)),
        (date(2026, 1, 1), Decimal(1) / Decimal(546)),  # 1 Jan 2026 – 30 Jun 2027 = 546 days
        (date(2026, 3, 15), Decimal(74) / Decimal(546)),  # 31 + 28 + 15 days
        (date(2027, 6, 30), Decimal(1)),
        (date(2028, 1, 1), Decimal(1)),
    ],
)
def test_share_of_the_period_elapsed(today, share):
    assert bc.elapsed_share(date(2026, 1, 1), date(2027, 6, 30), today) == share


def test_chef_de_service_sees_only_its_sites_lines_and_a_total_labelled_so(session, world):
    chef = world.people["chef.lyon"]
    grant_id = world.agrasc.grant.id
    report = bc.consumption(session, chef, grant_id=grant_id, today=TODAY)
    assert {line.site_code for line in report.lines} == {"LYO"}
    assert {s.key: (s.planned_cents, s.actual_cents) for s in report.by_strand} == _sql_by(
        session, grant_id, "s.name", sites=(world.lyon.id,)
    )
    assert report.partial_scope and report.total.label == "Total des lignes visibles"
    assert report.total.planned_cents == 3_000_000 + 200_001 + 4_000_000 + 700_000
    points = bc.monthly_actuals(session, chef, grant_id=grant_id, today=TODAY)
    assert points[-1].cumulative_cents == report.total.actual_cents
    assert [g.id for g in bc.list_grants(session, chef)] == [grant_id]
    with pytest.raises(NotFound):
        bc.consumption(session, chef, grant_id=world.foundation.grant.id, today=TODAY)
    assert [g.id for g in bc.list_grants(session, world.people["chef.mrs"])] == [world.foundation.grant.id]


def test_financeur_reads_its_funders_grants_by_strand_and_category_only(session, world):
    financeur = world.people["financeur"]
    for call in (bc.consumption, bc.monthly_actuals):  # the line-level shape is budget staff's
        with pytest.raises(PermissionDenied):
            call(session, financeur, grant_id=world.agrasc.grant.id, today=TODAY)
    with pytest.raises(PermissionDenied):
        bc.list_grants(session, financeur)
    assert [g.id for g in funded.funded_grants(session, financeur)] == [world.agrasc.grant.id]
    seen = funded.funded_consumption(session, financeur, grant_id=world.agrasc.grant.id, today=TODAY)
    direction = bc.consumption(session, world.people["direction"], grant_id=world.agrasc.grant.id, today=TODAY)
    assert seen.report.total == direction.total and not seen.report.partial_scope
    assert seen.report.lines == () and seen.report.by_site == () and seen.report.ledger == {}
    assert seen.outlook.lines == () and seen.outlook.alerts == ()
    assert [s.key for s in seen.by_strand] == [s.key for s in direction.by_strand]
    assert [s.actual_cents for s in seen.by_category] == [s.actual_cents for s in direction.by_category]
    with pytest.raises(NotFound):
        funded.funded_consumption(session, financeur, grant_id=world.foundation.grant.id, today=TODAY)


def test_direction_and_gestion_list_every_grant(session, world):
    for name in ("direction", "gestion"):
        ids = {g.id for g in bc.list_grants(session, world.people[name])}
        assert {world.agrasc.grant.id, world.foundation.grant.id} <= ids


@pytest.mark.parametrize("name", ["intervenant", "formateur"])
def test_people_without_a_budget_role_are_refused(session, world, name):
    principal = world.people[name]
    for call in (bc.consumption, bc.monthly_actuals):
        with pytest.raises(PermissionDenied):
            call(session, principal, grant_id=world.agrasc.grant.id, today=TODAY)
    with pytest.raises(PermissionDenied):
        bc.list_grants(session, principal)


def test_the_burn_chart_draws_the_service_numbers(session, world):
    from i18n.formats import euros
    from services.finance import forecast
    from ui.finance.budget_charts import ACTUAL, FORECAST, PLAN, burn_frame

    direction = world.people["direction"]
    report = bc.consumption(session, direction, grant_id=world.agrasc.grant.id, today=TODAY)
    points = bc.monthly_actuals(session, direction, grant_id=world.agrasc.grant.id, report=report)
    outlook = forecast.grant_forecast(session, direction, grant_id=world.agrasc.grant.id, today=TODAY, report=report)
    frame = burn_frame(report, points, outlook)
    drawn = {
        series: list(zip(rows["Date"].dt.date, rows["Montant"], strict=True)) for series, rows in frame.groupby("Série")
    }
    assert drawn[ACTUAL] == [
        (date(2026, 1, 1), euros(0)),
        (date(2026, 1, 31), euros(262_845)),
        (date(2026, 2, 28), euros(262_845 + 791_668)),
        (TODAY, euros(report.total.actual_cents)),
    ]
    assert drawn[PLAN] == [(date(2026, 1, 1), euros(0)), (date(2027, 6, 30), euros(10_400_001))]
    assert drawn[FORECAST] == [
        (TODAY, euros(report.total.actual_cents)),
        (date(2027, 6, 30), euros(outlook.projected_cents)),
    ]
    assert sorted(frame["Euros"][frame["Série"] == ACTUAL]) == [
        p / 100 for p in (0, 262_845, 1_054_513, report.total.actual_cents)
    ]
