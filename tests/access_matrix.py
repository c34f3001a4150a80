"""Which role opens which page, written out by hand from the role matrix of docs/design.md §2 (deny by default).

Deliberately not derived from services.platform.pages.PAGE_ACCESS: the tests compare the app's table with this
one and take their (page, role) cases from it, so a wrong edit of either table fails them. Changing who
may open a page means changing both.

One row per page (menu order), one column per role: `x` opens the page, `.` is refused. The grid is
read strictly when this module is imported: a page or a role missing, a row too short or too long, or
any other mark is an error, never a refused cell.

What the design says each role sees, and the pages that gives:
- admin: the association, its sites and strands (organisation), users, reference lists (partners), audit
  log, retention queue; no person-file content.
- direction: all sites: dashboards, budget (grants, payments, expenses read-only), staffing, reports; person files
  by code only (caseload, person file); outreach and workshops as read-only aggregates; language
  progress; a preview of the funder space.
- chef_service: own sites, everything, identities included: intake, caseload, person file, partners,
  retention, outreach, workshops, courses, language progress, budget, grants, staffing, dashboard, the
  activity report of its sites.
- intervenant: own sites: person files, outreach, workshops, intake, caseload.
- formateur: own sites: course groups, learners, attendance, assessments (courses, language progress).
- gestion: grants, budget lines, payments and cash, expenses, posts, financial report, funder space; no
  person data.
- financeur: its funded grants only (funder space).
- charge_mission (national project officer): every site, no identity, no person file: practice notes (write,
  validate, link published figures) and guides (assemble, export to Word); nothing else.
- the teams of a site (chef_service, intervenant, formateur) propose practice notes from their site.
Everyone has home and account; the teams of a site (chef_service, intervenant, formateur) their « À faire ».
"""

from __future__ import annotations

from models.organisation import Role
from services.platform.pages import PageKey

ACCESS_GRID = """
page              | admin | direction | chef_service | intervenant | formateur | gestion | financeur | charge_mission
home              |   x   |     x     |      x       |      x      |     x     |    x    |     x     |       x
account           |   x   |     x     |      x       |      x      |     x     |    x    |     x     |       x
worklist          |   .   |     .     |      x       |      x      |     x     |    .    |     .     |       .
organisation      |   x   |     .     |      .       |      .      |     .     |    .    |     .     |       .
users             |   x   |     .     |      .       |      .      |     .     |    .    |     .     |       .
audit             |   x   |     .     |      .       |      .      |     .     |    .    |     .     |       .
intake            |   .   |     .     |      x       |      x      |     .     |    .    |     .     |       .
caseload          |   .   |     x     |      x       |      x      |     .     |    .    |     .     |       .
person_file       |   .   |     x     |      x       |      x      |     .     |    .    |     .     |       .
partners          |   x   |     .     |      x       |      .      |     .     |    .    |     .     |       .
retention         |   x   |     .     |      x       |      .      |     .     |    .    |     .     |       .
outreach          |   .   |     x     |      x       |      x      |     .     |    .    |     .     |       .
workshops         |   .   |     x     |      x       |      x      |     .     |    .    |     .     |       .
courses           |   .   |     .     |      x       |      .      |     x     |    .    |     .     |       .
language_progress |   .   |     x     |      x       |      .      |     x     |    .    |     .     |       .
budget            |   .   |     x     |      x       |      .      |     .     |    x    |     .     |       .
grants            |   .   |     x     |      x       |      .      |     .     |    x    |     .     |       .
payments          |   .   |     x     |      .       |      .      |     .     |    x    |     .     |       .
expenses          |   .   |     x     |      .       |      .      |     .     |    x    |     .     |       .
staffing          |   .   |     x     |      x       |      .      |     .     |    x    |     .     |       .
financial_report  |   .   |     x     |      .       |      .      |     .     |    x    |     .     |       .
dashboard         |   .   |     x     |      x       |      .      |     .     |    .    |     .     |       .
funder_space      |   .   |     x     |      .       |      .      |     .     |    x    |     x     |       .
activity_report   |   .   |     x     |      x       |      .      |     .     |    .    |     .     |       .
practice_notes    |   .   |     .     |      x       |      x      |     x     |    .    |     .     |       x
guides            |   .   |     .     |      .       |      .      |     .     |    .    |     .     |       x
"""

OPENS, REFUSED_MARK = "x", "."


def parse_access_grid(grid: str) -> dict[PageKey, frozenset[Role]]:
    """The grid as page → roles that open it; ValueError unless it names every page and role exactly once."""
    header, *rows = [line for line in grid.strip().splitlines() if line.strip()]
    columns = [cell.strip() for cell in header.split("|")]
    if columns[0] != "page" or sorted(columns[1:]) != sorted(role.value for role in Role):
        raise ValueError(f"the header must be 'page' then every role once: {columns}")
    roles = [Role(column) for column in columns[1:]]
    table: dict[PageKey, frozenset[Role]] = {}
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")]
        if len(cells) != len(columns):
            raise ValueError(f"{len(cells)} cells instead of {len(columns)}: {row!r}")
        if cells[0] not in {page.value for page in PageKey}:
            raise ValueError(f"no such page: {cells[0]!r}")
        page = PageKey(cells[0])
        if page in table:
            raise ValueError(f"page written twice: {page.value}")
        marks = cells[1:]
        if set(marks) - {OPENS, REFUSED_MARK}:
            raise ValueError(f"a cell is neither {OPENS!r} nor {REFUSED_MARK!r}: {row!r}")
        table[page] = frozenset(role for role, mark in zip(roles, marks, strict=True) if mark == OPENS)
    missing = [page.value for page in PageKey if page not in table]
    if missing:
        raise ValueError(f"pages missing from the grid: {missing}")
    return table


EXPECTED_ACCESS: dict[PageKey, frozenset[Role]] = parse_access_grid(ACCESS_GRID)

# Every (page, role) pair, page by page in menu order, roles in their declaration order.
ALLOWED: list[tuple[PageKey, Role]] = [
    (page, role) for page in PageKey for role in Role if role in EXPECTED_ACCESS[page]
]
REFUSED: list[tuple[PageKey, Role]] = [
    (page, role) for page in PageKey for role in Role if role not in EXPECTED_ACCESS[page]
]


def expected_pages(role: Role) -> list[PageKey]:
    """The pages of a role in menu order (PageKey order), from the grid."""
    return [page for page in PageKey if role in EXPECTED_ACCESS[page]]


def refused_roles(page: PageKey) -> list[Role]:
    return [role for role in Role if role not in EXPECTED_ACCESS[page]]
