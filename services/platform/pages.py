"""Which role may open which page: the one declarative table app.py and the guards read."""

from __future__ import annotations

from enum import StrEnum

from models.organisation import Role
from services.platform.principal import Principal

ALL_ROLES = frozenset(Role)


class PageKey(StrEnum):
    HOME = "home"
    WORKLIST = "worklist"
    ACCOUNT = "account"
    ORGANISATION = "organisation"
    USERS = "users"
    AUDIT = "audit"
    INTAKE = "intake"
    CASELOAD = "caseload"
    PERSON_FILE = "person_file"
    PARTNERS = "partners"
    RETENTION = "retention"
    OUTREACH = "outreach"
    WORKSHOPS = "workshops"
    COURSES = "courses"
    LANGUAGE_PROGRESS = "language_progress"
    BUDGET = "budget"
    GRANTS = "grants"
    PAYMENTS = "payments"
    EXPENSES = "expenses"
    STAFFING = "staffing"
    FINANCIAL_REPORT = "financial_report"
    DASHBOARD = "dashboard"
    FUNDER_SPACE = "funder_space"
    ACTIVITY_REPORT = "activity_report"
    PRACTICE_NOTES = "practice_notes"
    GUIDES = "guides"


PAGE_ACCESS: dict[PageKey, frozenset[Role]] = {
    PageKey.HOME: ALL_ROLES,
    PageKey.ACCOUNT: ALL_ROLES,
    # « À faire »: what is due in one's files, groups and sessions (services/worklist.py).
    PageKey.WORKLIST: frozenset({Role.CHEF_SERVICE, Role.INTERVENANT, Role.FORMATEUR}),
    PageKey.ORGANISATION: frozenset({Role.ADMIN}),
    PageKey.USERS: frozenset({Role.ADMIN}),
    PageKey.AUDIT: frozenset({Role.ADMIN}),
    PageKey.INTAKE: frozenset({Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.CASELOAD: frozenset({Role.DIRECTION, Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.PERSON_FILE: frozenset({Role.DIRECTION, Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.PARTNERS: frozenset({Role.ADMIN, Role.CHEF_SERVICE}),
    PageKey.RETENTION: frozenset({Role.ADMIN, Role.CHEF_SERVICE}),
    # Group activities: entered by the teams of a site, read by direction as aggregates.
    PageKey.OUTREACH: frozenset({Role.DIRECTION, Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.WORKSHOPS: frozenset({Role.DIRECTION, Role.CHEF_SERVICE, Role.INTERVENANT}),
    PageKey.COURSES: frozenset({Role.CHEF_SERVICE, Role.FORMATEUR}),
    PageKey.LANGUAGE_PROGRESS: frozenset({Role.DIRECTION, Role.CHEF_SERVICE, Role.FORMATEUR}),
    # Money and posts: gestion enters, direction watches, chef_service sees own sites. A funder
    # reads the consumption of its grants on the Espace financeur (disclosure-controlled).
    PageKey.BUDGET: frozenset({Role.DIRECTION, Role.GESTION, Role.CHEF_SERVICE}),
    PageKey.GRANTS: frozenset({Role.DIRECTION, Role.GESTION, Role.CHEF_SERVICE}),
    # A grant's payments, reports due, co-financing and cash: the whole grant, so budget staff of every site.
    PageKey.PAYMENTS: frozenset({Role.DIRECTION, Role.GESTION}),
    PageKey.EXPENSES: frozenset({Role.DIRECTION, Role.GESTION}),
    PageKey.STAFFING: frozenset({Role.DIRECTION, Role.GESTION, Role.CHEF_SERVICE}),
    PageKey.FINANCIAL_REPORT: frozenset({Role.DIRECTION, Role.GESTION}),
    # "How are we doing?": direction for every site, chef_service for its own.
    PageKey.DASHBOARD: frozenset({Role.DIRECTION, Role.CHEF_SERVICE}),
    # What a funder sees (disclosure-controlled) and its report pack; direction and gestion
    # open the same page to prepare a pack or to preview what the funder is shown.
    PageKey.FUNDER_SPACE: frozenset({Role.DIRECTION, Role.GESTION, Role.FINANCEUR}),
    # The annual activity report (published, disclosure-controlled): direction for the association or any
    # site, chef_service for its own sites.
    PageKey.ACTIVITY_REPORT: frozenset({Role.DIRECTION, Role.CHEF_SERVICE}),
    # Capitalisation: the national project officers write and validate practice notes of every site; the teams
    # of a site propose notes from their site. Only the officers assemble guides and export them.
    PageKey.PRACTICE_NOTES: frozenset({Role.CHARGE_MISSION, Role.CHEF_SERVICE, Role.INTERVENANT, Role.FORMATEUR}),
    PageKey.GUIDES: frozenset({Role.CHARGE_MISSION}),
}


def pages_for(role: Role) -> list[PageKey]:
    """Pages of a role, in menu order; a page missing from the table is open to nobody."""
    return [page for page in PageKey if role in PAGE_ACCESS.get(page, frozenset())]


def may_open(principal: Principal | None, page: PageKey) -> bool:
    return principal is not None and principal.role in PAGE_ACCESS.get(page, frozenset())
