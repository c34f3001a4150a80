"""Compte rendu financier workbook: sheets, sums, SQL equality, French formats, formula injection."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.finance import BudgetCategory
from models.organisation import Role
from models.staffing import PostType
from services.finance import deviation_notes, financial_report
from services.finance.staffing import charges as staff_charges
from services.platform.errors import PermissionDenied, StaleRecord, ValidationFailed
from services.platform.inputs import PeriodInput
from services.platform.spreadsheet import EUROS, safe_text
from tests import factories

TODAY = date(2026, 3, 15)
PAYLOADS = ['=HYPERLINK("http://x")', "+cmd", "-1+1", "@SUM(A1)", "\tcmd", "\rcmd", "  =1+1"]
PLANNED = {
    BudgetCategory.PURCHASES: 1_000_000,
    BudgetCategory.EXTERNAL_SERVICES: 500_000,
    BudgetCategory.STAFF: 6_000_000,
    BudgetCategory.INDIRECT: 333_333,
}


@pytest.fixture
def world(session: Session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    staff_grant = factories.a_staff_grant(
        session,
        factories.a_funder(session, "AGRASC"),
        lyon,
        grenoble,
        starts_on=date(2025, 1, 1),
        ends_on=date(2026, 6, 30),
        planned=PLANNED,
    )
    staff_grant.grant.name = '=HYPERLINK("http://x")'
    gestion = factories.principal(session, factories.a_user(session, Role.GESTION))
    lines = staff_grant.lines
    for site in ("LYO", "GRE"):
        factories.an_expense(
            session, lines[(site, BudgetCategory.PURCHASES)], spent_on=date(2025, 3, 3), amount_cents=123_457
        )
        factories.an_expense(
            session, lines[(site, BudgetCategory.EXTERNAL_SERVICES)], spent_on=date(2025, 6, 30), amount_cents=99_999
        )
        factories.an_expense(
            session, lines[(site, BudgetCategory.PURCHASES)], spent_on=date(2024, 12, 31), amount_cents=777
        )  # before the period
    factories.a_funded_post(
        session,
        lyon,
        monthly_cost_cents=300_001,
        funding=[(staff_grant, 10_000)],
        holder_name="+cmd",
        starts_on=date(2025, 1, 1),
    )
    for month in (date(2025, 1, 1), date(2025, 2, 1)):
        staff_charges.charge_month(session, gestion, month=month, today=TODAY)
    return staff_grant, gestion


def workbook(session, principal, grant_id, start=date(2025, 1, 1), end=date(2025, 12, 31)):
    data = financial_report.build_financial_report(
        session, principal, grant_id=grant_id, period_start=start, period_end=end, today=TODAY, association_name="@Asso"
    )
    return load_workbook(io.BytesIO(data))


def category_rows(book) -> list[tuple]:
    """The charges block of the Compte rendu (its heading cell in column B, the account in A), column A dropped."""
    ws = book["Compte rendu"]
    rows = [tuple(c.value for c in row)[1:] for row in ws.iter_rows(min_row=5)]
    end = rows.index(next(r for r in rows if r[0] == "Total des charges"))
    return rows[: end + 1]


def test_safe_text_follows_the_owasp_rule():
    for payload in PAYLOADS:
        assert safe_text(payload) == "'" + payload
    assert safe_text("Salaires — janvier") == "Salaires — janvier"
    assert safe_text("") == ""


def test_sheets_and_rows_summing_to_the_total(session, world):
    staff_grant, gestion = world
    book = workbook(session, gestion, staff_grant.grant.id)
    assert book.sheetnames == ["Synthèse", "Compte rendu", "Personnel", "Écarts"]
    rows = category_rows(book)
    assert [r[0] for r in rows] == [
        "60 – Achats",
        "61 – Services extérieurs",
        "62 – Autres services extérieurs",
        "63 – Impôts et taxes",
        "64 – Charges de personnel",
        "65 – Autres charges de gestion courante",
        "66 – Charges financières",
        "67 – Charges exceptionnelles",
        "68 – Dotation aux amortissements",
        "Frais indirects",
        "Total des charges",
    ]
    *categories, total = rows
    for column in (1, 2, 3, 4):
        assert sum(Decimal(str(r[column])) for r in categories) == Decimal(str(total[column]))
    for row in rows:  # écart = réalisé − prévu période
        assert Decimal(str(row[4])) == Decimal(str(row[3])) - Decimal(str(row[2]))


def test_numbers_equal_direct_sql_over_the_period(session, world):
    staff_grant, gestion = world
    grant_id = staff_grant.grant.id
    rows = {r[0]: r for r in category_rows(workbook(session, gestion, grant_id))}
    actual = dict(
        session.execute(
            text(
                "SELECT l.category, SUM(e.amount_cents) FROM expense e JOIN budget_line l ON l.id = e.budget_line_id "
                "WHERE e.grant_id = :g AND e.spent_on BETWEEN :a AND :b GROUP BY l.category"
            ),
            {"g": grant_id, "a": date(2025, 1, 1), "b": date(2025, 12, 31)},
        ).all()
    )
    assert Decimal(str(rows["60 – Achats"][3])) * 100 == actual["60"] == 246_914
    assert Decimal(str(rows["64 – Charges de personnel"][3])) * 100 == actual["64"] == 600_002
    assert Decimal(str(rows["Total des charges"][3])) * 100 == sum(actual.values())
    planned = session.execute(
        text("SELECT SUM(planned_cents) FROM budget_line WHERE grant_id = :g AND category = '64'"), {"g": grant_id}
    ).scalar_one()
    assert Decimal(str(rows["64 – Charges de personnel"][1])) * 100 == planned
    # the whole convention: prévu sur la période = prévu convention
    full = {r[0]: r for r in category_rows(workbook(session, gestion, grant_id, date(2025, 1, 1), date(2026, 6, 30)))}
    assert all(r[1] == r[2] for r in full.values())


def test_staff_detail_and_french_formats(session, world):
    staff_grant, gestion = world
    book = workbook(session, gestion, staff_grant.grant.id)
    staff = [tuple(c.value for c in row) for row in book["Personnel"].iter_rows(min_row=4) if row[0].value]
    # One post only: its cost (one person's salary) is nowhere but in the category's total.
    assert staff[0][0] == "Total 64 – Charges de personnel" and Decimal(str(staff[0][3])) == Decimal("6000.02")
    assert staff[1][0].startswith("Les charges de personnel sont données par type de poste")
    assert len(staff) == 2
    ws = book["Compte rendu"]
    assert ws["C5"].number_format == EUROS == '#,##0.00\\ "€"'
    assert ws["G5"].number_format == "0.00\\ %"
    synthese = book["Synthèse"]
    dates = [c for row in synthese.iter_rows() for c in row if getattr(c, "is_date", False)]  # merged cells: none
    assert dates and all(c.number_format == "dd/mm/yyyy" for c in dates)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "report.financial_exported")).one()
    assert (event.entity_id, event.detail) == (str(staff_grant.grant.id), "period=2025-01-01/2025-12-31")


def test_formula_injection_neutralised_in_every_text_cell(session, world):
    staff_grant, gestion = world
    grant_id = staff_grant.grant.id
    report = financial_report.report_data(
        session, gestion, grant_id=grant_id, period_start=date(2025, 1, 1), period_end=date(2025, 12, 31)
    )
    beyond = [r.category for r in report.deviations]
    assert BudgetCategory.PURCHASES in beyond
    for category, payload in zip(beyond, PAYLOADS, strict=False):
        deviation_notes.save_note(
            session,
            gestion,
            grant_id=grant_id,
            data={"category": category, "explanation": payload},
            expected_version=None,
        )
    book = workbook(session, gestion, grant_id)
    texts = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if t.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r")]
    formulas = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    notes = [tuple(c.value for c in row) for row in book["Écarts"].iter_rows(min_row=4)]
    explanations = {row[0]: row[5] for row in notes}
    assert explanations["60 – Achats"] == "'" + PAYLOADS[0]
    assert '\'=HYPERLINK("http://x")' in texts and "'@Asso" in texts
    assert not [t for t in texts if "cmd" in t and t not in ("'" + p for p in PAYLOADS)]  # holder never printed


def test_missing_explanations_and_note_versions(session, world):
    staff_grant, gestion = world
    grant_id = staff_grant.grant.id
    book = workbook(session, gestion, grant_id)
    explanations = [row[5].value for row in book["Écarts"].iter_rows(min_row=4) if row[0].value]
    assert explanations and set(explanations) == {"Explication à saisir"}
    note_id = deviation_notes.save_note(
        session,
        gestion,
        grant_id=grant_id,
        data={"category": BudgetCategory.PURCHASES, "explanation": "Achat de matériel avancé."},
        expected_version=None,
    )
    with pytest.raises(StaleRecord):
        deviation_notes.save_note(
            session,
            gestion,
            grant_id=grant_id,
            data={"category": BudgetCategory.PURCHASES, "explanation": "Autre"},
            expected_version=None,
        )
    with pytest.raises(ValidationFailed) as caught:
        deviation_notes.save_note(
            session,
            gestion,
            grant_id=grant_id,
            data={"category": "99", "explanation": "x" * 1001},
            expected_version=1,
        )
    assert caught.value.errors == {
        "category": "Choisissez une catégorie.",
        "explanation": "L'explication ne peut dépasser 1000 caractères (1001 saisis).",
    }
    with pytest.raises(ValidationFailed) as caught:
        deviation_notes.save_note(
            session,
            gestion,
            grant_id=grant_id,
            data={"category": BudgetCategory.PURCHASES, "explanation": "  "},
            expected_version=1,
        )
    assert caught.value.errors == {"explanation": "Rédigez l'explication de l'écart."}
    assert (
        deviation_notes.save_note(
            session,
            gestion,
            grant_id=grant_id,
            data={"category": BudgetCategory.PURCHASES, "explanation": "Achat avancé au 1er trimestre."},
            expected_version=1,
        )
        == note_id
    )
    notes = deviation_notes.notes_of_grant(session, gestion, grant_id=grant_id)
    assert (notes[BudgetCategory.PURCHASES].explanation, notes[BudgetCategory.PURCHASES].version) == (
        "Achat avancé au 1er trimestre.",
        2,
    )


def test_who_may_produce_the_report(session, world):
    staff_grant, _gestion = world
    lyon = session.exec(select(factories.Site).where(factories.Site.code == "LYO")).one()
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    assert workbook(session, direction, staff_grant.grant.id).sheetnames[0] == "Synthèse"
    for role, sites in ((Role.CHEF_SERVICE, (lyon,)), (Role.FINANCEUR, ()), (Role.INTERVENANT, (lyon,))):
        with pytest.raises(PermissionDenied):
            workbook(
                session, factories.principal(session, factories.a_user(session, role, *sites)), staff_grant.grant.id
            )
    with pytest.raises(PermissionDenied):
        deviation_notes.save_note(
            session,
            direction,
            grant_id=staff_grant.grant.id,
            data={"category": BudgetCategory.PURCHASES, "explanation": "x"},
            expected_version=None,
        )


def test_the_period_ends_after_its_start(session, world):
    staff_grant, gestion = world
    with pytest.raises(ValidationFailed) as caught:
        financial_report.report_data(
            session, gestion, grant_id=staff_grant.grant.id, period_start=date(2025, 6, 1), period_end=date(2025, 5, 31)
        )
    assert caught.value.errors == {"end": "La fin de la période doit suivre son début."}
    # the same period rule in a filter (no form to submit), and the dashboard's three years at most
    assert PeriodInput.problems({"start": date(2025, 6, 1), "end": date(2025, 6, 1)}) == {}
    assert PeriodInput.problems({"start": date(2023, 1, 1), "end": date(2026, 1, 4)}, longest_days=3 * 366) == {
        "end": "Choisissez une période de trois ans au plus."
    }


# --- staff costs by post type, never one person's salary --------------------------------------------------

CIP, SOCIAL, HEALTH, FLE = (
    "Conseiller·ère en insertion professionnelle (CIP)",
    "Travailleur·se social·e",
    "Professionnel·le de santé",
    "Formateur·rice FLE",
)


def _staff_world(session, posts):
    """A grant funding `posts` (site, post type, monthly cost) fully, charged for January and February."""
    lyon, grenoble = factories.lyon_and_grenoble(session)
    sites = {"LYO": lyon, "GRE": grenoble}
    staff_grant = factories.a_staff_grant(
        session,
        factories.a_funder(session, "AGRASC"),
        lyon,
        grenoble,
        starts_on=date(2025, 1, 1),
        ends_on=date(2026, 6, 30),
        planned=PLANNED,
    )
    gestion = factories.principal(session, factories.a_user(session, Role.GESTION))
    for site, post_type, monthly in posts:
        factories.a_funded_post(
            session, sites[site], monthly_cost_cents=monthly, funding=[(staff_grant, 10_000)], post_type=post_type
        )
    for month in (date(2025, 1, 1), date(2025, 2, 1)):
        staff_charges.charge_month(session, gestion, month=month, today=TODAY)
    return staff_grant, gestion


def _staff_rows(book) -> dict[str, tuple]:
    ws = book["Personnel"]
    assert [c.value for c in ws[3]] == ["Type de poste", "Postes", "ETP", "Montant €"]
    rows = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0] and row[0].startswith("Les charges de personnel"):
            break
        if row[0]:
            rows[row[0]] = tuple(Decimal(str(v)) if isinstance(v, float | int) else v for v in row[1:])
    return rows


def test_single_holder_types_are_pooled_never_shown_alone(session):
    staff_grant, gestion = _staff_world(
        session,
        [
            ("LYO", PostType.CIP, 300_000),
            ("GRE", PostType.CIP, 250_000),
            ("LYO", PostType.FLE_TRAINER, 200_000),
            ("GRE", PostType.HEALTH_PROFESSIONAL, 180_000),
        ],
    )
    rows = _staff_rows(workbook(session, gestion, staff_grant.grant.id))
    assert set(rows) == {  # neither single holder (FLE, santé) has a row of its own
        CIP,
        f"{HEALTH}, {FLE}",
        "Autres charges de personnel (hors postes)",
        "Total 64 – Charges de personnel",
    }
    assert rows[CIP][:3] == (2, Decimal("2"), Decimal("11000"))  # (3 000 + 2 500) × 2 months
    assert rows[f"{HEALTH}, {FLE}"][:3] == (2, Decimal("2"), Decimal("7600"))  # (2 000 + 1 800) × 2
    assert rows["Autres charges de personnel (hors postes)"][2] == Decimal("0")
    assert rows["Total 64 – Charges de personnel"][2] == Decimal("18600")


def test_a_lone_single_holder_joins_the_cheapest_other_type(session):
    staff_grant, gestion = _staff_world(
        session,
        [
            ("LYO", PostType.CIP, 300_000),
            ("GRE", PostType.CIP, 300_000),
            ("LYO", PostType.SOCIAL_WORKER, 210_000),
            ("GRE", PostType.SOCIAL_WORKER, 200_000),
            ("LYO", PostType.FLE_TRAINER, 190_000),
        ],
    )
    rows = _staff_rows(workbook(session, gestion, staff_grant.grant.id))
    assert set(rows) == {
        CIP,
        f"{SOCIAL}, {FLE}",
        "Autres charges de personnel (hors postes)",
        "Total 64 – Charges de personnel",
    }
    assert rows[CIP][:3] == (2, Decimal("2"), Decimal("12000"))
    assert rows[f"{SOCIAL}, {FLE}"][:3] == (3, Decimal("3"), Decimal("12000"))  # (2 100 + 2 000 + 1 900) × 2
    assert rows["Total 64 – Charges de personnel"][2] == Decimal("24000")
