"""Roles, capabilities and pages: deny by default (docs/design.md §2)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.organisation import Role
from models.persons import Person
from services.platform import pages
from services.platform.errors import PermissionDenied
from services.platform.pages import PAGE_ACCESS, PageKey, may_open, pages_for
from services.platform.principal import ALL_SITES_ROLES, ROLE_CAPABILITIES, Capability, Principal
from tests import factories
from tests.access_matrix import ACCESS_GRID, EXPECTED_ACCESS, expected_pages, parse_access_grid

C = Capability

# docs/design.md §2, written out again on purpose: changing what a role may do must change this table too.
EXPECTED_CAPABILITIES: dict[Role, set[Capability]] = {
    Role.ADMIN: {C.MANAGE_USERS, C.VIEW_AUDIT, C.MANAGE_PARTNERS, C.MANAGE_RETENTION, C.MANAGE_ORGANISATION},
    Role.DIRECTION: {
        C.VIEW_PERSON_FILES,
        C.VIEW_FIELD_FIGURES,
        C.VIEW_COURSE_FIGURES,
        C.VIEW_BUDGET,
        C.VIEW_STAFFING,
        C.REVIEW_ACCOUNT_CHANGES,
    },
    Role.CHEF_SERVICE: {
        C.VIEW_PERSON_FILES,
        C.VIEW_IDENTITY,
        C.EDIT_PERSON_FILES,
        C.VIEW_LEARNERS,
        C.RUN_FIELD_ACTIVITIES,
        C.TEACH_COURSES,
        C.CONFIGURE_ACTIVITIES,
        C.VIEW_FIELD_FIGURES,
        C.VIEW_COURSE_FIGURES,
        C.VIEW_BUDGET,
        C.VIEW_STAFFING,
        C.MANAGE_PARTNERS,
        C.MANAGE_RETENTION,
        C.SERVE_PERSON_RIGHTS,  # export, correct, erase a whole file on the person's request (GDPR art. 15-17)
        C.TRANSFER_PERSON_FILES,  # move a file between two of its sites (relocation for safety)
        C.PROPOSE_PRACTICE_NOTES,  # a practice note from its site, for the national guides
    },
    Role.INTERVENANT: {
        C.VIEW_PERSON_FILES,
        C.VIEW_IDENTITY,
        C.EDIT_PERSON_FILES,
        C.RUN_FIELD_ACTIVITIES,
        C.VIEW_FIELD_FIGURES,
        C.PROPOSE_PRACTICE_NOTES,
    },
    Role.FORMATEUR: {C.VIEW_LEARNERS, C.TEACH_COURSES, C.VIEW_COURSE_FIGURES, C.PROPOSE_PRACTICE_NOTES},
    Role.GESTION: {C.VIEW_BUDGET, C.EDIT_BUDGET, C.VIEW_STAFFING},
    Role.FINANCEUR: {C.VIEW_FUNDED_GRANTS},
    # national project officer: practice notes and guides of every site, never a person
    Role.CHARGE_MISSION: {C.CAPITALISE_PRACTICE},
}


def principal(role: Role, site_ids: set[int] = frozenset(), funder_id: int | None = None) -> Principal:
    return Principal(
        user_id=1, username="x", display_name="X", role=role, site_ids=frozenset(site_ids), funder_id=funder_id
    )


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_exactly_the_capabilities_of_the_design(role):
    actor = principal(role)
    assert {c for c in Capability if actor.can(c)} == EXPECTED_CAPABILITIES[role]
    for capability in set(Capability) - EXPECTED_CAPABILITIES[role]:
        with pytest.raises(PermissionDenied):
            actor.require(capability)


def test_privacy_lines_of_the_design():
    assert not principal(Role.DIRECTION).can(C.VIEW_IDENTITY)  # files by code only
    assert not principal(Role.DIRECTION).can(C.EDIT_PERSON_FILES)
    for role in (Role.GESTION, Role.FINANCEUR, Role.ADMIN, Role.FORMATEUR, Role.CHARGE_MISSION):
        assert not principal(role).can(C.VIEW_PERSON_FILES), role
        assert not principal(role).can(C.VIEW_IDENTITY), role
    roles_with_identity = {role for role in Role if principal(role).can(C.VIEW_IDENTITY)}
    assert roles_with_identity == {Role.CHEF_SERVICE, Role.INTERVENANT}
    assert {role for role in Role if principal(role).can(C.MANAGE_USERS)} == {Role.ADMIN}
    assert {role for role in Role if principal(role).can(C.VIEW_AUDIT)} == {Role.ADMIN}


def test_a_role_missing_from_the_table_can_do_nothing(monkeypatch):
    monkeypatch.delitem(ROLE_CAPABILITIES, Role.DIRECTION)
    actor = principal(Role.DIRECTION)
    assert not any(actor.can(c) for c in Capability)


def test_only_association_wide_roles_span_all_sites():
    assert {Role.ADMIN, Role.DIRECTION, Role.GESTION, Role.CHARGE_MISSION} == ALL_SITES_ROLES
    assert principal(Role.DIRECTION).may_see_site(999)
    worker = principal(Role.INTERVENANT, {1})
    assert worker.may_see_site(1) and not worker.may_see_site(2)
    assert not principal(Role.FINANCEUR).may_see_site(1)


# --- site filter in the query ------------------------------------------------------------------------


def persons_seen(session, actor: Principal) -> set[str]:
    return set(session.exec(select(Person.code).where(actor.site_filter(Person.site_id))).all())


def test_site_filter_returns_only_own_sites_and_nothing_without_a_site(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    in_lyon = factories.a_person_in_file_active(session, lyon, intake_on=date(2026, 10, 1))
    in_grenoble = factories.a_person_in_file_active(session, grenoble, intake_on=date(2026, 10, 1))

    assert persons_seen(session, principal(Role.INTERVENANT, {grenoble.id})) == {in_grenoble.code}
    assert persons_seen(session, principal(Role.CHEF_SERVICE, {lyon.id, grenoble.id})) == {
        in_lyon.code,
        in_grenoble.code,
    }
    assert persons_seen(session, principal(Role.DIRECTION)) == {in_lyon.code, in_grenoble.code}
    for role in (Role.INTERVENANT, Role.CHEF_SERVICE, Role.FORMATEUR, Role.FINANCEUR):
        assert persons_seen(session, principal(role)) == set(), role
    assert session.exec(select(sa.func.count()).select_from(Person)).one() == 2


# --- pages -------------------------------------------------------------------------------------------


def test_the_access_table_is_the_one_written_out_in_the_tests():
    """PAGE_ACCESS against the grid of tests/access_matrix.py, written by hand from docs/design.md §2."""
    differences = []
    for page in PageKey:
        granted, expected = PAGE_ACCESS.get(page, frozenset()), EXPECTED_ACCESS[page]
        differences += [f"{page.value}: {role.value} may open it" for role in sorted(granted - expected)]
        differences += [f"{page.value}: {role.value} is refused" for role in sorted(expected - granted)]
    assert differences == []
    assert PAGE_ACCESS == EXPECTED_ACCESS


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_the_pages_of_the_table_in_menu_order(role):
    expected = expected_pages(role)
    assert pages_for(role) == expected
    actor = principal(role)
    for page in PageKey:
        assert may_open(actor, page) == (page in expected)


def test_the_access_grid_is_read_strictly():
    """A slip in the hand-written grid is an error, never a page silently refused or granted."""
    header, home, *rest = ACCESS_GRID.strip().splitlines()
    assert parse_access_grid(ACCESS_GRID) == EXPECTED_ACCESS
    assert EXPECTED_ACCESS[PageKey.HOME] == frozenset(Role)
    assert EXPECTED_ACCESS[PageKey.USERS] == {Role.ADMIN}
    malformed = {
        "a page missing": "\n".join([header, *rest]),
        "a page twice": "\n".join([header, home, home, *rest]),
        "a short row": "\n".join([header, home.rsplit("|", 1)[0], *rest]),
        "an unknown mark": "\n".join([header, home.replace("x", "?", 1), *rest]),
        "an empty cell": "\n".join([header, home.replace("x", " ", 1), *rest]),
        "a role missing": "\n".join(line.rsplit("|", 1)[0] for line in [header, home, *rest]),
        "an unknown page": "\n".join([header, home, *rest, home.replace("home", "nowhere", 1)]),
    }
    accepted = []
    for slip, grid in malformed.items():
        try:
            parse_access_grid(grid)
        except ValueError:
            continue
        accepted.append(slip)
    assert accepted == []


def test_every_page_is_in_the_access_table():
    assert set(PAGE_ACCESS) == set(PageKey)


@pytest.mark.parametrize("role", list(Role))
def test_everyone_has_home_and_account_and_only_admin_has_users_and_audit(role):
    assert {PageKey.HOME, PageKey.ACCOUNT} <= set(pages_for(role))
    assert (PageKey.USERS in pages_for(role)) == (role == Role.ADMIN)
    assert (PageKey.AUDIT in pages_for(role)) == (role == Role.ADMIN)


def test_nobody_signed_in_opens_nothing():
    assert not any(may_open(None, page) for page in PageKey)


def test_a_page_missing_from_the_table_is_open_to_nobody(monkeypatch):
    monkeypatch.delitem(pages.PAGE_ACCESS, PageKey.AUDIT)
    assert PageKey.AUDIT not in pages_for(Role.ADMIN)
    assert not may_open(principal(Role.ADMIN), PageKey.AUDIT)
    assert not may_open(principal(Role.ADMIN), "no-such-page")  # type: ignore[arg-type]


def test_two_enums_sharing_a_value_keep_their_own_label() -> None:
    from models.labels import label
    from models.outreach import OutreachMode
    from models.persons import HousingSituation

    assert OutreachMode.STREET.value == HousingSituation.STREET.value == "street"
    assert label(OutreachMode.STREET) == "Présentielle"
    assert label(HousingSituation.STREET) == "Sans abri"


def test_every_choice_of_every_model_enum_has_its_own_french_label() -> None:
    """A dict literal mixing enums loses members that share a value ("other", "pending"…):
    Barrier.ADMINISTRATIVE once showed GoalAxis.ADMINISTRATIVE's label."""
    import enum
    import importlib
    import pkgutil

    import models
    from models.audit import AuditAction
    from models.labels import label
    from models.pathway import Barrier, GoalAxis

    technical = {AuditAction}  # the audit log shows the act as recorded (`person.view`), for the admin
    unlabelled = []
    for module_info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"models.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, enum.Enum)
                and value.__module__ == module.__name__
                and value not in technical
            ):
                unlabelled += [f"{value.__name__}.{m.name}" for m in value if label(m) == str(m.value)]
    assert unlabelled == []
    assert (label(Barrier.ADMINISTRATIVE), label(GoalAxis.ADMINISTRATIVE)) == (
        "Situation administrative",
        "Administratif",
    )
