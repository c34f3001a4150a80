"""Which grants and budget lines a principal may see: the one scope rule of every budget service.

- direction, gestion (all sites): every grant and line;
- chef_service: the lines of its own sites, and the grants that have such a line;
- financeur: the grants of its own funder (aggregates only: callers never give it expense labels,
  suppliers, voucher references or staff names);
- everyone else: nothing (deny by default).
"""

from __future__ import annotations

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


def sees_details(principal: Principal) -> bool:
    """Expense rows, suppliers and staff names: budget staff only, never a funder."""
    return principal.can(Capability.VIEW_BUDGET)
