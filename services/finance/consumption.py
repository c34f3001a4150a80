"""Planned vs actual of a grant, per line and per strand, site and category: the figures directors
open every week and funders ask about.

Who may call: roles with VIEW_BUDGET (direction, gestion: every line; chef_service: the lines of its
own sites). Everything else is refused: a funder reads the same figures by strand and category only,
through services.finance.funded, which calls the private helpers of this module (`_report`…). Scope
comes from services.finance.access, inside each query.

Rules:
- "actual to date" = sum of the expenses of a line dated on or before `today` (staff costs charged
  from posts are expenses too); sums are made by the database (GROUP BY on the expense indexes),
  never by loading expense rows;
- subtotals per strand, site and category and the total are exact integer sums of the displayed
  lines, so the table always adds up;
- when the principal sees only part of a grant (chef_service), the total is the total of the lines it
  may see (`partial_scope` tells the page to label it so);
- the national lines of a grant (no site, « National »: the association's own costs, the national posts)
  and their expenses count only for an association-wide reader, who sees the whole grant; a site's reader
  never gets them (visible_lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import _
from models.finance import BudgetCategory, BudgetLine, Expense, Funder, Grant, Strand
from models.labels import label
from models.organisation import Site
from services.finance.access import visible_grants, visible_lines
from services.platform import data_version
from services.platform.errors import NotFound
from services.platform.money import ratio
from services.platform.principal import Capability, Principal
from services.platform.sites import site_code_or_national


@dataclass(frozen=True)
class GrantSummary:
    id: int
    name: str
    funder_name: str
    convention_ref: str
    amount_cents: int
    starts_on: date
    ends_on: date
    tolerance_bp: int

    @property
    def title(self) -> str:
        return f"{self.name} — {self.funder_name} ({self.convention_ref})"


class _Consumed:
    """Remaining and share consumed of anything with planned_cents and actual_cents."""

    planned_cents: int
    actual_cents: int

    @property
    def remaining_cents(self) -> int:
        return self.planned_cents - self.actual_cents

    @property
    def consumed_share(self) -> Decimal | None:
        return ratio(self.actual_cents, self.planned_cents)


@dataclass(frozen=True)
class LineConsumption(_Consumed):
    line_id: int
    version: int
    strand_id: int
    strand_name: str
    site_id: int | None  # None: a national line
    site_code: str  # « National » for a national line
    category: BudgetCategory
    planned_cents: int
    actual_cents: int

    @property
    def label(self) -> str:
        return f"{self.strand_name} · {self.site_code} · {label(self.category)}"


@dataclass(frozen=True)
class Subtotal(_Consumed):
    key: str  # strand name, site code, category value, or "total"
    label: str
    planned_cents: int
    actual_cents: int


@dataclass(frozen=True)
class GrantConsumptionReport:
    grant: GrantSummary
    today: date
    lines: tuple[LineConsumption, ...]
    by_strand: tuple[Subtotal, ...]
    by_site: tuple[Subtotal, ...]
    by_category: tuple[Subtotal, ...]
    total: Subtotal
    elapsed_share: Decimal  # 0..1 of the grant period passed
    partial_scope: bool  # the principal sees only some lines of the grant (chef_service)
    # Actual per (line, month) the figures were summed from (reused by the chart and the forecast).
    ledger: dict[tuple[int, date], int] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class MonthlyActual:
    month: date  # first day of the month
    actual_cents: int
    cumulative_cents: int


def require_line_reader(principal: Principal) -> None:
    """Line-level budget figures (lines, their codes and sites): budget staff, never a funder."""
    principal.require(Capability.VIEW_BUDGET)


def elapsed_share(starts_on: date, ends_on: date, today: date) -> Decimal:
    """Share of the grant period passed, today counted as passed: 0 before the start, 1 from the end day."""
    if today < starts_on:
        return Decimal(0)
    if today >= ends_on:
        return Decimal(1)
    return Decimal((today - starts_on).days + 1) / Decimal((ends_on - starts_on).days + 1)


def list_grants(session: Session, principal: Principal) -> list[GrantSummary]:
    """The grants the principal may look at, most recent end date first (budget staff)."""
    require_line_reader(principal)
    return _grants(session, principal)


def _grants(session: Session, principal: Principal) -> list[GrantSummary]:
    rows = session.exec(
        select(Grant, Funder.name)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(visible_grants(principal))
        .order_by(Grant.ends_on.desc(), Grant.name)
    ).all()
    return [_summary(grant, funder) for grant, funder in rows]


def grant_summary(session: Session, principal: Principal, grant_id: int) -> GrantSummary:
    """One visible grant, else NotFound (an invisible grant is indistinguishable from a missing one)."""
    require_line_reader(principal)
    return _grant_summary(session, principal, grant_id)


def _grant_summary(session: Session, principal: Principal, grant_id: int) -> GrantSummary:
    row = session.exec(
        select(Grant, Funder.name)
        .join(Funder, Funder.id == Grant.funder_id)
        .where(Grant.id == grant_id, visible_grants(principal))
    ).first()
    if row is None:
        raise NotFound(_("Financement introuvable."))
    return _summary(*row)


def _summary(grant: Grant, funder_name: str) -> GrantSummary:
    return GrantSummary(
        grant.id,
        grant.name,
        funder_name,
        grant.convention_ref,
        grant.amount_cents,
        grant.starts_on,
        grant.ends_on,
        grant.tolerance_bp,
    )


def grant_totals(lines: sa.ColumnElement[bool], as_of: date) -> sa.Subquery:
    """(grant_id, planned, spent) of the budget lines matching `lines`: their planned cents and the expenses
    booked on them up to `as_of`, per grant; for the overviews (home, dashboard, the director's answers) that
    join it to the grants they show. `lines` carries the reader's scope (services.finance.access.visible_lines,
    ANDed with the sites asked for): this builder checks nothing itself.

    Each line's expenses are summed through the (budget_line_id, spent_on, amount_cents) index, only those of
    the lines asked for: six times faster on the large dataset than joining every expense to its line and
    grouping them by grant (SQLite: 7 vs 45 ms for every line of the association)."""
    spent = (
        select(sa.func.coalesce(sa.func.sum(Expense.amount_cents), 0))
        .where(Expense.budget_line_id == BudgetLine.id, Expense.spent_on <= as_of)
        .correlate(BudgetLine)
        .scalar_subquery()
    )
    return (
        select(
            BudgetLine.grant_id.label("grant_id"),
            sa.func.sum(BudgetLine.planned_cents).label("planned"),
            sa.func.sum(spent).label("spent"),
        )
        .where(lines)
        .group_by(BudgetLine.grant_id)
        .subquery("grant_totals")
    )


def _month_columns(column: sa.ColumnElement) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    return sa.extract("year", column).label("y"), sa.extract("month", column).label("m")


def _monthly_ledger(
    session: Session, principal: Principal, *, grant_id: int, today: date
) -> dict[tuple[int, date], int]:
    """Actual per (visible line, month) of a grant up to `today`: ONE grouped scan of the grant's
    expenses (ix_expense_grant_date_amount), from which lines, the monthly series and the run-rates are read.
    Cached per data version and scope (services.platform.data_version); callers never change it."""

    def scan() -> dict[tuple[int, date], int]:
        y, m = _month_columns(Expense.spent_on)
        seen_lines = select(BudgetLine.id).where(BudgetLine.grant_id == grant_id, visible_lines(principal))
        rows = session.exec(
            select(Expense.budget_line_id, y, m, sa.func.sum(Expense.amount_cents))
            .where(Expense.grant_id == grant_id, Expense.spent_on <= today, Expense.budget_line_id.in_(seen_lines))
            .group_by(Expense.budget_line_id, y, m)
        ).all()
        return {(int(line_id), date(int(year), int(month), 1)): int(cents or 0) for line_id, year, month, cents in rows}

    return data_version.cached_aggregate(
        session, "consumption.monthly_ledger", (grant_id, today, principal.scope), scan
    )


def _line_consumption(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    today: date,
    ledger: dict[tuple[int, date], int] | None = None,
) -> list[LineConsumption]:
    """Visible lines of a grant with their actual to date (sums of the grouped ledger)."""
    if ledger is None:
        ledger = _monthly_ledger(session, principal, grant_id=grant_id, today=today)
    actual: dict[int, int] = {}
    for (line_id, _month), cents in ledger.items():
        actual[line_id] = actual.get(line_id, 0) + cents
    rows = session.exec(
        select(
            BudgetLine.id,
            BudgetLine.version,
            Strand.id,
            Strand.name,
            Site.id,
            Site.code,
            BudgetLine.category,
            BudgetLine.planned_cents,
        )
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .outerjoin(Site, Site.id == BudgetLine.site_id)  # a national line (association-wide readers only)
        .where(BudgetLine.grant_id == grant_id, visible_lines(principal))
        .order_by(Strand.name, Site.code, BudgetLine.category)
    ).all()
    return [
        LineConsumption(
            line_id,
            version,
            strand_id,
            strand,
            site_id,
            site_code_or_national(site_code),
            BudgetCategory(category),
            int(planned),
            actual.get(line_id, 0),
        )
        for line_id, version, strand_id, strand, site_id, site_code, category, planned in rows
    ]


def subtotals(
    lines: Iterable[LineConsumption], key: Callable[[LineConsumption], tuple[str, str]]
) -> tuple[Subtotal, ...]:
    """Exact sums of the given lines grouped by `key` (→ (key, label)), in order of first appearance."""
    planned: dict[tuple[str, str], int] = {}
    actual: dict[tuple[str, str], int] = {}
    for line in lines:
        group = key(line)
        planned[group] = planned.get(group, 0) + line.planned_cents
        actual[group] = actual.get(group, 0) + line.actual_cents
    return tuple(Subtotal(k, text, planned[(k, text)], actual[(k, text)]) for k, text in planned)


CATEGORY_ORDER = {category: index for index, category in enumerate(BudgetCategory)}


def build_report(
    grant: GrantSummary,
    lines: list[LineConsumption],
    *,
    today: date,
    partial_scope: bool,
    ledger: dict[tuple[int, date], int] | None = None,
) -> GrantConsumptionReport:
    """Subtotals and total of already-summed lines (pure: also used by the what-if preview)."""
    by_category = sorted(
        subtotals(lines, lambda line: (line.category.value, label(line.category))),
        key=lambda s: CATEGORY_ORDER[BudgetCategory(s.key)],
    )
    total = Subtotal(
        "total",
        _("Total des lignes visibles") if partial_scope else _("Total du financement"),
        sum(line.planned_cents for line in lines),
        sum(line.actual_cents for line in lines),
    )
    return GrantConsumptionReport(
        grant=grant,
        today=today,
        lines=tuple(lines),
        by_strand=subtotals(lines, lambda line: (line.strand_name, line.strand_name)),
        by_site=tuple(sorted(subtotals(lines, lambda line: (line.site_code, line.site_code)), key=lambda s: s.key)),
        by_category=tuple(by_category),
        total=total,
        elapsed_share=elapsed_share(grant.starts_on, grant.ends_on, today),
        partial_scope=partial_scope,
        ledger=ledger or {},
    )


def _partial_scope(session: Session, principal: Principal, grant_id: int, visible_count: int) -> bool:
    if principal.all_sites and principal.can(Capability.VIEW_BUDGET):
        return False
    total = session.exec(select(sa.func.count()).select_from(BudgetLine).where(BudgetLine.grant_id == grant_id)).one()
    return int(total) != visible_count


def consumption(
    session: Session, principal: Principal, *, grant_id: int, today: date | None = None
) -> GrantConsumptionReport:
    """Planned, actual to date, % consumed and remaining of a visible grant, per line and subtotals."""
    require_line_reader(principal)
    return _report(session, principal, grant_id, today or clock.today())


def _report(session: Session, principal: Principal, grant_id: int, today: date) -> GrantConsumptionReport:
    grant = _grant_summary(session, principal, grant_id)
    ledger = _monthly_ledger(session, principal, grant_id=grant_id, today=today)
    lines = _line_consumption(session, principal, grant_id=grant_id, today=today, ledger=ledger)
    return build_report(
        grant, lines, today=today, ledger=ledger, partial_scope=_partial_scope(session, principal, grant_id, len(lines))
    )


def monthly_actuals(
    session: Session,
    principal: Principal,
    *,
    grant_id: int,
    today: date | None = None,
    report: GrantConsumptionReport | None = None,
) -> list[MonthlyActual]:
    """Actual per month of the visible lines of a grant (SQL GROUP BY month), cumulated here.

    One point per month from the grant's first month to the month of today (or the end month when the
    grant is over); an expense booked before the start or after the end month (late invoice) is counted
    in the first or last point, so the last cumulative equals the actual to date of `consumption`.
    `report` (the same grant's consumption) saves the query.
    """
    require_line_reader(principal)
    return _monthly_actuals(session, principal, grant_id, today or (report.today if report else clock.today()), report)


def _monthly_actuals(
    session: Session, principal: Principal, grant_id: int, today: date, report: GrantConsumptionReport | None
) -> list[MonthlyActual]:
    if report is None or report.today != today or report.grant.id != grant_id:
        grant = _grant_summary(session, principal, grant_id)
        ledger = _monthly_ledger(session, principal, grant_id=grant_id, today=today)
    else:
        grant, ledger = report.grant, report.ledger
    first = clock.month_start(grant.starts_on)
    last = clock.month_start(min(today, grant.ends_on))
    if today < grant.starts_on:
        last = first
    by_month: dict[date, int] = {}
    for (_line, month), cents in ledger.items():
        day = min(max(month, first), last)
        by_month[day] = by_month.get(day, 0) + cents
    points, cumulative, month = [], 0, first
    while month <= last:
        cumulative += by_month.get(month, 0)
        points.append(MonthlyActual(month, by_month.get(month, 0), cumulative))
        month = clock.month_start(month, 1)
    return points
