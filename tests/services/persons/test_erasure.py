"""Erasure on request before the retention period (GDPR art. 17): the head of service, a reason from the
list, the code typed again; then the file is anonymised exactly as retention does, and its export shows
nothing identifying."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models.organisation import Role
from models.persons import Person, PersonStatus
from services.persons import corrections, erasure, subject_access
from services.platform.db import make_engine, unit_of_work, upgrade_to_head
from services.platform.errors import PermissionDenied, ValidationFailed
from tests.services.persons.rights_world import CIPHER, MARKER, OTHER, TODAY, make_rights_world
from tests.services.persons.test_anonymisation import encrypted_values, sqlite_bytes

REQUEST = {"reason": "person_request", "details": "Courrier reçu le 2 novembre"}


@pytest.fixture
def world(session: Session):
    return make_rights_world(session)


def _erase(session, world, *, data=None, code=None, principal=None):
    return erasure.erase_on_request(
        session,
        principal or world.chef,
        world.person.id,
        data=REQUEST if data is None else data,
        confirm_code=world.person.code if code is None else code,
        today=TODAY,
    )


def _audit(session, action: str) -> list[tuple]:
    return (
        session.connection()
        .execute(text("SELECT actor_username, entity_id, detail FROM audit_event WHERE action = :a"), {"a": action})
        .all()
    )


def _values_holding_a_year(node, years: set[int], key: str = "") -> list[tuple[str, object]]:
    """Every value of the export that is one of these years, or a text naming one as a number of its own.

    Not a search of the bytes: a timestamp's microseconds or a row id (PostgreSQL's sequences run on
    between tests) may hold the same four digits."""
    if isinstance(node, dict):
        return [found for name, value in node.items() for found in _values_holding_a_year(value, years, name)]
    if isinstance(node, list):
        return [found for value in node for found in _values_holding_a_year(value, years, key)]
    if isinstance(node, bool) or node is None:
        return []
    if isinstance(node, int):
        return [(key, node)] if node in years and not key.endswith("_id") else []
    if isinstance(node, str) and any(re.search(rf"(?<!\d){year}(?!\d)", node) for year in years):
        return [(key, node)]
    return []


def test_an_erased_file_is_anonymised_and_its_export_shows_nothing_identifying(session, world):
    corrections.correct_file(
        session,
        world.chef,
        world.person.id,
        expected_version=world.person.version,
        data={"birth_year": 1993, "reason": "Pièce d'identité"},
        today=TODAY,
    )
    assert _erase(session, world, code=f"  {world.person.code.lower()} ") == world.person.code

    person = session.get_one(Person, world.person.id)
    session.refresh(person)
    assert person.status == PersonStatus.ANONYMISED
    assert (person.alias_encrypted, person.phone_encrypted, person.birth_year, person.languages) == (
        None,
        None,
        None,
        [],
    )
    assert person.intake_on == date(2025, 1, 1)  # a month, as retention makes it
    left = (
        session.connection()
        .execute(text("SELECT count(*) FROM person_note WHERE person_id = :id"), {"id": person.id})
        .scalar_one()
    )
    assert left == 0
    corrected = (
        session.connection()
        .execute(text("SELECT count(*) FROM person_correction WHERE person_id = :id"), {"id": person.id})
        .scalar_one()
    )
    assert corrected == 0
    assert _audit(session, "person.erase") == [("chef.lyon", str(person.id), "reason=person_request")]
    assert _audit(session, "person.anonymise") == [("chef.lyon", str(person.id), None)]

    exported = subject_access.export_json(
        session, world.chef, person.id, cipher=CIPHER, today=TODAY, association="Association"
    )
    assert MARKER.encode() not in exported
    assert b"06 12 34 56 78" not in exported
    assert _values_holding_a_year(json.loads(exported), {1993, 1994}) == []
    assert b'"status": "anonymised"' in exported
    assert b"Courrier re" in exported  # the erasure's own record, with the details typed by the head of service

    other = session.get_one(Person, world.other.id)
    assert other.status == PersonStatus.CLOSED and CIPHER.decrypt(other.alias_encrypted) == f"{OTHER}-alias"


def test_a_wrong_code_or_an_anonymised_file_erases_nothing(session, world):
    with pytest.raises(ValidationFailed) as refused:
        _erase(session, world, code=world.other.code)
    assert refused.value.errors == {"confirm_code": "Le code saisi ne correspond pas au dossier : rien n'a été effacé."}
    assert session.get_one(Person, world.person.id).status == PersonStatus.CLOSED
    assert _audit(session, "person.erase") == []

    _erase(session, world)
    with pytest.raises(ValidationFailed) as again:
        _erase(session, world)
    assert again.value.errors == {"confirm_code": "Ce dossier est déjà anonymisé."}


def test_another_reason_needs_its_details(session, world):
    with pytest.raises(ValidationFailed) as refused:
        _erase(session, world, data={"reason": "other", "details": "  "})
    assert refused.value.errors == {"details": "Précisez le motif."}
    with pytest.raises(ValidationFailed) as no_reason:
        _erase(session, world, data={"details": "x"}, code="")
    assert set(no_reason.value.errors) == {"reason", "confirm_code"}


@pytest.mark.parametrize("role", [Role.DIRECTION, Role.GESTION, Role.FINANCEUR, Role.FORMATEUR, Role.ADMIN])
def test_only_the_head_of_service_erases(session, world, role):
    with pytest.raises(PermissionDenied):
        _erase(session, world, principal=world.roles[role])


def test_an_intervenant_may_not_erase_even_its_own_file(session, world):
    with pytest.raises(PermissionDenied):
        _erase(session, world, principal=world.worker)


def test_erasure_leaves_no_encrypted_byte_of_the_file_in_the_sqlite_files(tmp_path):
    path = tmp_path / "erasure.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade_to_head(engine)
        with unit_of_work(engine) as session:
            world = make_rights_world(session)
            corrections.correct_file(
                session,
                world.chef,
                world.person.id,
                expected_version=world.person.version,
                data={"nationality": "GH", "reason": f"{MARKER}-correction"},
                today=TODAY,
            )
            tokens = encrypted_values(session.connection(), world.person.id)
            kept = encrypted_values(session.connection(), world.other.id)
            tokens += (
                session.connection()
                .execute(text("SELECT old_value FROM person_correction WHERE person_id = :id"), {"id": world.person.id})
                .scalars()
                .all()
            )
            session.commit()
        before = sqlite_bytes(path)
        assert len(tokens) == 12 and all(token.encode() in before for token in tokens)

        with unit_of_work(engine) as session:
            erasure.erase_on_request(
                session, world.chef, world.person.id, data=REQUEST, confirm_code=world.person.code, today=TODAY
            )

        after = sqlite_bytes(path)
        assert [token[:12] for token in tokens if token.encode() in after] == []
        assert MARKER.encode() not in after
        assert all(token.encode() in after for token in kept)  # the other file is left alone
    finally:
        engine.dispose()
