"""The complete Cerfa 15059: charges 60 to 68 kept apart, the indirect-cost rate, produits 70 to 78 with 74 by
funder category, contributions 86 / 87, the excédent or déficit that balances both totals.

Every expected amount below is computed by hand in the comments, on a hand-built convention of one site over
the year 2025 (365 days).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.finance import BudgetCategory, FunderKind, ResourceAccount
from models.organisation import Role, Site
from services.finance import financial_report, resources
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests import factories

# The official form's accounts (Cerfa 15059*02), in its order; "" for the charges indirectes row.
OFFICIAL_CHARGES = ["60", "61", "62", "63", "64", "65", "66", "67", "68", ""]
OFFICIAL_PRODUCTS = ["70", "73", "74", "75", "756", "758", "76", "77", "78"]
OFFICIAL_86 = ["86", "860", "861", "862", "864"]
OFFICIAL_87 = ["87", "870", "871", "875"]

PLANNED = {
    BudgetCategory.PURCHASES: 100_000,
    BudgetCategory.STAFF: 800_000,
    BudgetCategory.MANAGEMENT: 20_000,
    BudgetCategory.FINANCIAL: 5_000,
    BudgetCategory.EXCEPTIONAL: 5_000,
    BudgetCategory.DEPRECIATION: 10_000,
    BudgetCategory.INDIRECT: 60_000,
}  # 1 000 000 cents: the grant's amount


@pytest.fixture
def world(session: Session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    grant = factories.a_staff_grant(
        session,
        factories.a_funder(session, "AGRASC", FunderKind.AGRASC),
        lyon,
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
        planned=PLANNED,
    )
    grant.grant.indirect_rate_bp = 1000  # 10 % of the direct costs
    lines = grant.lines
    for category, day, cents in (
        (BudgetCategory.PURCHASES, date(2025, 2, 10), 120_000),
        (BudgetCategory.STAFF, date(2025, 6, 30), 780_000),
        (BudgetCategory.MANAGEMENT, date(2025, 3, 1), 15_000),
        (BudgetCategory.EXCEPTIONAL, date(2025, 9, 1), 2_500),
        (BudgetCategory.DEPRECIATION, date(2025, 12, 31), 10_000),
        (BudgetCategory.INDIRECT, date(2025, 4, 1), 99_999),  # the rate rules: not in the report
    ):
        factories.an_expense(session, lines[("LYO", category)], spent_on=day, amount_cents=cents)
    state = factories.a_funder(session, "DDETS du Rhône", FunderKind.STATE)
    region = factories.a_funder(session, "Région Auvergne-Rhône-Alpes", FunderKind.REGION)
    gestion = factories.principal(session, factories.a_user(session, Role.GESTION))
    session.commit()
    for data in (
        {
            "account": "74",
            "funder_id": state.id,
            "detail": "Égalité femmes-hommes, programme 137",
            "planned": "2 000,00",
            "actual": "1 500,00",
        },
        {"account": "74", "funder_id": region.id, "planned": "1 000", "actual": "1 000"},
        {"account": "758", "planned": "0", "actual": "123,45"},
        {"account": "70", "planned": "300", "actual": "250"},
        {"account": "864", "detail": "Bénévoles des maraudes", "planned": "500", "actual": "400"},
        {"account": "870", "planned": "500", "actual": "400"},
    ):
        resources.add_resource(session, gestion, grant_id=grant.grant.id, data=data)
    return grant.grant, gestion


def report_of(session, principal, grant, start=date(2025, 1, 1), end=date(2025, 12, 31)):
    return financial_report.report_data(session, principal, grant_id=grant.id, period_start=start, period_end=end)


def by_label(rows):
    return {r.label.strip(): (r.planned_grant_cents, r.planned_period_cents, r.actual_cents) for r in rows}


def test_whole_year_charges_products_and_result(session, world):
    grant, gestion = world
    report = report_of(session, gestion, grant)
    charges = {r.category: r.actual_cents for r in report.rows}
    # direct = 120 000 + 780 000 + 15 000 + 2 500 + 10 000 = 927 500; indirect = 10 % = 92 750
    assert charges == {
        BudgetCategory.PURCHASES: 120_000,
        BudgetCategory.EXTERNAL_SERVICES: 0,
        BudgetCategory.OTHER_EXTERNAL_SERVICES: 0,
        BudgetCategory.TAXES: 0,
        BudgetCategory.STAFF: 780_000,
        BudgetCategory.MANAGEMENT: 15_000,
        BudgetCategory.FINANCIAL: 0,
        BudgetCategory.EXCEPTIONAL: 2_500,
        BudgetCategory.DEPRECIATION: 10_000,
        BudgetCategory.INDIRECT: 92_750,
    }
    assert report.total.actual_cents == 1_020_250
    products = by_label(report.products)
    assert products["74 – Subventions d'exploitation"] == (1_300_000, 1_300_000, 1_250_000)
    assert products["État : ministère(s), programme(s)"] == (200_000, 200_000, 150_000)
    assert products["DDETS du Rhône — Égalité femmes-hommes, programme 137"] == (200_000, 200_000, 150_000)
    assert products["AGRASC : fonds de concours de l'État"] == (1_000_000, 1_000_000, 1_000_000)
    assert products["Région(s)"] == (100_000, 100_000, 100_000)
    assert products["Département(s)"] == (0, 0, 0)
    assert products["75 – Autres produits de gestion courante"] == (0, 0, 12_345)
    assert products["758 – Dons manuels, mécénat"] == (0, 0, 12_345)
    assert products["70 – Ventes de produits finis, prestations de services, marchandises"] == (30_000, 30_000, 25_000)
    # produits: 1 000 000 + 150 000 + 100 000 + 12 345 + 25 000 = 1 287 345 réalisés; 1 330 000 prévus
    assert (report.products_total.planned_period_cents, report.products_total.actual_cents) == (1_330_000, 1_287_345)
    # excédent = 1 287 345 − 1 020 250 = 267 095 réalisé; 1 330 000 − 1 000 000 = 330 000 prévu
    assert (report.surplus.planned_period_cents, report.surplus.actual_cents) == (330_000, 267_095)
    assert (report.shortfall.planned_period_cents, report.shortfall.actual_cents) == (0, 0)
    assert report.balanced_total.actual_cents == 1_287_345
    assert by_label(report.contribution_uses)["86 – Emplois des contributions volontaires en nature"] == (
        50_000,
        50_000,
        40_000,
    )
    assert by_label(report.contributions)["870 – Bénévolat"] == (50_000, 50_000, 40_000)
    assert report.contributions_balanced


def test_half_year_pro_rata_and_deficit(session, world):
    grant, gestion = world
    report = report_of(session, gestion, grant, end=date(2025, 6, 30))  # 181 days of 365
    # charges in the half-year: 120 000 + 780 000 + 15 000 = 915 000 direct, 91 500 indirect
    assert report.total.actual_cents == 1_006_500
    products = by_label(report.products)
    # own subsidy 1 000 000 × 181 / 365 = 495 890,41 → 495 890
    assert products["AGRASC : fonds de concours de l'État"] == (1_000_000, 495_890, 495_890)
    # State 200 000 × 181/365 = 99 178,08 → 99 178 prévu; 150 000 × 181/365 = 74 383,56 → 74 384 réalisé
    assert products["État : ministère(s), programme(s)"] == (200_000, 99_178, 74_384)
    # 12 345 × 181/365 = 6 121,64 → 6 122; 25 000 × 181/365 = 12 397,26 → 12 397
    assert products["758 – Dons manuels, mécénat"] == (0, 0, 6_122)
    # 495 890 + 74 384 + 49 589 + 6 122 + 12 397 = 638 382
    assert report.products_total.actual_cents == 638_382
    # déficit = 1 006 500 − 638 382 = 368 118
    assert (report.surplus.actual_cents, report.shortfall.actual_cents) == (0, 368_118)
    assert report.balanced_total.actual_cents == 1_006_500


def test_without_a_rate_the_indirect_expenses_count(session, world):
    grant, gestion = world
    grant.indirect_rate_bp = 0
    session.commit()
    report = report_of(session, gestion, grant)
    assert {r.category: r.actual_cents for r in report.rows}[BudgetCategory.INDIRECT] == 99_999


def sheet_rows(session, principal, grant):
    data = financial_report.build_financial_report(
        session,
        principal,
        grant_id=grant.id,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        today=date(2026, 1, 15),
        association_name="Asso",
    )
    ws = load_workbook(io.BytesIO(data))["Compte rendu"]
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=4)]


def block(rows, heading):
    """The rows of a block (its heading row in column B), up to the next empty row."""
    start = next(i for i, r in enumerate(rows) if r[1] == heading)
    end = next((i for i in range(start + 1, len(rows)) if not any(rows[i])), len(rows))
    return rows[start + 1 : end]


def test_workbook_balances_and_has_the_official_accounts(session, world):
    grant, gestion = world
    rows = sheet_rows(session, gestion, grant)
    charges = block(rows, "Charges")
    products = block(rows, "Produits")
    contributions = block(rows, "Contributions volontaires en nature")
    assert [r[0] or "" for r in charges if (r[1] and r[1][:1].isdigit()) or r[1] == "Frais indirects"] == (
        OFFICIAL_CHARGES
    )
    assert [r[0] for r in products if r[0]] == OFFICIAL_PRODUCTS
    assert [r[0] for r in contributions if r[0]] == OFFICIAL_86 + OFFICIAL_87
    charges_total = next(r for r in charges if r[1] == "Total général des charges")
    products_total = next(r for r in products if r[1] == "Total général des produits")
    assert charges_total[2:5] == products_total[2:5]
    assert Decimal(str(charges_total[4])) == Decimal("12873.45")
    assert Decimal(str(next(r for r in charges if r[1] == "Excédent (produits − charges)")[4])) == Decimal("2670.95")
    assert Decimal(str(next(r for r in products if r[1] == "Déficit (charges − produits)")[4])) == 0
    # 74's parts sum to 74
    parts = [r for r in products if r[1].startswith("    ") and not r[1].startswith("        ")]
    subsidies = next(r for r in products if r[0] == "74")
    parts_of_74 = parts[: [r[0] for r in parts].index("756")]
    assert sum(Decimal(str(r[4])) for r in parts_of_74) == Decimal(str(subsidies[4])) == Decimal("12500")


def test_resources_rules_and_audit(session, world):
    grant, gestion = world
    with pytest.raises(ValidationFailed) as caught:
        resources.add_resource(
            session, gestion, grant_id=grant.id, data={"account": "74", "planned": "-1", "actual": "abc"}
        )
    assert set(caught.value.errors) == {"funder_id", "planned", "actual"}
    assert caught.value.errors["funder_id"] == "Choisissez le financeur de cette subvention."
    with pytest.raises(ValidationFailed) as caught:
        resources.add_resource(
            session,
            gestion,
            grant_id=grant.id,
            data={"account": "74", "funder_id": grant.funder_id, "planned": "1", "actual": "1"},
        )
    assert caught.value.errors["funder_id"].startswith("La subvention de ce financeur est celle de la convention")
    rows = resources.resources_of(session, gestion, grant_id=grant.id)
    assert [r.account for r in rows] == [
        ResourceAccount.SALES,
        ResourceAccount.SUBSIDY,
        ResourceAccount.SUBSIDY,
        ResourceAccount.DONATIONS,
        ResourceAccount.IN_KIND_VOLUNTEERS,
        ResourceAccount.VOLUNTEERING,
    ]
    resources.delete_resource(session, gestion, grant_id=grant.id, resource_id=rows[0].id)
    with pytest.raises(NotFound):
        resources.delete_resource(session, gestion, grant_id=grant.id, resource_id=rows[0].id)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.action.like("grant_resource.%"))).all()
    assert sorted(actions) == ["grant_resource.added"] * 6 + ["grant_resource.deleted"]


@pytest.mark.parametrize("role", [Role.CHEF_SERVICE, Role.INTERVENANT, Role.FINANCEUR, Role.ADMIN])
def test_other_roles_cannot_read_or_write_resources(session, world, role):
    grant, _gestion = world
    lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
    user = factories.a_user(session, role, *([lyon] if role in (Role.CHEF_SERVICE, Role.INTERVENANT) else []))
    someone = factories.principal(session, user)
    with pytest.raises((PermissionDenied, NotFound)):
        resources.resources_of(session, someone, grant_id=grant.id)
    with pytest.raises(PermissionDenied):
        resources.add_resource(session, someone, grant_id=grant.id, data={"account": "70", "planned": 1, "actual": 1})


def test_direction_reads_but_does_not_write(session, world):
    grant, _gestion = world
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    assert len(resources.resources_of(session, direction, grant_id=grant.id)) == 6
    with pytest.raises(PermissionDenied):
        resources.add_resource(session, direction, grant_id=grant.id, data={"account": "70", "planned": 1, "actual": 1})
