"""The danger flag: shown to the file's team only, changed by those who edit files, audited without
its text, kept as a history, destroyed by anonymisation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from services.persons import files as person_files
from services.persons import retention, safety
from services.persons.alias_index import index_alias
from services.persons.files import CaseloadFilter
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests.sealed import assert_sealed
from tests.services.person_world import CIPHER
from tests.services.persons.safety_world import TODAY, a_file, two_sites

INSTRUCTIONS = "Ne jamais appeler, SMS uniquement après 20 h"


@pytest.fixture
def world(session):
    return two_sites(session)


def flag(session, principal, person, instructions=INSTRUCTIONS):
    safety.set_safety(session, principal, person.id, data={"flagged": True, "instructions": instructions})


def test_the_team_of_the_site_reads_the_flag_and_its_instructions(session, world):
    person = a_file(session, world.lyon, 12)
    flag(session, world.worker_a, person)

    for member in (world.worker_a, world.chef_both, world.chef_lyon):
        notice = safety.safety_notice(session, member, person.id)
        assert notice is not None
        assert notice.instructions == INSTRUCTIONS
        assert notice.set_by == "Awa Lyon"


def test_other_roles_never_learn_that_a_flag_exists(session, world):
    person = a_file(session, world.lyon, 12)
    flag(session, world.worker_a, person)

    for other in (world.direction, world.formateur, world.gestion):
        assert safety.safety_notice(session, other, person.id) is None
        assert safety.flagged_among(session, other, [person.id]) == set()
    with pytest.raises(PermissionDenied):
        safety.safety_history(session, world.direction, person.id)


def test_a_worker_of_another_site_is_answered_as_for_a_file_that_does_not_exist(session, world):
    person = a_file(session, world.lyon, 12)
    flag(session, world.worker_a, person)

    with pytest.raises(NotFound, match="Dossier introuvable"):
        safety.safety_notice(session, world.worker_b, person.id)
    with pytest.raises(NotFound):
        flag(session, world.worker_b, person, "autre consigne")
    assert safety.flagged_among(session, world.worker_b, [person.id]) == set()


@pytest.mark.parametrize("role", ["direction", "formateur", "gestion"])
def test_roles_that_do_not_edit_files_cannot_set_it(session, world, role):
    person = a_file(session, world.lyon, 12)
    with pytest.raises(PermissionDenied):
        flag(session, getattr(world, role), person)


def test_a_flag_needs_its_instructions_and_a_save_must_change_something(session, world):
    person = a_file(session, world.lyon, 12)
    with pytest.raises(ValidationFailed) as missing:
        safety.set_safety(session, world.worker_a, person.id, data={"flagged": True, "instructions": "   "})
    assert missing.value.errors == {
        "instructions": "Indiquez les consignes de contact sûr (par exemple « SMS uniquement, jamais d'appel »)."
    }
    with pytest.raises(ValidationFailed) as too_long:
        safety.set_safety(session, world.worker_a, person.id, data={"flagged": True, "instructions": "x" * 501})
    assert too_long.value.errors == {"instructions": "Les consignes ne doivent pas dépasser 500 caractères."}

    flag(session, world.worker_a, person)
    with pytest.raises(ValidationFailed) as same:
        flag(session, world.chef_lyon, person)
    assert same.value.errors == {"flagged": "Rien n'a changé : le signalement est déjà dans cet état."}
    assert session.execute(text("SELECT count(*) FROM person_safety_change")).scalar_one() == 1


def test_changes_and_removal_are_kept_as_a_history_latest_first(session, world):
    person = a_file(session, world.lyon, 12)
    flag(session, world.worker_a, person)
    flag(session, world.chef_both, person, "Ne pas laisser de message")
    safety.set_safety(session, world.chef_lyon, person.id, data={"flagged": False, "instructions": "ignoré"})

    assert safety.safety_notice(session, world.worker_a, person.id) is None
    history = safety.safety_history(session, world.worker_a, person.id)
    assert [(c.author, c.flagged, c.instructions) for c in history] == [
        ("Agent chef_service", False, None),
        ("Chloé Deux-Sites", True, "Ne pas laisser de message"),
        ("Awa Lyon", True, INSTRUCTIONS),
    ]


def test_the_audit_says_who_set_and_removed_it_never_the_text(session, world):
    person = a_file(session, world.lyon, 12)
    flag(session, world.worker_a, person)
    safety.set_safety(session, world.worker_a, person.id, data={"flagged": False})

    rows = session.execute(
        text(
            "SELECT actor_username, action, entity_id, detail FROM audit_event "
            "WHERE action LIKE 'person.safety%' ORDER BY id"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("worker.a", "person.safety_set", str(person.id), None),
        ("worker.a", "person.safety_clear", str(person.id), None),
    ]


def test_the_instructions_are_encrypted_at_rest(session, world):
    person = a_file(session, world.lyon, 12)
    flag(session, world.worker_a, person)
    stored = session.execute(text("SELECT instructions FROM person_safety_change")).scalar_one()
    assert_sealed(stored, CIPHER, INSTRUCTIONS)


def test_the_caseload_marks_flagged_files_for_the_team_only(session, world):
    flagged = a_file(session, world.lyon, 12)
    quiet = a_file(session, world.lyon, 13)
    flag(session, world.worker_a, flagged)

    rows = person_files.list_caseload(session, world.worker_a, CaseloadFilter(), cipher=CIPHER, today=TODAY).rows
    assert {(r.code, r.safety_flag) for r in rows} == {("LYO-2026-0012", True), ("LYO-2026-0013", False)}
    rows = person_files.list_caseload(session, world.direction, CaseloadFilter(), cipher=CIPHER, today=TODAY).rows
    assert {(r.code, r.safety_flag) for r in rows} == {("LYO-2026-0012", False), ("LYO-2026-0013", False)}
    assert quiet.id not in safety.flagged_among(session, world.worker_a, [flagged.id, quiet.id])


def test_a_possible_duplicate_at_intake_carries_the_marker(session, world):
    person = a_file(session, world.lyon, 12)
    person.alias_encrypted = CIPHER.encrypt("Hélène")
    person.birth_year = 1994
    session.flush()
    index_alias(session, person.id, "Hélène", CIPHER)  # as intake does: the duplicate check reads the index
    flag(session, world.worker_a, person)

    found = person_files.find_possible_duplicates(
        session, world.worker_a, alias="Helene", birth_year=1994, cipher=CIPHER
    )
    assert [(c.code, c.safety_flag) for c in found] == [("LYO-2026-0012", True)]


def test_anonymisation_destroys_the_flag_and_its_history(session, world):
    person = a_file(session, world.lyon, 12, year=2023)
    person.last_contact_on = date(2023, 3, 2)
    session.flush()
    flag(session, world.worker_a, person)

    retention.anonymise_file(session, world.chef_lyon, person.id, confirm_code="LYO-2023-0012", today=TODAY)

    assert session.execute(text("SELECT count(*) FROM person_safety_change")).scalar_one() == 0
