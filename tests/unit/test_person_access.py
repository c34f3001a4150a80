"""Object access by id or code: out of scope is answered like 'does not exist'; roles without the
capability are refused (DESIGN.md §2, issue 3)."""

from __future__ import annotations

from datetime import date

import pytest

from models.persons import PersonStatus
from services import person_files
from services.errors import NotFound, PermissionDenied
from services.person_access import (
    person_by_code,
    person_in_scope,
    require_writable,
    touch_last_contact,
)
from tests.unit.person_world import CIPHER, create, world  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("world")


def test_a_lyon_file_opens_for_lyon_staff_and_direction(session, world):
    created = create(session, world.ts_lyon, world.lyon)
    for principal in (world.ts_lyon, world.chef_lyon, world.direction):
        assert person_in_scope(session, principal, created.id).code == created.code
        assert person_by_code(session, principal, created.code.lower()).id == created.id


def test_a_grenoble_user_given_a_lyon_id_or_code_gets_not_found(session, world):
    created = create(session, world.ts_lyon, world.lyon)
    with pytest.raises(NotFound, match="Dossier introuvable"):
        person_in_scope(session, world.cip_grenoble, created.id)
    with pytest.raises(NotFound, match="Dossier introuvable"):
        person_by_code(session, world.cip_grenoble, created.code)
    with pytest.raises(NotFound):
        person_files.get_person_file(session, world.cip_grenoble, created.id, cipher=CIPHER)


def test_unknown_and_out_of_scope_look_the_same(session, world):
    created = create(session, world.ts_lyon, world.lyon)
    with pytest.raises(NotFound) as unknown:
        person_by_code(session, world.cip_grenoble, "LYO-2026-9999")
    with pytest.raises(NotFound) as hidden:
        person_by_code(session, world.cip_grenoble, created.code)
    assert str(unknown.value) == str(hidden.value)


@pytest.mark.parametrize("role", ["formateur", "gestion", "admin"])
def test_roles_without_person_files_are_refused(session, world, role):
    created = create(session, world.ts_lyon, world.lyon)
    principal = getattr(world, role)
    with pytest.raises(PermissionDenied):
        person_in_scope(session, principal, created.id)
    with pytest.raises(PermissionDenied):
        person_by_code(session, principal, created.code)
    with pytest.raises(PermissionDenied):
        person_files.get_person_file(session, principal, created.id, cipher=CIPHER)


def test_direction_reads_but_may_not_write(session, world):
    created = create(session, world.ts_lyon, world.lyon)
    person = person_in_scope(session, world.direction, created.id)
    with pytest.raises(PermissionDenied):
        require_writable(world.direction, person)
    require_writable(world.ts_lyon, person)


def test_an_anonymised_file_is_frozen(session, world):
    created = create(session, world.ts_lyon, world.lyon)
    person = person_in_scope(session, world.ts_lyon, created.id)
    person.status = PersonStatus.ANONYMISED
    session.flush()
    with pytest.raises(PermissionDenied, match="anonymisé"):
        require_writable(world.ts_lyon, person)


def test_touch_last_contact_only_moves_forward(session, world):
    created = create(session, world.ts_lyon, world.lyon)
    person = person_in_scope(session, world.ts_lyon, created.id)
    version = person.version
    touch_last_contact(session, person, date(2026, 5, 14))
    assert person.last_contact_on == date(2026, 5, 14)
    touch_last_contact(session, person, date(2026, 5, 1))
    assert person.last_contact_on == date(2026, 5, 14)
    assert person.version == version  # never makes another user's situation edit stale
