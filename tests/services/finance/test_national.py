"""National posts, budget lines and expenses (no site, « National »; issue 18): gestion alone creates them,
a site's chef_service neither sees nor creates them, direction sees them labelled « National », and the
figures of the whole association (consumption, financial report, dashboard) count them. Expected figures are
read with SQL written here or counted by hand, never with the code under test."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.finance import BudgetCategory, BudgetLine, Expense
from models.staffing import Post, PostType
from services.finance import consumption, expense_import, expenses, financial_report, lines
from services.finance.expense_import import ImportRefused
from services.finance.staffing import charges, figures, posts
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import Principal
from services.platform.sites import NATIONAL_SITE
from services.reporting import dashboard
from services.reporting._dashboard_figures import grant_progress
from tests import factories
from tests.services import budget_world
from tests.services.budget_world import AV, ISP, TODAY

NATIONAL_CODE = "AGR-ISP-NAT-64"
COORDINATION_CODE = "AGR-AV-NAT-62"


@pytest.fixture
def world(session: Session) -> budget_world.BudgetWorld:
    return budget_world.build(session)


def _rows_of(world: budget_world.BudgetWorld, *, national: list[dict]) -> list[dict]:
    """The AGRASC convention's three site lines as the editor sends them (the Lyon purchases line lowered by
    what the national rows plan, so that the lines still add up to the convention), then `national`."""
    agrasc = world.agrasc
    moved = sum(row["cents"] for row in national)
    site_rows = [
        (AV, world.lyon.id, BudgetCategory.PURCHASES, 40_000_00 - moved, "AGR-AV-LYO-60"),
        (AV, world.grenoble.id, BudgetCategory.PURCHASES, 30_000_00, "AGR-AV-GRE-60"),
        (ISP, world.lyon.id, BudgetCategory.STAFF, 130_000_00, "AGR-ISP-LYO-64"),
    ]
    return [
        {
            "strand_id": agrasc.strands[strand].id,
            "site_id": site_id,
            "category": category,
            "planned": _typed(cents),
            "accounting_code": code,
        }
        for strand, site_id, category, cents, code in site_rows
    ] + [{key: value for key, value in row.items() if key != "cents"} for row in national]


def _typed(cents: int) -> str:
    """Cents as gestion types them: '39 000,00' → the service reads euros."""
    return f"{cents // 100},{cents % 100:02d}"


def _national_row(world: budget_world.BudgetWorld, strand: str, category: BudgetCategory, cents: int, code: str):
    return {
        "strand_id": world.agrasc.strands[strand].id,
        "site_id": NATIONAL_SITE,
        "category": category,
        "planned": _typed(cents),
        "accounting_code": code,
        "cents": cents,
    }


def _with_national_lines(session: Session, world: budget_world.BudgetWorld) -> dict[str, BudgetLine]:
    """gestion adds two national lines to the AGRASC convention (10 000 € of staff, 2 000 € of travel) and books
    a national expense on each; returns the lines by code."""
    national = [
        _national_row(world, ISP, BudgetCategory.STAFF, 10_000_00, NATIONAL_CODE),
        _national_row(world, AV, BudgetCategory.OTHER_EXTERNAL_SERVICES, 2_000_00, COORDINATION_CODE),
    ]
    lines.save_budget_lines(
        session,
        world.gestion,
        grant_id=world.agrasc.grant.id,
        lines=_rows_of(world, national=national),
        expected_version=world.agrasc.grant.version,
    )
    by_code = {
        line.accounting_code: line
        for line in session.exec(select(BudgetLine).where(BudgetLine.grant_id == world.agrasc.grant.id)).all()
    }
    for code, amount, day in (
        (NATIONAL_CODE, "4 000,00", date(2026, 3, 31)),
        (COORDINATION_CODE, "350", date(2026, 4, 2)),
    ):
        expenses.record_expense(
            session,
            world.gestion,
            data={"budget_line_id": by_code[code].id, "spent_on": day, "amount": amount, "label": "Coordination"},
            today=TODAY,
        )
    return by_code


def _a_national_post(session: Session, principal: Principal) -> int:
    return posts.create_post(
        session,
        principal,
        data={
            "site_id": NATIONAL_SITE,
            "post_type": PostType.NATIONAL_PROJECT_OFFICER,
            "fte": "1",
            "monthly_cost": "4 900",
            "starts_on": date(2026, 1, 1),
            "holder_name": "Nolwenn Tessier",
        },
    )


def test_gestion_creates_a_national_line_and_post_funded_by_it(session: Session, world) -> None:
    by_code = _with_national_lines(session, world)
    assert by_code[NATIONAL_CODE].site_id is None and by_code[COORDINATION_CODE].site_id is None
    assert session.exec(
        text("SELECT site_id FROM expense WHERE budget_line_id = :l"), params={"l": by_code[NATIONAL_CODE].id}
    ).all() == [(None,)]
    post_id = _a_national_post(session, world.gestion)
    assert session.get(Post, post_id).site_id is None
    # its cost goes to a national 64 line: the only option offered, and the split saved on it
    options = posts.funding_options(session, world.gestion, post_id)
    assert [(o.grant_id, o.budget_line_id) for o in options] == [(world.agrasc.grant.id, by_code[NATIONAL_CODE].id)]
    posts.save_funding(session, world.gestion, post_id, [(world.agrasc.grant.id, world.agrasc.strands[ISP].id, 100)])
    # a site's 64 line does not fund a national post
    with pytest.raises(ValidationFailed):
        posts.save_funding(session, world.gestion, post_id, [(world.agrasc.grant.id, world.agrasc.strands[AV].id, 100)])
    # April's salary is charged on the national line, as a national expense
    result = charges.charge_month(session, world.gestion, month=date(2026, 4, 1), today=TODAY)
    assert result.created >= 1
    charged = session.exec(select(Expense).where(Expense.post_id == post_id)).all()
    assert [(e.budget_line_id, e.site_id, e.amount_cents) for e in charged] == [
        (by_code[NATIONAL_CODE].id, None, 4_900_00)
    ]


def test_a_second_national_line_of_the_same_strand_and_category_is_refused(session: Session, world) -> None:
    national = [
        _national_row(world, ISP, BudgetCategory.STAFF, 1_000_00, "N1"),
        _national_row(world, ISP, BudgetCategory.STAFF, 1_000_00, "N2"),
    ]
    with pytest.raises(ValidationFailed) as refused:
        lines.save_budget_lines(
            session,
            world.gestion,
            grant_id=world.agrasc.grant.id,
            lines=_rows_of(world, national=national),
            expected_version=world.agrasc.grant.version,
        )
    assert "lines.2.key" not in refused.value.errors and "lines.5.key" in refused.value.errors
    # and the database refuses it too (partial unique index), whoever writes
    session.add_all(
        [
            BudgetLine(
                grant_id=world.agrasc.grant.id,
                strand_id=world.agrasc.strands[AV].id,
                site_id=None,
                category=BudgetCategory.TAXES,
                planned_cents=0,
            )
            for _ in range(2)
        ]
    )
    with pytest.raises(Exception, match=r"(?i)unique"):
        session.flush()
    session.rollback()


def test_chef_service_of_lyon_neither_sees_nor_creates_national_rows(session: Session, world) -> None:
    by_code = _with_national_lines(session, world)
    post_id = _a_national_post(session, world.gestion)
    lyon_post = posts.create_post(
        session,
        world.gestion,
        data={
            "site_id": world.lyon.id,
            "post_type": PostType.CIP,
            "fte": "1",
            "monthly_cost": "3 900",
            "starts_on": date(2026, 1, 1),
        },
    )
    chef = world.chef_lyon
    # creating: refused (deny by default), a national post or line alike
    with pytest.raises(PermissionDenied):
        _a_national_post(session, chef)
    with pytest.raises(PermissionDenied):
        lines.save_budget_lines(
            session,
            chef,
            grant_id=world.agrasc.grant.id,
            lines=_rows_of(world, national=[]),
            expected_version=world.agrasc.grant.version,
        )
    # reading: no national post, line, choice or expense, in no list or figure
    assert [p.id for p in posts.list_posts(session, chef)] == [lyon_post]
    assert posts.list_posts(session, chef, site_id=NATIONAL_SITE) == []
    with pytest.raises(NotFound):
        posts.funding_options(session, chef, post_id)
    codes = {line.accounting_code for line in lines.budget_lines(session, chef, world.agrasc.grant.id, today=TODAY)}
    assert codes == {"AGR-AV-LYO-60", "AGR-ISP-LYO-64"}
    assert NATIONAL_CODE not in {c.accounting_code for c in lines.line_choices(session, chef)}
    page = expenses.list_expenses(session, chef, grant_id=world.agrasc.grant.id)
    assert all(row.site_code == "LYO" for row in page.rows)
    assert page.total_count == 4  # the Lyon expenses of budget_world (two on 60, two on 64)
    report = consumption.consumption(session, chef, grant_id=world.agrasc.grant.id, today=TODAY)
    assert {line.site_code for line in report.lines} == {"LYO"} and report.partial_scope
    lyon_planned = session.exec(
        text("SELECT SUM(planned_cents) FROM budget_line WHERE grant_id = :g AND site_id = :s"),
        params={"g": world.agrasc.grant.id, "s": world.lyon.id},
    ).one()[0]
    assert report.total.planned_cents == lyon_planned
    assert {f.site_code for f in figures.fte_by_site_and_type(session, chef, today=TODAY)} == {"LYO"}
    assert [v.post_id for v in figures.vacancies(session, chef, today=TODAY)] == [lyon_post]
    assert by_code[NATIONAL_CODE].id not in {line.line_id for line in report.lines}


def test_gestion_alone_may_choose_national_in_the_forms(world) -> None:
    assert posts.offers_national(world.gestion) and lines.offers_national(world.gestion)
    for principal in (world.direction, world.chef_lyon, world.intervenant, world.financeur_agrasc):
        assert not posts.offers_national(principal) and not lines.offers_national(principal)


def test_direction_sees_national_rows_labelled_national(session: Session, world) -> None:
    by_code = _with_national_lines(session, world)
    post_id = _a_national_post(session, world.gestion)
    direction = world.direction
    listed = {p.id: p.site_code for p in posts.list_posts(session, direction)}
    assert listed[post_id] == "National"
    assert [p.id for p in posts.list_posts(session, direction, site_id=NATIONAL_SITE)] == [post_id]
    by_line = {
        line.accounting_code: line.site_code
        for line in lines.budget_lines(session, direction, world.agrasc.grant.id, today=TODAY)
    }
    assert by_line[NATIONAL_CODE] == by_line[COORDINATION_CODE] == "National"
    fte = {
        (f.site_code, f.post_type): f.funded_hundredths
        for f in figures.fte_by_site_and_type(session, direction, today=TODAY)
    }
    assert fte[("National", PostType.NATIONAL_PROJECT_OFFICER)] == 100
    page = expenses.list_expenses(session, direction, grant_id=world.agrasc.grant.id)
    assert sorted(r.amount_cents for r in page.rows if r.site_code == "National") == [350_00, 4_000_00]
    report = consumption.consumption(session, direction, grant_id=world.agrasc.grant.id, today=TODAY)
    national = next(s for s in report.by_site if s.key == "National")
    assert (national.planned_cents, national.actual_cents) == (12_000_00, 4_350_00)
    assert by_code[NATIONAL_CODE].id in {line.line_id for line in report.lines}
    # the dashboard's FTE are per site: the national post is in none
    factories.a_post(session, world.lyon, fte_hundredths=80)
    board = dashboard.director_dashboard(session, direction, start=date(2026, 1, 1), end=TODAY, today=TODAY)
    assert [(f.site_code, f.funded_hundredths) for f in board.fte] == [("LYO", 80)]
    assert PostType.NATIONAL_PROJECT_OFFICER not in {f.post_type for f in board.fte}


def test_the_whole_association_figures_count_national_lines(session: Session, world) -> None:
    _with_national_lines(session, world)
    grant_id = world.agrasc.grant.id
    planned_all, spent_all = session.exec(
        text(
            "SELECT (SELECT SUM(planned_cents) FROM budget_line WHERE grant_id = :g), "
            "(SELECT SUM(amount_cents) FROM expense WHERE grant_id = :g AND spent_on <= :d)"
        ),
        params={"g": grant_id, "d": TODAY},
    ).one()
    # consumption, for direction and gestion: the whole convention, national lines included
    for principal in (world.direction, world.gestion):
        report = consumption.consumption(session, principal, grant_id=grant_id, today=TODAY)
        assert (report.total.planned_cents, report.total.actual_cents) == (planned_all, spent_all)
        assert not report.partial_scope
    # the compte rendu financier (Cerfa 15059): 64 and 62 rows hold the national lines and expenses
    rendu = financial_report.report_data(
        session, world.direction, grant_id=grant_id, period_start=date(2026, 1, 1), period_end=TODAY
    )
    by_category = {row.category: row for row in rendu.rows}
    assert by_category[BudgetCategory.STAFF].planned_grant_cents == 130_000_00 + 10_000_00
    assert by_category[BudgetCategory.OTHER_EXTERNAL_SERVICES].planned_grant_cents == 2_000_00
    assert by_category[BudgetCategory.STAFF].actual_cents == 7_000_00 + 4_000_00  # 31 May is after the period
    assert by_category[BudgetCategory.OTHER_EXTERNAL_SERVICES].actual_cents == 350_00
    assert rendu.total.planned_grant_cents == planned_all
    # the dashboard: national lines only when an association-wide reader looks at every site
    every_site = [world.lyon.id, world.grenoble.id]
    assert dashboard._whole_association(session, world.direction, dashboard.sites_in_scope(session, world.direction))
    lyon_only = [s for s in dashboard.sites_in_scope(session, world.direction) if s.id == world.lyon.id]
    assert not dashboard._whole_association(session, world.direction, lyon_only)
    chef_sites = dashboard.sites_in_scope(session, world.chef_lyon)
    assert not dashboard._whole_association(session, world.chef_lyon, chef_sites)

    def agrasc_planned(principal, sites, national):
        found = grant_progress(
            session, principal, site_ids=sites, start=TODAY, end=TODAY, as_of=TODAY, national=national
        )
        return next(g.planned_cents for g in found if g.grant_name == world.agrasc.grant.name)

    assert agrasc_planned(world.direction, every_site, True) == planned_all
    assert agrasc_planned(world.direction, every_site, False) == planned_all - 12_000_00
    # a chef_service asking for the national lines still gets none: visible_lines has the last word
    assert agrasc_planned(world.chef_lyon, [world.lyon.id], True) == 40_000_00 - 12_000_00 + 130_000_00


def _import(session: Session, world, rows: list[str], name: str) -> expense_import.ImportResult:
    content = ("Date;Code analytique;Montant;Libellé;Site\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-8")
    return expense_import.import_expenses(session, world.gestion, filename=name, content=content, today=TODAY)


def test_the_import_accepts_an_empty_site_or_national_for_a_national_line(session: Session, world) -> None:
    by_code = _with_national_lines(session, world)
    result = _import(
        session,
        world,
        [
            f"03/04/2026;{COORDINATION_CODE};120,00;Train Lyon-Grenoble;",
            f"04/04/2026;{COORDINATION_CODE};80,00;Réunion des équipes;National",
            f"05/04/2026;{COORDINATION_CODE};60,00;Réunion des équipes;national (aucun site)",
            "06/04/2026;AGR-AV-LYO-60;10,00;Café;lyo",
        ],
        "national.csv",
    )
    assert result.row_count == 4
    booked = session.exec(
        text("SELECT site_id, amount_cents FROM expense WHERE import_id = :i ORDER BY amount_cents"),
        params={"i": result.import_id},
    ).all()
    assert [tuple(row) for row in booked] == [(world.lyon.id, 10_00), (None, 60_00), (None, 80_00), (None, 120_00)]
    assert by_code[COORDINATION_CODE].site_id is None
    with pytest.raises(ImportRefused) as refused:
        _import(
            session,
            world,
            [f"07/04/2026;{COORDINATION_CODE};10,00;Taxi;LYO", "08/04/2026;AGR-AV-LYO-60;10,00;Café;National"],
            "wrong-sites.csv",
        )
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "Site"), (3, "Site")]
