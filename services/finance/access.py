"""Which grants and budget lines a principal may see: the one scope rule of every budget service.

- direction, gestion (all sites): every grant and line, the national ones (no site) included;
- chef_service: the lines of its own sites, and the grants that have such a line (never a national line:
  `site_id IN (…)` is never true of NULL);
- financeur: the grants of its own funder (aggregates only: callers never give it expense labels,
  suppliers, voucher references or staff names);
- everyone else: nothing (deny by default).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select

from models.finance import BudgetLine, Grant
from services.platform.principal import Capability, Principal


def visible_lines(principal: Principal) -> ColumnElement[bool]:
    """WHERE clause on BudgetLine."""
    if principal.can(Capability.VIEW_BUDGET):
        return principal.site_filter(BudgetLine.site_id)
    if principal.can(Capability.VIEW_FUNDED_GRANTS) and principal.funder_id is not None:
        return BudgetLine.grant_id.in_(select(Grant.id).where(Grant.funder_id == principal.funder_id))
    return sa.false()


def visible_grants(principal: Principal) -> ColumnElement[bool]:
    """WHERE clause on Grant: a grant is visible when at least one of its lines is."""
    if principal.can(Capability.VIEW_BUDGET) and principal.all_sites:
        return sa.true()
    if principal.can(Capability.VIEW_BUDGET) or principal.can(Capability.VIEW_FUNDED_GRANTS):
        return Grant.id.in_(select(BudgetLine.grant_id).where(visible_lines(principal)))
    return sa.false()


def national_or_sites(site_ids: Iterable[int], *, national: bool) -> sa.ColumnElement[bool]:
    """The budget lines of the given sites, and the national ones (no site) when `national`. Always ANDed
    with visible_lines, which never lets a site-scoped principal reach a national line."""
    sites = BudgetLine.site_id.in_(sorted({int(s) for s in site_ids}))
    return sa.or_(sites, BudgetLine.site_id.is_(None)) if national else sites


def may_write_national(principal: Principal) -> bool:
    """Posts, budget lines and expenses of no site (« National »): an association-wide budget writer
    (gestion). A site-scoped principal never reads them either: its filter `site_id IN (…)` excludes NULL."""
    return principal.can(Capability.EDIT_BUDGET) and principal.all_sites


def sees_details(principal: Principal) -> bool:
    """Expense rows, suppliers and staff names: budget staff only, never a funder."""
    return principal.can(Capability.VIEW_BUDGET)
