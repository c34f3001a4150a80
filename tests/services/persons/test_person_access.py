"""Object access by id or code: out of scope is answered like 'does not exist'; roles without the
capability are refused (docs/design.md §2, issue 3)."""

from __future__ import annotations

from datetime import date

import pytest

from models.partners import OutcomeType, PartnerKind
from models.persons import PersonStatus
from services.persons import appointments, consent, partners, pathway, transfer
from services.persons import files as person_files
from services.persons.access import (
    _require_writable,
    person_by_code,
    person_in_scope,
    touch_last_contact,
)
from services.platform.errors import NotFound, PermissionDenied
from tests import factories
from tests.services.person_world import CIPHER, create

pytestmark = pytest.mark.usefixtures("person_world")


def test_a_lyon_file_opens_for_lyon_staff_and_direction(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    for principal in (person_world.ts_lyon, person_world.chef_lyon, person_world.direction):
        assert person_in_scope(session, principal, created.id).code == created.code
        assert person_by_code(session, principal, created.code.lower()).id == created.id


def test_a_grenoble_user_given_a_lyon_id_or_code_gets_not_found(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    with pytest.raises(NotFound, match="Dossier introuvable"):
        person_in_scope(session, person_world.cip_grenoble, created.id)
    with pytest.raises(NotFound, match="Dossier introuvable"):
        person_by_code(session, person_world.cip_grenoble, created.code)
    with pytest.raises(NotFound):
        person_files.get_person_file(session, person_world.cip_grenoble, created.id, cipher=CIPHER)


def test_unknown_and_out_of_scope_look_the_same(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    with pytest.raises(NotFound) as unknown:
        person_by_code(session, person_world.cip_grenoble, "LYO-2026-9999")
    with pytest.raises(NotFound) as hidden:
        person_by_code(session, person_world.cip_grenoble, created.code)
    assert str(unknown.value) == str(hidden.value)


@pytest.mark.parametrize("role", ["formateur", "gestion", "admin"])
def test_roles_without_person_files_are_refused(session, person_world, role):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    principal = getattr(person_world, role)
    with pytest.raises(PermissionDenied):
        person_in_scope(session, principal, created.id)
    with pytest.raises(PermissionDenied):
        person_by_code(session, principal, created.code)
    with pytest.raises(PermissionDenied):
        person_files.get_person_file(session, principal, created.id, cipher=CIPHER)


def test_direction_reads_but_may_not_write(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    person = person_in_scope(session, person_world.direction, created.id)
    with pytest.raises(PermissionDenied):
        _require_writable(person_world.direction, person)
    _require_writable(person_world.ts_lyon, person)


def test_an_anonymised_file_is_frozen(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    person = person_in_scope(session, person_world.ts_lyon, created.id)
    person.status = PersonStatus.ANONYMISED
    session.flush()
    with pytest.raises(PermissionDenied, match="anonymisé"):
        _require_writable(person_world.ts_lyon, person)


def test_touch_last_contact_only_moves_forward(session, person_world):
    created = create(session, person_world.ts_lyon, person_world.lyon)
    person = person_in_scope(session, person_world.ts_lyon, created.id)
    version = person.version
    touch_last_contact(session, person, date(2026, 5, 14))
    assert person.last_contact_on == date(2026, 5, 14)
    touch_last_contact(session, person, date(2026, 5, 1))
    assert person.last_contact_on == date(2026, 5, 14)
    assert person.version == version  # never makes another user's situation edit stale


def _a_lyon_file_with_records(session, person_world) -> int:
    """A Lyon file with a row in each list below (an intake refusing statistics writes a consent change)."""
    created = create(session, person_world.ts_lyon, person_world.lyon, consent_statistics=False)
    person = person_in_scope(session, person_world.ts_lyon, created.id)
    partner = factories.a_partner_of_kind(session, person_world.lyon, PartnerKind.HEALTH)
    factories.a_referral_to(session, person, partner, on=date(2026, 3, 2))
    factories.an_outcome_of(session, person, OutcomeType.CDI, on=date(2026, 3, 9))
    factories.an_appointment(session, person, date(2026, 3, 4))
    factories.a_psp_requested(session, person, on=date(2026, 3, 5))
    return created.id


# Readers that check the scope in their own query (rows_in_scope): name → (call, rows of the file above).
# Direction reads every site's files but not the consent history (the teams' form).
READERS = {
    "appointments": (lambda s, p, pid: appointments.list_appointments(s, p, pid), 1),
    "referrals": (lambda s, p, pid: partners.list_referrals(s, p, pid), 1),
    "outcomes": (lambda s, p, pid: partners.list_outcomes(s, p, pid), 1),
    "psp": (lambda s, p, pid: pathway.list_psp(s, p, pid, today=date(2026, 5, 15)), 1),
    "consents": (lambda s, p, pid: consent.consent_history(s, p, pid), 1),
    "goals": (lambda s, p, pid: pathway.list_goals(s, p, pid), 0),
    "transfers": (lambda s, p, pid: transfer.transfer_history(s, p, pid), 0),
}


@pytest.mark.parametrize("reader", READERS)
def test_a_reader_answers_a_file_out_of_reach_with_not_found_whether_or_not_it_has_rows(session, person_world, reader):
    """The scope is in the rows' query: another site's file with records is « Dossier introuvable », never
    its rows nor an empty list; the file's team and direction read them."""
    call, expected = READERS[reader]
    person_id = _a_lyon_file_with_records(session, person_world)
    readers = [person_world.ts_lyon, person_world.chef_lyon]
    readers += [person_world.direction] if reader != "consents" else []
    for principal in readers:
        assert len(call(session, principal, person_id)) == expected
    with pytest.raises(NotFound, match="Dossier introuvable"):
        call(session, person_world.cip_grenoble, person_id)
    with pytest.raises(NotFound, match="Dossier introuvable"):
        call(session, person_world.ts_lyon, person_id + 10_000)  # no such file
