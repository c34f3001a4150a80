"""Which role may open which page: the one declarative table app.py and the guards read."""

from __future__ import annotations

from enum import StrEnum

from models.organisation import Role
from services.principal import Principal

ALL_ROLES = frozenset(Role)


class PageKey(StrEnum):
    HOME = "home"
    ACCOUNT = "account"
    USERS = "users"
    AUDIT = "audit"
    INTAKE = "intake"
    CASELOAD = "caseload"
    PERSON_FILE = "person_file"
    PARTNERS = "partners"
    RETENTION = "retention"


PAGE_ACCESS: dict[PageKey, frozenset[Role]] = {
    PageKey.HOME: ALL_ROLES,
    PageKey.ACCOUNT: ALL_ROLES,
    PageKey.USERS: frozenset({Role.ADMIN}),
    PageKey.AUDIT: frozenset({Role.ADMIN}),
    PageKey.INTAKE: frozenset({Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.CASELOAD: frozenset({Role.DIRECTION, Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.PERSON_FILE: frozenset({Role.DIRECTION, Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.PARTNERS: frozenset({Role.ADMIN, Role.CHEF_SERVICE}),
    PageKey.RETENTION: frozenset({Role.ADMIN, Role.CHEF_SERVICE}),
}


def pages_for(role: Role) -> list[PageKey]:
    """Pages of a role, in menu order; a page missing from the table is open to nobody."""
    return [page for page in PageKey if role in PAGE_ACCESS.get(page, frozenset())]


def may_open(principal: Principal | None, page: PageKey) -> bool:
    return principal is not None and principal.role in PAGE_ACCESS.get(page, frozenset())
