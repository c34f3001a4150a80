"""What a funder reads of the grants it funds: consumption by strand and by category, the monthly burn
and the projected total — never a budget line, an accounting code, a site's share, an expense or a post.

Who may call: financeur (the grants of its own funder), and direction and gestion (every grant), who open
the funder space to preview what a funder is shown. Line-level figures are services.finance.consumption
and forecast, for budget staff only: the same figures in two shapes, each with its own permission.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session

from services.finance.consumption import (
    GrantConsumptionReport,
    GrantSummary,
    MonthlyActual,
    Subtotal,
    _grant_summary,
    _grants,
    _monthly_actuals,
    _report,
)
from services.finance.forecast import GrantForecast, _projected
from services.platform.errors import PermissionDenied
from services.platform.principal import Capability, Principal


@dataclass(frozen=True)
class FundedConsumption:
    """A grant's consumption as a funder reads it: `report` and `outlook` hold no line, site or alert."""

    report: GrantConsumptionReport  # total, elapsed share, by strand and category; lines=(), by_site=()
    by_strand: tuple[Subtotal, ...]
    by_category: tuple[Subtotal, ...]
    burn: tuple[MonthlyActual, ...]
    outlook: GrantForecast  # projected total; lines=(), alerts=()


def require_funded_reader(principal: Principal) -> None:
    if principal.can(Capability.VIEW_FUNDED_GRANTS) and principal.funder_id is not None:
        return
    if principal.can(Capability.VIEW_BUDGET) and principal.all_sites:
        return
    raise PermissionDenied()


def funded_grants(session: Session, principal: Principal) -> list[GrantSummary]:
    """The grants a funder may open (its funder's; every grant for direction and gestion)."""
    require_funded_reader(principal)
    return _grants(session, principal)


def funded_grant(session: Session, principal: Principal, grant_id: int) -> GrantSummary:
    """One of those grants, else NotFound."""
    require_funded_reader(principal)
    return _grant_summary(session, principal, grant_id)


def funded_consumption(session: Session, principal: Principal, *, grant_id: int, today: date) -> FundedConsumption:
    """Consumption of a funded grant up to `today`, by strand and category, its burn and its projection."""
    require_funded_reader(principal)
    report = _report(session, principal, grant_id, today)
    burn = _monthly_actuals(session, principal, grant_id, today, report)
    outlook = _projected(session, principal, report)
    return FundedConsumption(
        report=replace(report, lines=(), by_site=(), ledger={}),
        by_strand=report.by_strand,
        by_category=report.by_category,
        burn=tuple(burn),
        outlook=replace(outlook, lines=(), alerts=()),
    )
